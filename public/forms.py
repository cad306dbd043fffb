"""Forms of the public pages and of the staff's pages of the public's side."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Batch
from rectification.models.problems import ProblemCategory

from .models import Answer, SurveyMode, SurveyScope
from .models.opinions import NAME_MAX, PHONE_MAX, TEXT_MAX
from .models.plans import PREAMBLE_MAX
from .models.surveys import COMMENT_MAX

PHONE = re.compile(r"^[0-9+\- ()]{5,30}$")


class HoneypotMixin(forms.Form):
    """A field people never see and bots fill in."""

    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError(_("Your submission could not be accepted."))
        return cleaned


class OpinionForm(HoneypotMixin):
    unit = forms.ModelChoiceField(label=_("Unit concerned"), queryset=None, empty_label=_("— choose a unit —"))
    text = forms.CharField(
        label=_("Your opinion"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": TEXT_MAX}),
        help_text=_("What is wrong, where, since when. At most %(max)s characters.") % {"max": TEXT_MAX},
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=NAME_MAX, required=False)
    phone = forms.CharField(
        label=_("Your phone (optional)"),
        max_length=PHONE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Only the unit concerned sees your name and phone, to reach you; they are erased after the campaign."),
    )

    def __init__(self, *args, units, fixed_unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if fixed_unit is not None:
            self.fields["unit"].widget = forms.HiddenInput()
            self.fields["unit"].initial = fixed_unit.pk
        self.order_fields(["unit", "text", "name", "phone", "website"])

    def clean_text(self):
        text = self.cleaned_data["text"].replace("\r\n", "\n").strip()
        if not text:
            raise ValidationError(_("Write your opinion."))
        return text

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE.match(phone):
            raise ValidationError(_("Write a phone number with digits only (dashes and spaces allowed)."))
        return phone


class PlanCommentForm(OpinionForm):
    """An opinion on a published plan: the unit is the plan's."""


class StatusLookupForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class SurveyAnswerForm(HoneypotMixin):
    answer = forms.ChoiceField(label=_("Are you satisfied?"), choices=Answer.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
    )

    def __init__(self, *args, with_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_code:
            self.fields["code"] = forms.CharField(label=_("The code on your slip"), max_length=20)
            self.order_fields(["code", "answer", "comment", "website"])


# --- staff -------------------------------------------------------------------------------------


class AcceptForm(forms.Form):
    title = forms.CharField(label=_("Problem title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=ProblemCategory.choices)
    batch = forms.ModelChoiceField(label=_("Batch"), queryset=Batch.objects.none())

    def __init__(self, *args, opinion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = Batch.objects.filter(campaign=opinion.campaign_id)


class MergeForm(forms.Form):
    problem = forms.ModelChoiceField(label=_("Problem already recorded"), queryset=None)

    def __init__(self, *args, problems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = problems


class ForwardForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("Forward to"), queryset=None)
    note = forms.CharField(label=_("Note for that unit"), max_length=500, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = units


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the person who wrote it reads this)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PreambleForm(forms.Form):
    preamble = forms.CharField(
        label=_("Preamble"),
        max_length=PREAMBLE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The guiding ideas, goals and steps of the plan; the problems and tasks follow from the ledger."),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return"))], widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason or note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why the plan is returned."))
        return cleaned


class PublishForm(forms.Form):
    comment_until = forms.DateField(label=_("Public comments until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class SurveyRoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    units = forms.ModelMultipleChoiceField(
        label=_("Units rated"), queryset=None, help_text=_("Hold Ctrl (or ⌘) to choose several.")
    )
    scope = forms.ChoiceField(label=_("What is rated"), choices=SurveyScope.choices)
    mode = forms.ChoiceField(label=_("How the public answers"), choices=SurveyMode.choices, widget=forms.RadioSelect)
    tokens_per_unit = forms.IntegerField(label=_("Codes per unit (printed slips)"), min_value=0, max_value=500, initial=50, required=False)
    per_address_limit = forms.IntegerField(label=_("Answers per address and unit (open link)"), min_value=1, max_value=1000, initial=30)
    closes_on = forms.DateField(label=_("Closes on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units
        self.fields["closes_on"].initial = timezone.localdate() + timezone.timedelta(days=14)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == SurveyMode.TOKENS and not cleaned.get("tokens_per_unit"):
            self.add_error("tokens_per_unit", _("Say how many codes to print for each unit."))
        return cleaned
