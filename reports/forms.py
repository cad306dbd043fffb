from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign import permissions
from campaign.models import Unit
from rectification.ledger.importer import visible_batches


class LedgerScopeForm(forms.Form):
    """Which part of the ledger: a unit's subtree, a batch, or both (GET parameters)."""

    within = forms.ModelChoiceField(label=_("Within"), queryset=None, required=False, empty_label=_("My whole scope"))
    batch = forms.ModelChoiceField(label=_("Batch"), queryset=None, required=False, empty_label=_("All batches"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = Unit.objects.visible_to(user)
        # Offered: units with units below them, the user's own units, and the one asked for.
        offered = Q(children__isnull=False) | Q(pk__in=permissions.access(user).member_unit_ids)
        asked = self.data.get("within") if self.is_bound else None
        if asked and str(asked).isdigit():
            offered |= Q(pk=int(asked))
        self.fields["within"].queryset = visible.filter(offered).distinct().order_by("path")
        self.fields["batch"].queryset = visible_batches(user)
