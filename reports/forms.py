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


class ReportScopeForm(forms.Form):
    """The scope of a report: a unit the user oversees (its subtree), a batch or all, an as-of date."""

    unit = UnitField(label=_("Unit"), source="oversee")
    batch = forms.ModelChoiceField(label=_("Batch"), queryset=None, required=False, empty_label=_("All batches"))
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from campaign.permissions import OVERSEE

        self.fields["unit"].queryset = Unit.objects.restrict(user, OVERSEE)
        self.fields["batch"].queryset = visible_batches(user)


class ReportRequestForm(ReportScopeForm):
    """Ask for a report of a scope."""

    kind = forms.ChoiceField(label=_("Report"), choices=())
    number = forms.CharField(
        label=_("Document number (文号)"), max_length=100, required=False,
        help_text=_("Printed under the circular's title, e.g. 乌教活办〔2026〕12号."),
    )

    field_order = ["kind", "unit", "batch", "as_of", "number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from reports.models import ReportKind

        self.fields["kind"].choices = ReportKind.choices


class NarrativeForm(forms.Form):
    """The summary's narrative paragraphs of a scope, each with the version it was read at."""

    def __init__(self, *args, texts, versions, **kwargs):
        super().__init__(*args, **kwargs)
        from reports import summary

        for key in summary.KEYS:
            heading = summary.is_heading(key)
            self.fields[key] = forms.CharField(
                label=summary.label(key),
                required=False,
                initial=texts.get(key, ""),
                max_length=200 if heading else 5000,
                widget=forms.TextInput(attrs={"size": 60}) if heading else forms.Textarea(attrs={"rows": 4}),
            )
            self.fields[f"{key}__version"] = forms.IntegerField(
                initial=versions.get(key, 0), widget=forms.HiddenInput, required=False
            )

    def texts(self):
        from reports import summary

        return {key: self.cleaned_data[key] for key in summary.KEYS}

    def versions(self):
        from reports import summary

        return {key: self.cleaned_data.get(f"{key}__version") or 0 for key in summary.KEYS}

    def text_fields(self):
        from reports import summary

        return [self[key] for key in summary.KEYS]


class UrgeManyForm(forms.Form):
    """催办 from the dashboard: one message and a reply deadline for the ticked tasks."""

    message = forms.CharField(label=_("Message to the units"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    reply_by = forms.DateField(label=_("Reply by"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
