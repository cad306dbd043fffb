"""The form a unit's staff report their figures with, and the unit above's return form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models.campaigns import LOOK_BACK_CHECKS
from rectification.figures import COUNTS, IndicatorEntry

COUNT_LABELS = {
    "members_expected": _("Members expected to take part (应参学)"),
    "members_participated": _("Members who took part (实际参学)"),
    "makeup_members": _("Members in make-up classes (补课)"),
    "members_transformed": _("Members educated and transformed (教育转化)"),
    "members_handled": _("Members handled organisationally (组织处理)"),
}


class FiguresForm(forms.Form):
    """Participation (for a unit taking part), the 五查五看 checklist (where the batch runs
    it) and one figure per indicator of the campaign, with evidence where it is asked for."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, participation, batch, indicators, values, **kwargs):
        super().__init__(*args, **kwargs)
        self.participation = participation
        self.batch = batch
        self.indicators = list(indicators)
        self.values = values  # indicator id -> IndicatorValue
        if participation is not None:
            for name in COUNTS:
                self.fields[name] = forms.IntegerField(
                    label=COUNT_LABELS[name], min_value=0, initial=getattr(participation, name),
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )  # fmt: skip
            if batch.five_checks:
                for name, label in LOOK_BACK_CHECKS:
                    self.fields[name] = forms.BooleanField(label=label, required=False, initial=getattr(participation, name))
            self.fields["look_back_note"] = forms.CharField(
                label=_("Look-back note"), required=False, max_length=2000, initial=participation.look_back_note,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("What is still open and why, for the unit above."),
            )  # fmt: skip
        for indicator in self.indicators:
            stored = values.get(indicator.pk)
            self.fields[f"indicator_{indicator.pk}"] = forms.DecimalField(
                label=f"{indicator.name}（{indicator.measure}）", required=False, min_value=0, max_digits=14,
                decimal_places=2, initial=stored.value if stored else None,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            )  # fmt: skip
            self.fields[f"indicator_{indicator.pk}_note"] = forms.CharField(
                label=_("Note"), required=False, max_length=300, initial=stored.note if stored else ""
            )
            if indicator.needs_evidence:
                self.fields[f"indicator_{indicator.pk}_evidence"] = forms.FileField(
                    label=_("Evidence"), required=False,
                    help_text=_("Required for this indicator: a PDF, a photo or an office document."),
                )  # fmt: skip

    @property
    def count_fields(self):
        return [self[name] for name in COUNTS if name in self.fields]

    @property
    def check_fields(self):
        return [self[name] for name, _label in LOOK_BACK_CHECKS if name in self.fields]

    @property
    def indicator_rows(self):
        rows = []
        for indicator in self.indicators:
            key = f"indicator_{indicator.pk}"
            evidence = self[f"{key}_evidence"] if f"{key}_evidence" in self.fields else None
            rows.append((indicator, self[key], self[f"{key}_note"], evidence, self.values.get(indicator.pk)))
        return rows

    def participation_data(self):
        if self.participation is None:
            return None
        data = {name: self.cleaned_data[name] for name in COUNTS}
        data["look_back_note"] = self.cleaned_data.get("look_back_note", "")
        if self.batch.five_checks:
            data.update({name: self.cleaned_data.get(name, False) for name, _label in LOOK_BACK_CHECKS})
        return data

    def indicator_entries(self):
        return [
            IndicatorEntry(
                indicator,
                self.cleaned_data.get(f"indicator_{indicator.pk}"),
                self.cleaned_data.get(f"indicator_{indicator.pk}_note", ""),
                self.cleaned_data.get(f"indicator_{indicator.pk}_evidence"),
            )
            for indicator in self.indicators
        ]


class ReturnFiguresForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the figures are returned"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the figures are returned: the unit corrects them from it.")},
    )  # fmt: skip
