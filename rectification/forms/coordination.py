from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import Unit
from rectification.forms.tasks import upper_units
from rectification.models import CoordinationReply, CoordinationRequest


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name}({unit.get_kind_display()})"


class CoordinationRequestForm(forms.ModelForm):
    """需上级部门协调: what a unit asks of an upper department about one task.

    The one form for it, on the task's page and on a page of its own."""

    prefix = "coord"

    to_unit = UnitChoiceField(label=_("Department or upper unit to ask"), queryset=Unit.objects.none())

    class Meta:
        model = CoordinationRequest
        fields = ["to_unit", "subject", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"text": _("What the department should do, by when, and what has been tried.")}

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = upper_units(task.unit)


class CoordinationReplyForm(forms.ModelForm):
    class Meta:
        model = CoordinationReply
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
