"""Forms and filters of the supervisors' pages: the queue, spot checks, accountability."""

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign import permissions
from campaign.models import Unit
from campaign.permissions import DECIDE, SUPERVISE, outermost, paths_q
from campaign.widgets import UnitField, UnitMultipleField
from rectification.models import Task
from rectification.models.supervision import AccountabilityMeasure
from rectification.uploads import check_upload
from rectification.spotchecks import (
    accountability_tasks,
    deciding_bodies,
    deciding_body_choices,
    checkable_tasks,
    draw_sample,
    group_tasks,
    group_units,
    groups_for,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IdListField(forms.TypedMultipleChoiceField):
    """Ids ticked in a list; which of them may be acted on is the view's business."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": _("Select at least one task.")})
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value):
        return str(value).isdigit()


# --- the queue ------------------------------------------------------------------


class VerificationBulkForm(forms.Form):
    """Approve or return (退回) the ticked verification requests, with one note for all."""

    APPROVE, RETURN = "approve", "return"

    action = forms.ChoiceField(label=_("Decision"), choices=[(APPROVE, _("Close the tasks")), (RETURN, _("Return the tasks"))])
    ids = IdListField(label=_("Tasks"))
    note = forms.CharField(
        label=_("Reason or note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when returning: the staff read it on the task."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.RETURN and not cleaned.get("note", "").strip():
            self.add_error("note", _("Say why the tasks are returned."))
        return cleaned


class ExtensionDecisionForm(forms.Form):
    APPROVE, REFUSE = "approve", "refuse"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve the new date")), (REFUSE, _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.REFUSE and not cleaned.get("note", "").strip():
            self.add_error("note", _("Say why the extension is refused."))
        return cleaned

    @property
    def approve(self):
        return self.cleaned_data["decision"] == self.APPROVE


class ExplanationReviewForm(forms.Form):
    """认可 or 不予认可（要求重新说明）, with a note the unit reads (required when refusing)."""

    ACCEPT, REFUSE = "accept", "refuse"

    decision = forms.ChoiceField(
        label=pgettext_lazy("explanation review", "Review"),
        choices=[(ACCEPT, pgettext_lazy("explanation review", "Accept")), (REFUSE, _("Do not accept (explain again)"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Accept the explanation or ask the unit to explain again.")},
    )
    note = forms.CharField(
        label=_("Note to the unit"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1}),
        help_text=_("Required when the explanation is not accepted."),
    )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.REFUSE and not cleaned.get("note", "").strip():
            self.add_error("note", _("Say why the explanation is not accepted: the unit explains again from it."))
        return cleaned

    @property
    def accepted(self):
        return self.cleaned_data["decision"] == self.ACCEPT


class UrgeForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the unit"),
        max_length=1000,
        initial=_("This task is overdue. Please report progress and explain the delay without further delay."),
        error_messages={"required": _("Write what the unit should do.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- spot checks ----------------------------------------------------------------


def units_watched_by(groups, user):
    """Units inside the subtrees watched by ``groups`` and inside the user's supervision scope."""
    watched = outermost(set(Unit.objects.filter(supervision_groups__in=groups).values_list("path", flat=True)))
    return Unit.objects.restrict(user, SUPERVISE).filter(paths_q(watched, "path")).order_by("path")


def not_in_future(day):
    """A check or a decision is recorded after it happened: never a future date."""
    if day and day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return day


class SpotCheckStartForm(forms.Form):
    """Step 1: which group, when, and which tasks: chosen units, or a random sample."""

    MAX_LISTED = 100

    group = forms.ModelChoiceField(label=_("Supervision group"), queryset=None)
    checked_on = forms.DateField(label=_("Date of the check"), widget=DATE_INPUT)
    units = UnitMultipleField(
        label=_("Units checked"),
        source="supervise",
        required=False,
        help_text=_("Their closed tasks are checked; with a sample size, the sample is drawn among them."),
    )
    sample_size = forms.IntegerField(
        label=_("Draw a random sample of closed tasks"),
        required=False,
        min_value=1,
        max_value=MAX_LISTED,
        help_text=_("How many closed tasks to draw at random within the group's scope (or the units chosen)."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        groups = groups_for(user).select_related("campaign").order_by("campaign", "name")
        self.fields["group"].queryset = groups
        self.fields["checked_on"].initial = timezone.localdate()
        if len(groups) == 1:
            self.fields["group"].initial = groups[0].pk
        self.fields["units"].queryset = units_watched_by(groups, user)
        self.tasks = []

    def clean_checked_on(self):
        return not_in_future(self.cleaned_data["checked_on"])

    def clean(self):
        cleaned = super().clean()
        group, units, size = cleaned.get("group"), cleaned.get("units"), cleaned.get("sample_size")
        if group is None or self.errors:
            return cleaned
        if units:
            allowed = set(group_units(group, self.user).filter(pk__in=[u.pk for u in units]).values_list("pk", flat=True))
            outside = [unit for unit in units if unit.pk not in allowed]
            if outside:
                self.add_error("units", _("%(unit)s is not watched by this group.") % {"unit": outside[0]})
                return cleaned
        if not units and not size:
            raise forms.ValidationError(_("Choose the units to check, or how many tasks to draw at random."))
        if size:
            self.tasks = draw_sample(group, size, user=self.user, units=units)
        else:
            found = checkable_tasks(group, self.user, units).select_related("unit").order_by("unit_path", "pk")
            self.tasks = list(found[: self.MAX_LISTED + 1])
            if len(self.tasks) > self.MAX_LISTED:
                raise forms.ValidationError(
                    _("These units have more than %(max)s closed tasks: choose fewer units, or draw a sample.")
                    % {"max": self.MAX_LISTED}
                )
        if not self.tasks:
            raise forms.ValidationError(_("There is no closed task to check in this choice."))
        return cleaned


class SpotCheckFindingsForm(forms.Form):
    """Step 2: passed or failed (with a note) for every task drawn, and a summary."""

    PASSED, FAILED = "passed", "failed"
    RESULTS = [(PASSED, _("Passed")), (FAILED, _("Failed: reopen the task"))]

    group = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    checked_on = forms.DateField(widget=forms.HiddenInput)
    units = forms.ModelMultipleChoiceField(queryset=Unit.objects.none(), required=False, widget=forms.MultipleHiddenInput)
    tasks = IdListField()
    summary = forms.CharField(label=_("Summary"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user, tasks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["group"].queryset = groups_for(user)
        self.fields["units"].queryset = Unit.objects.restrict(user, SUPERVISE)
        if tasks is None:
            ids = [int(value) for value in self.data.getlist(self.add_prefix("tasks")) if str(value).isdigit()]
            tasks = list(
                Task.objects.restrict(user, SUPERVISE).filter(pk__in=ids).select_related("unit").order_by("unit_path", "pk")
            )
        else:
            self.initial["tasks"] = [task.pk for task in tasks]
        self.task_list = tasks
        for task in tasks:
            self.fields[f"result_{task.pk}"] = forms.ChoiceField(
                # No result chosen in advance: every task drawn is judged on purpose.
                label=_("Result"), choices=self.RESULTS, widget=forms.RadioSelect
            )
            self.fields[f"note_{task.pk}"] = forms.CharField(
                label=_("Finding"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1})
            )

    @property
    def rows(self):
        return [(task, self[f"result_{task.pk}"], self[f"note_{task.pk}"]) for task in self.task_list]

    def clean(self):
        cleaned = super().clean()
        group = cleaned.get("group")
        ids = cleaned.get("tasks") or []
        if group is not None and ids:
            allowed = set(group_tasks(group, self.user).filter(pk__in=ids).values_list("pk", flat=True))
            if len(self.task_list) != len(set(ids)):
                raise forms.ValidationError(_("Some of these tasks are not within this group's scope. Start again."))
            for task in self.task_list:
                if task.pk not in allowed:
                    reason = permissions.refusal(self.user, DECIDE, task) or _("It is not within this group's scope.")
                    self.add_error(None, _("“%(task)s”: %(reason)s") % {"task": task, "reason": reason})
        for task in self.task_list:
            if cleaned.get(f"result_{task.pk}") == self.FAILED and not cleaned.get(f"note_{task.pk}", "").strip():
                self.add_error(f"note_{task.pk}", _("Say what was found wrong."))
        return cleaned

    def findings(self):
        return [
            (task, self.cleaned_data[f"result_{task.pk}"] == self.PASSED, self.cleaned_data[f"note_{task.pk}"])
            for task in self.task_list
        ]


# --- accountability -------------------------------------------------------------


class AccountabilityForm(forms.Form):
    """A measure against a unit or a person, linked to the unit's tasks that prompted it."""

    MAX_TASKS_LISTED = 200

    unit = UnitField(label=_("Unit"), source="supervise")
    person_name = forms.CharField(
        label=_("Person"), required=False, max_length=100, help_text=_("Leave empty when the measure concerns the unit.")
    )
    person_post = forms.CharField(label=_("Post"), required=False, max_length=100, help_text=_("E.g. 党支部书记."))
    measure = forms.ChoiceField(label=_("Measure"), choices=[("", "---------"), *AccountabilityMeasure.choices])
    tasks = forms.ModelMultipleChoiceField(
        label=_("Tasks concerned"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    decided_on = forms.DateField(label=_("Date decided"), widget=DATE_INPUT)
    deciding_unit = forms.ModelChoiceField(
        label=_("Decided by"),
        queryset=None,
        help_text=_("The body that decided: the unit itself, a unit above it or one of their departments (纪委, 组织部)."),
    )
    document = forms.FileField(
        label=_("Decision document"), required=False, help_text=_("The decision as issued: a PDF, a photo or an office document.")
    )
    note = forms.CharField(label=_("Details"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Offered: the units the user supervises; one that separation of duties keeps from
        # them is refused with the reason (see clean), not silently missing.
        self.fields["unit"].queryset = Unit.objects.restrict(user, SUPERVISE).order_by("path")
        # Choosing a unit reloads the list of its tasks in place (htmx); the page works without it too.
        self.fields["unit"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("rectification:accountability_create"),
                "hx-trigger": "change",
                "hx-target": "#linked-tasks",
                "hx-select": "#linked-tasks",
                "hx-swap": "outerHTML",
            }
        )
        self.fields["decided_on"].initial = timezone.localdate()
        self.fields["deciding_unit"].queryset = deciding_body_choices(user).order_by("depth", "path")
        self.fields["tasks"].queryset = accountability_tasks(user)
        self.selected_unit = self._unit_chosen()

    def clean_decided_on(self):
        return not_in_future(self.cleaned_data["decided_on"])

    def _unit_chosen(self):
        value = self.data.get(self.add_prefix("unit")) if self.is_bound else self.initial.get("unit")
        if not value or not str(value).isdigit():
            return None
        return self.fields["unit"].queryset.filter(pk=value).first()

    def task_options(self):
        """The unit's tasks to tick, worst first (a long list is cut), plus those already ticked."""
        if self.selected_unit is None:
            return []
        chosen = {str(value) for value in (self["tasks"].value() or [])}
        tasks = accountability_tasks(self.user, self.selected_unit).select_related("unit")
        listed = list(tasks.order_by("-warning_level", "due_date", "pk")[: self.MAX_TASKS_LISTED])
        listed_ids = {str(task.pk) for task in listed}
        missing = [pk for pk in chosen - listed_ids if pk.isdigit()]
        if missing:
            listed += list(tasks.filter(pk__in=missing))
        return [(task, str(task.pk) in chosen) for task in listed]

    def clean(self):
        cleaned = super().clean()
        unit, tasks = cleaned.get("unit"), cleaned.get("tasks") or []
        refusal = permissions.refusal(self.user, DECIDE, unit) if unit is not None else None
        if refusal:
            self.add_error("unit", refusal)
        elif unit is not None:
            outside = [task for task in tasks if not task.unit_path.startswith(unit.path)]
            if outside:
                self.add_error("tasks", _("Only tasks of the unit and the units below it can be linked."))
            body = cleaned.get("deciding_unit")
            if body is not None and not deciding_bodies(unit).filter(pk=body.pk).exists():
                self.add_error(
                    "deciding_unit",
                    _("%(body)s is neither %(unit)s, a unit above it, nor one of their departments.")
                    % {"body": body.name, "unit": unit.name},
                )
        if cleaned.get("person_post", "").strip() and not cleaned.get("person_name", "").strip():
            self.add_error("person_name", _("Name the person whose post is given."))
        document = cleaned.get("document")
        if document:
            try:
                check_upload(document)
            except forms.ValidationError as error:
                self.add_error("document", error)
        return cleaned
