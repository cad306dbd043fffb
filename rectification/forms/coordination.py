from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Unit, UnitKind
from rectification.models import CoordinationReply, CoordinationRequest


def coordination_targets(task):
    """Whom a task's unit may ask: the units above it, and the departments under
    any of them (the city's and the district's 部门), never the task's own unit."""
    ancestor_ids = task.unit.ancestor_ids()
    return (
        Unit.objects.filter(Q(pk__in=ancestor_ids) | Q(kind=UnitKind.DEPARTMENT, parent_id__in=ancestor_ids))
        .exclude(pk=task.unit_id)
        .order_by("depth", "kind", "name")
    )


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name}({unit.get_kind_display()})"


class CoordinationRequestForm(forms.ModelForm):
    """需上级部门协调: what a unit asks of an upper department about one task."""

    to_unit = UnitChoiceField(label=_("Department or unit asked"), queryset=Unit.objects.none())

    class Meta:
        model = CoordinationRequest
        fields = ["to_unit", "subject", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"text": _("What the department should do, by when, and what has been tried.")}

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = coordination_targets(task)


class CoordinationReplyForm(forms.ModelForm):
    class Meta:
        model = CoordinationReply
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
