"""Forms of the staff's daily pages: problems, tasks and the steps of a task's work."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign import permissions
from campaign.models import Batch, Campaign, Unit, UnitKind
from campaign.permissions import EDIT, VIEW
from campaign.upload_limits import too_large_message, too_many_files_message
from campaign.widgets import UnitField, UnitMultipleField, unit_source
from rectification.models import Problem, Task
from rectification.models.decisions import ExplanationReason
from rectification.services import EDITABLE_FIELDS
from rectification.uploads import ALLOWED, check_upload

ACCEPTED_EXTENSIONS = ",".join(sorted(ext for extensions, _mime in ALLOWED.values() for ext in extensions))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_EXTENSIONS}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def normalise_newlines(value):
    """Browsers send CRLF; store LF, so that the value an editor saw compares equal to the stored one."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def editable_units(user):
    """Units whose tasks the user may enter and edit."""
    return Unit.objects.restrict(user, EDIT)


def upper_units(unit):
    """Where a unit can turn for coordination: its ancestors, and departments placed under them."""
    ancestor_ids = unit.ancestor_ids()[:-1]
    return (
        Unit.objects.filter(Q(pk__in=ancestor_ids) | Q(kind=UnitKind.DEPARTMENT, parent_id__in=ancestor_ids))
        .exclude(pk=unit.pk)
        .order_by("depth", "kind", "name")
    )


@unit_source("roots")
def root_units(user):
    """Where a problem's root may lie: units the user sees, the units above them and
    the departments placed under those."""
    paths = permissions.access(user).paths(VIEW)
    if paths is permissions.EVERYTHING:
        return Unit.objects.order_by("path")
    ancestor_ids = {unit_id for path in paths for unit_id in permissions.ancestor_ids(path)}
    return Unit.objects.filter(
        Q(pk__in=Unit.objects.visible_to(user).values("pk"))
        | Q(pk__in=ancestor_ids)
        | Q(kind=UnitKind.DEPARTMENT, parent_id__in=ancestor_ids)
    ).order_by("path")


def check_files(files):
    """The count and total size of the files, then every file through check_upload;
    one message per bad file."""
    if len(files) > settings.UPLOAD_MAX_FILES:
        raise ValidationError(too_many_files_message(settings.UPLOAD_MAX_FILES))
    if sum(upload.size for upload in files) > settings.UPLOAD_MAX_REQUEST_BYTES:
        raise ValidationError(too_large_message(settings.UPLOAD_MAX_REQUEST_BYTES))
    errors = []
    for upload in files:
        try:
            check_upload(upload)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return files


# --- problems and tasks -------------------------------------------------------------


class ProblemForm(forms.ModelForm):
    unit = UnitField(label=Problem._meta.get_field("unit").verbose_name, source="edit")
    root_unit = UnitField(
        label=Problem._meta.get_field("root_unit").verbose_name,
        source="roots",
        required=False,
        help_text=Problem._meta.get_field("root_unit").help_text,
    )

    class Meta:
        model = Problem
        fields = ["title", "description", "source", "category", "unit", "root_unit", "batch", "found_on"]
        widgets = {"found_on": DateInput(), "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = editable_units(user).order_by("path")
        self.fields["unit"].queryset = units
        self.fields["root_unit"].queryset = root_units(user)
        self.fields["batch"].queryset = Batch.objects.filter(
            campaign__in=Campaign.objects.visible_to(user)
        ).select_related("campaign")
        self.fields["found_on"].initial = timezone.localdate()

    def clean_description(self):
        return normalise_newlines(self.cleaned_data["description"])

    def clean_found_on(self):
        found_on = self.cleaned_data["found_on"]
        if found_on > timezone.localdate():
            raise ValidationError(_("The date found cannot be in the future."))
        return found_on

    def clean(self):
        cleaned = super().clean()
        unit, batch = cleaned.get("unit"), cleaned.get("batch")
        if unit is not None and batch is not None:
            joined = list(
                unit.participations.filter(batch__campaign_id=batch.campaign_id).select_related("batch")
            )
            if joined and batch.pk not in {p.batch_id for p in joined}:
                self.add_error(
                    "batch",
                    _("%(unit)s takes part in %(batches)s, not in %(batch)s.")
                    % {"unit": unit.name, "batches": "、".join(p.batch.name for p in joined), "batch": batch.name},
                )
        return cleaned


class TaskFieldsMixin:
    """What creating and editing share: dates in order, co-units from the visible ones."""

    def setup_co_units(self, user, task=None):
        visible = Unit.objects.visible_to(user)
        query = Q(pk__in=visible.values("pk"))
        if task is not None and task.pk:
            # keep co-units the editor cannot see, so that saving never drops them
            query |= Q(co_tasks=task)
        self.fields["co_units"].queryset = Unit.objects.filter(query)
        self.fields["co_units"].required = False
        self.fields["co_units"].help_text = _("Type a name and pick each unit from the list.")

    def clean_measures(self):
        return normalise_newlines(self.cleaned_data["measures"])

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start_date")
        due = cleaned.get("due_date") if "due_date" in self.fields else self.instance.due_date
        if start and due and due < start:
            if "due_date" in self.fields:
                self.add_error("due_date", _("The due date cannot be before the start date."))
            else:
                self.add_error("start_date", _("The start date cannot be after the due date."))
        unit = cleaned.get("unit") or getattr(self.instance, "unit", None)
        if unit is not None and cleaned.get("co_units") and unit in cleaned["co_units"]:
            self.add_error("co_units", _("The responsible unit cannot also be co-responsible."))
        parent = cleaned.get("parent")
        if parent is not None and unit is not None and not unit.path.startswith(parent.unit.path):
            self.add_error(
                "unit",
                _("A sub-task goes to %(unit)s or a unit below it, where its parent task lies.")
                % {"unit": parent.unit.name},
            )
        return cleaned


CO_UNITS_LABEL = Task._meta.get_field("co_units").verbose_name


class TaskCreateForm(TaskFieldsMixin, forms.ModelForm):
    unit = UnitField(label=Task._meta.get_field("unit").verbose_name, source="edit")
    co_units = UnitMultipleField(label=CO_UNITS_LABEL, source="visible", required=False)

    class Meta:
        model = Task
        fields = [
            "title",
            "measures",
            "unit",
            "co_units",
            "leader_name",
            "person_name",
            "term",
            "start_date",
            "due_date",
            "parent",
        ]
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "measures": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, user, problem, **kwargs):
        super().__init__(*args, **kwargs)
        self.problem = problem
        units = editable_units(user).order_by("path")
        self.fields["unit"].queryset = units
        if units.filter(pk=problem.unit_id).exists():
            self.fields["unit"].initial = problem.unit_id
        self.fields["parent"].queryset = problem.tasks.visible_to(user).open().select_related("unit")
        self.fields["parent"].help_text = _("Only when this task is one part of a larger task of the same problem.")
        self.fields["start_date"].initial = timezone.localdate()
        self.setup_co_units(user)


class TaskForm(TaskFieldsMixin, forms.ModelForm):
    """Edit a task. Carries the version and the values the editor loaded, so that a
    save over someone else's save is refused and shown (see services.update_task)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    co_units = UnitMultipleField(label=CO_UNITS_LABEL, source="visible", required=False)

    class Meta:
        model = Task
        fields = [*EDITABLE_FIELDS, "co_units"]
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "measures": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in EDITABLE_FIELDS:
            self.fields[f"seen_{name}"] = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
        if not self.is_bound:
            self.initial.update(self.seen_initial(self.instance))
        self.setup_co_units(user, self.instance)

    @staticmethod
    def seen_initial(task):
        values = {f"seen_{name}": normalise_newlines(str(getattr(task, name))) for name in EDITABLE_FIELDS}
        values["version"] = task.version
        return values

    def seen_values(self):
        return {name: normalise_newlines(self.cleaned_data[f"seen_{name}"]) for name in EDITABLE_FIELDS}

    def edited_values(self):
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


# --- the steps of a task's work -----------------------------------------------------


class ProgressForm(forms.Form):
    prefix = "progress"

    entry_date = forms.DateField(label=_("Date"), widget=DateInput())
    text = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    percent = forms.IntegerField(
        label=_("Percent done"), min_value=0, max_value=100, widget=forms.NumberInput(attrs={"step": 5})
    )
    files = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("Photos (JPEG, PNG, WebP), PDF or office documents; several at once."),
    )

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry_date"].initial = timezone.localdate()
        if task is not None:
            self.fields["percent"].initial = task.progress

    def clean_entry_date(self):
        entry_date = self.cleaned_data["entry_date"]
        if entry_date > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return entry_date

    def clean_text(self):
        return normalise_newlines(self.cleaned_data["text"])

    def clean_files(self):
        return check_files(self.cleaned_data["files"])


class VerificationRequestForm(forms.Form):
    prefix = "closing"

    note = forms.CharField(
        label=_("Summary of the work done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done, and what the evidence shows."),
    )


class ExplanationForm(forms.Form):
    prefix = "explain"

    reason_code = forms.ChoiceField(label=_("Main reason"), choices=[("", "---------"), *ExplanationReason.choices])
    text = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionForm(forms.Form):
    prefix = "extend"

    new_due_date = forms.DateField(label=_("New due date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task

    def clean_new_due_date(self):
        new_due_date = self.cleaned_data["new_due_date"]
        if new_due_date <= self.task.due_date:
            raise ValidationError(
                _("The new due date must be later than the current one (%(date)s).")
                % {"date": f"{self.task.due_date:%Y-%m-%d}"}
            )
        return new_due_date
