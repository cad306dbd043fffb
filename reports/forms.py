from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import Unit
from campaign.widgets import WHOLE_SCOPE, UnitField
from rectification.ledger.importer import visible_batches


class LedgerScopeForm(forms.Form):
    """Which part of the ledger: a unit's subtree, a batch, or both (GET parameters)."""

    within = UnitField(label=_("Within"), required=False, placeholder=WHOLE_SCOPE)
    batch = forms.ModelChoiceField(label=_("Batch"), queryset=None, required=False, empty_label=_("All batches"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["within"].queryset = Unit.objects.visible_to(user)
        self.fields["batch"].queryset = visible_batches(user)


class UrgeManyForm(forms.Form):
    """催办 from the dashboard: one message and a reply deadline for the ticked tasks."""

    message = forms.CharField(label=_("Message to the units"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    reply_by = forms.DateField(label=_("Reply by"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
