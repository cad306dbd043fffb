"""Forms and filters of the supervisors' pages: the queue, spot checks, accountability."""

import datetime

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
    Finding,
    accountability_tasks,
    checkable_tasks,
    deciding_bodies,
    deciding_body_choices,
    draw_sample,
    group_tasks,
    group_units,
    groups_for,
    new_seed,
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


class ClosingDecisionForm(forms.Form):
    """On the task page, beside the evidence: close the task (予以销号) or return it (退回整改)."""

    CLOSE, RETURN = "close", "return"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(CLOSE, _("Close the task (予以销号)")), (RETURN, _("Return it for more work (退回整改)"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason or note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when returning: the staff read it on the task."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.RETURN and not cleaned.get("note", "").strip():
            self.add_error("note", _("Say why the task is returned."))
        return cleaned

    @property
    def approve(self):
        return self.cleaned_data["decision"] == self.CLOSE


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
    """Step 1: which group, when, and what: units (their own work, and their tasks to pick
    from by hand), or a random sample of tasks in any state, drawn with a recorded seed."""

    MAX_LISTED = 100

    group = forms.ModelChoiceField(label=_("Supervision group"), queryset=None)
    checked_on = forms.DateField(label=_("Date of the check"), widget=DATE_INPUT)
    units = UnitMultipleField(
        label=_("Units checked"),
        source="supervise",
        required=False,
        help_text=_(
            "Their look-back and rectification work is checked, and their tasks (in any state) are listed to "
            "check by hand; with a sample size, the sample is drawn among their tasks."
        ),
    )
    sample_size = forms.IntegerField(
        label=_("Draw a random sample of tasks"),
        required=False,
        min_value=1,
        max_value=MAX_LISTED,
        help_text=_("How many tasks, in any state, to draw at random within the group's scope (or the units chosen)."),
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        min_value=0,
        max_value=10**12,
        help_text=_("Left empty, one is chosen and recorded with the check; the same seed draws the same tasks again."),
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
        self.by_hand = True
        self.drawn_seed = None

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
            self.by_hand = False
            self.drawn_seed = cleaned.get("seed") if cleaned.get("seed") is not None else new_seed()
            self.tasks = draw_sample(group, size, self.drawn_seed, user=self.user, units=units)
            if not self.tasks:
                raise forms.ValidationError(_("There is no task to draw in this choice."))
        else:
            found = checkable_tasks(group, self.user, units).select_related("unit").order_by("unit_path", "pk")
            self.tasks = list(found[: self.MAX_LISTED + 1])
            if len(self.tasks) > self.MAX_LISTED:
                raise forms.ValidationError(
                    _("These units have more than %(max)s tasks: choose fewer units, or draw a sample.")
                    % {"max": self.MAX_LISTED}
                )
        return cleaned


class SpotCheckFindingsForm(forms.Form):
    """Step 2: for each unit and each task, passed or failed (with what was found); a failed
    task gets the new due date the group sets. Tasks listed by hand may be left unchecked;
    a random sample is judged in full."""

    SKIP, PASSED, FAILED = "", "passed", "failed"
    RESULTS = [(PASSED, _("Passed")), (FAILED, _("Failed: return for rectification again"))]
    UNIT_RESULTS = [(PASSED, _("Passed")), (FAILED, pgettext_lazy("spot-check result", "Failed"))]

    group = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    checked_on = forms.DateField(widget=forms.HiddenInput)
    units = forms.ModelMultipleChoiceField(queryset=Unit.objects.none(), required=False, widget=forms.MultipleHiddenInput)
    tasks = IdListField(required=False)
    seed = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sample_size = forms.IntegerField(required=False, widget=forms.HiddenInput)
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
        self.unit_list = list(self._units())
        drawn = self._value("sample_size") not in (None, "")
        self.by_hand = not drawn
        default_due = timezone.localdate() + datetime.timedelta(days=30)
        for unit in self.unit_list:
            self.fields[f"unit_result_{unit.pk}"] = forms.ChoiceField(
                label=_("Result"), choices=[(self.SKIP, _("Not checked")), *self.UNIT_RESULTS], required=False,
                widget=forms.RadioSelect, initial=self.SKIP,
            )  # fmt: skip
            self.fields[f"unit_note_{unit.pk}"] = forms.CharField(
                label=_("Finding"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1})
            )
        for task in tasks:
            if drawn:
                # No result chosen in advance: every task drawn is judged on purpose.
                field = forms.ChoiceField(label=_("Result"), choices=self.RESULTS, widget=forms.RadioSelect)
            else:
                field = forms.ChoiceField(
                    label=_("Result"), choices=[(self.SKIP, _("Not checked")), *self.RESULTS], required=False,
                    widget=forms.RadioSelect, initial=self.SKIP,
                )  # fmt: skip
            self.fields[f"result_{task.pk}"] = field
            self.fields[f"note_{task.pk}"] = forms.CharField(
                label=_("Finding"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1})
            )
            self.fields[f"due_{task.pk}"] = forms.DateField(
                label=_("New due date (when failed)"), required=False, widget=DATE_INPUT, initial=default_due
            )

    def _value(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def _units(self):
        if self.is_bound:
            ids = [value for value in self.data.getlist(self.add_prefix("units")) if str(value).isdigit()]
        else:
            ids = [getattr(unit, "pk", unit) for unit in self.initial.get("units") or []]
        return Unit.objects.restrict(self.user, SUPERVISE).filter(pk__in=ids).order_by("path")

    @property
    def rows(self):
        return [
            (task, self[f"result_{task.pk}"], self[f"note_{task.pk}"], self[f"due_{task.pk}"]) for task in self.task_list
        ]

    @property
    def unit_rows(self):
        return [(unit, self[f"unit_result_{unit.pk}"], self[f"unit_note_{unit.pk}"]) for unit in self.unit_list]

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
        today = timezone.localdate()
        for task in self.task_list:
            if cleaned.get(f"result_{task.pk}") != self.FAILED:
                continue
            if not cleaned.get(f"note_{task.pk}", "").strip():
                self.add_error(f"note_{task.pk}", _("Say what was found wrong."))
            due = cleaned.get(f"due_{task.pk}")
            if due is None:
                self.add_error(f"due_{task.pk}", _("Set the new due date by which the unit rectifies again."))
            elif due < today:
                self.add_error(f"due_{task.pk}", _("The new due date cannot be in the past."))
        for unit in self.unit_list:
            if cleaned.get(f"unit_result_{unit.pk}") == self.FAILED and not cleaned.get(f"unit_note_{unit.pk}", "").strip():
                self.add_error(f"unit_note_{unit.pk}", _("Say what was found wrong."))
        if not self.errors and not self.findings() and not self.unit_findings():
            raise forms.ValidationError(_("Record at least one finding."))
        return cleaned

    def findings(self):
        found = []
        for task in self.task_list:
            result = self.cleaned_data.get(f"result_{task.pk}")
            if result in (self.PASSED, self.FAILED):
                passed = result == self.PASSED
                due = None if passed else self.cleaned_data.get(f"due_{task.pk}")
                found.append(Finding(task, passed, self.cleaned_data.get(f"note_{task.pk}", ""), due))
        return found

    def unit_findings(self):
        found = []
        for unit in self.unit_list:
            result = self.cleaned_data.get(f"unit_result_{unit.pk}")
            if result in (self.PASSED, self.FAILED):
                found.append((unit, result == self.PASSED, self.cleaned_data.get(f"unit_note_{unit.pk}", "")))
        return found


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
    deciding_unit = UnitField(
        label=_("Decided by"),
        source="deciding",
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
        self.fields["deciding_unit"].queryset = deciding_body_choices(user)
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
