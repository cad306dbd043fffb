"""The staff's daily pages: my unit's tasks, the task list, a task with its timeline
and the steps of its work, problems, and evidence downloads.

Every task is fetched through ``Task.objects.visible_to(user)`` (404 otherwise);
each step then asks rectification.permissions (403 when the user may see the
task but not take the step). The steps themselves are rectification.services.
"""

import copy
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2.views import SingleTableMixin

from campaign import paging, permissions
from campaign.exports import ExportMixin
from campaign.paging import KeysetListMixin, capped_count
from campaign.permissions import DECIDE, EDIT, EXPLAIN, INSTRUCT, OWN, REPORT, SUPERVISE, VIEW
from campaign.upload_limits import refuse_if_stopped
from rectification import queues, rollups, services, timeline
from rectification.filters import TaskFilterSet
from rectification.forms.coordination import CoordinationRequestForm
from rectification.forms.instructions import task_instruction_form
from rectification.forms.tasks import (
    ExplanationForm,
    ExtensionForm,
    ProblemForm,
    ProgressForm,
    TaskCreateForm,
    TaskForm,
    VerificationRequestForm,
    editable_units,
    normalise_newlines,
)
from rectification.forms.supervision import ClosingDecisionForm, ExtensionDecisionForm
from rectification.models import Evidence, Problem, Task, TaskStatus, Term, Verification, WarningLevel
from rectification.models.decisions import Decision
from rectification.services import EDITABLE_FIELDS, EditConflict, TransitionRefused
from rectification.tables import TASK_SORTS, TaskTable

# --- my unit's tasks ------------------------------------------------------------------


@login_required
def my_tasks(request):
    """The staff's home: what their own units have on, worst first.

    The figures come from the roll-ups of the user's own units, plus the tasks
    they share as a co-responsible unit elsewhere; the open tasks are a keyset list.
    """
    user = request.user
    tasks = Task.objects.restrict(user, OWN)
    figures = rollups.scope_figures(user, action=OWN)
    counts = figures.as_counts()
    beyond = permissions.beyond_own_subtrees(Task.objects.all(), user, OWN).counts()
    for key, value in beyond.items():
        if key != "closed_rate":
            counts[key] += value
    status_counts = [(value, label, counts[f"status_{value}"]) for value, label in TaskStatus.choices]
    level_counts = [(value, label, counts[f"level_{value}"]) for value, label in WarningLevel.choices]
    # Only those who keep the unit's ledger (its staff, 填报员) are asked to explain.
    to_explain = list(
        Task.objects.restrict(user, EXPLAIN).needing_explanation().with_related().order_by("due_date", "pk")[:50]
    )
    today = timezone.localdate()
    for task in to_explain:
        task.days_overdue = (today - task.due_date).days
    open_tasks = tasks.open().with_related().with_urgency().exclude(pk__in=[task.pk for task in to_explain])
    open_count = counts[f"status_{TaskStatus.IN_PROGRESS}"] + counts[f"status_{TaskStatus.PENDING_VERIFICATION}"]
    page = paging.paged(request, open_tasks, TASK_SORTS, count=paging.Tally(max(open_count - len(to_explain), 0)))
    table = TaskTable(page.object_list, request=request, order_by=paging.sort_parameter(request, TASK_SORTS) or None)
    context = {
        "has_units": permissions.has_any(user, OWN),
        "can_create": editable_units(user).exists(),
        "counts": counts,
        "status_counts": status_counts,
        "level_counts": level_counts,
        "to_explain": to_explain,
        "table": table,
        "page": page,
    }
    if queues.is_supervisor(user):  # supervisors are told what waits for their decision, not asked to explain
        context["to_decide"] = {
            "verifications": capped_count(queues.pending_verifications(user, detailed=False)),
            "extensions": capped_count(queues.pending_extensions(user, detailed=False)),
            "explanations": capped_count(queues.unreviewed_explanations(user, detailed=False)),
        }
    return render(request, "rectification/my_tasks.html", context)


# --- the task list ---------------------------------------------------------------------


class TaskListView(LoginRequiredMixin, ExportMixin, KeysetListMixin, SingleTableMixin, FilterView):
    """Tasks in the user's scope: one queryset, one FilterSet, one Table; keyset pages
    in one of the sorts an index serves (TASK_SORTS)."""

    table_class = TaskTable
    filterset_class = TaskFilterSet
    template_name = "rectification/task_list.html"
    keysets = TASK_SORTS
    export_name = gettext_lazy("Rectification tasks")
    background_kind = "tasks"  # rectification.exports

    def get_queryset(self):
        return Task.objects.visible_to(self.request.user).with_related()

    def keyset_rows(self, rows):
        return rows.with_urgency()

    def export_rows(self):
        return self.object_list.with_urgency()

    def list_count(self, rows):
        """Exact from the roll-ups when the list is a scope (a unit's subtree, a batch);
        otherwise counted up to a cap."""
        form = self.filterset.form
        data = form.cleaned_data if form.is_valid() else None
        if data is None or {name for name, value in data.items() if value not in (None, "", False)} - {"within", "batch"}:
            return capped_count(rows)
        return rollups.visible_task_count(self.request.user, within=data.get("within"), batch=data.get("batch"))

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = editable_units(self.request.user).exists()
        return context


# --- one task ----------------------------------------------------------------------------


@dataclass
class Allowed:
    """What the user may do to this task, asked of the permission layer once per request."""

    edit: bool
    report: bool
    supervise: bool = False
    instruct: bool = False  # a leader over the task's unit writes a 批示 on it (open or closed)

    @classmethod
    def of(cls, user, task):
        is_open = task.is_open
        edit = is_open and permissions.may(user, EDIT, task)
        return cls(
            edit=edit,
            report=is_open and (edit or permissions.may(user, REPORT, task)),
            supervise=is_open and permissions.may(user, SUPERVISE, task),
            instruct=permissions.may(user, INSTRUCT, task.unit),
        )


def visible_task(request, pk):
    tasks = Task.objects.visible_to(request.user).with_related().select_related("parent", "created_by")
    return get_object_or_404(tasks, pk=pk)


def detail_context(request, task, allowed, **forms):
    """Everything the task page and its partials show; ``forms`` replace the blank ones."""
    task_timeline = timeline.build(task)
    open_in_progress = task.status == TaskStatus.IN_PROGRESS
    returned = task_timeline.returned if open_in_progress else None
    pending_extension = task.extension_requests.filter(decision=Decision.PENDING).first() if task.is_open else None
    blank = {
        "progress_form": ProgressForm(task=task) if allowed.report else None,
        "verification_form": VerificationRequestForm() if allowed.edit and open_in_progress else None,
        "explanation_form": ExplanationForm() if allowed.report and task.is_overdue else None,
        "extension_form": ExtensionForm(task=task) if allowed.edit and not pending_extension else None,
        "coordination_form": CoordinationRequestForm(task=task) if allowed.report else None,
        "instruction_form": task_instruction_form() if allowed.instruct else None,
    }
    # The decisions on the task's page, beside the evidence, for who may take them
    # (DECIDE: a supervisor over the unit, with separation of duties).
    pending_verification = None
    if task.status == TaskStatus.PENDING_VERIFICATION and allowed.supervise:
        pending_verification = (
            task.verifications.filter(outcome=Verification.Outcome.PENDING).select_related("requested_by").first()
        )
    closing_refusal = permissions.refusal(request.user, DECIDE, pending_verification) if pending_verification else None
    extension_refusal = None
    if pending_extension is not None and allowed.supervise:
        extension_refusal = permissions.refusal(request.user, DECIDE, pending_extension)
        if extension_refusal is None:
            blank["extension_decision_form"] = ExtensionDecisionForm(prefix=f"extensions-{pending_extension.pk}")
    if pending_verification is not None and closing_refusal is None:
        blank["closing_decision_form"] = ClosingDecisionForm(prefix="decide")
    blank.update({key: form for key, form in forms.items() if form is not None})
    evidence_files = [timeline.evidence_link(evidence) for evidence in task.evidence.order_by("uploaded_at", "pk")]
    return {
        "pending_verification": pending_verification,
        "closing_refusal": closing_refusal,
        "extension_refusal": extension_refusal,
        "evidence_files": evidence_files,
        "task": task,
        "problem": task.problem,
        "co_units": list(task.co_units.all()),
        # Only the sub-tasks (and the parent) the user may see: a sub-task lies in the parent's subtree.
        "subtasks": list(task.subtasks.visible_to(request.user).select_related("unit")),
        "parent_visible": task.parent_id is not None
        and Task.objects.visible_to(request.user).filter(pk=task.parent_id).exists(),
        "timeline": task_timeline,
        "returned": returned,
        "returned_by": timeline.person_name(returned.decided_by) if returned else "",
        "pending_extension": pending_extension,
        "has_evidence": bool(evidence_files),
        "allowed": allowed,
        **blank,
    }


@login_required
def task_detail(request, pk):
    task = visible_task(request, pk)
    return render(request, "rectification/task_detail.html", detail_context(request, task, Allowed.of(request.user, task)))


@login_required
@require_POST
def task_add_progress(request, pk):
    """Inline with htmx: the answer is the progress panel and the timeline, never a whole page."""
    task = visible_task(request, pk)
    allowed = Allowed.of(request.user, task)
    if not allowed.report:
        if request.htmx:
            # say why in the panel (the page lets htmx swap a 403 in), e.g. the task was closed meanwhile
            context = detail_context(request, task, allowed)
            context["progress_refused"] = True
            return render(request, "rectification/_task_live.html", context, status=403)
        raise PermissionDenied
    form = ProgressForm(request.POST, request.FILES, task=task)
    refuse_if_stopped(request, form, "files")  # too many files or bytes: nothing of this request is saved
    saved = None
    before = task.progress
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.add_progress(
                task,
                request.user,
                entry_date=data["entry_date"],
                text=data["text"],
                percent=data["percent"],
                files=data["files"],
                unit=reporting_unit(request.user, task),
            )
        except TransitionRefused as refusal:
            form.add_error(None, refusal.messages)
    if saved is not None:
        task.refresh_from_db()
        form = None
    # A lower figure than before is allowed (a correction) but said out loud.
    lowered = {"before": before, "now": saved.percent} if saved is not None and saved.percent < before else None
    if request.htmx:
        context = detail_context(request, task, allowed, progress_form=form)
        context["progress_saved"] = saved
        context["progress_lowered"] = lowered
        return render(request, "rectification/_task_live.html", context)
    if saved is not None:
        messages.success(request, _("Progress recorded."))
        if lowered:
            messages.warning(request, _("Progress lowered from %(before)s%% to %(now)s%%.") % lowered)
        return redirect(task)
    return render(request, "rectification/task_detail.html", detail_context(request, task, allowed, progress_form=form))


def reporting_unit(user, task):
    """The unit a progress entry comes from: the task's own, or the co-responsible unit the user works for."""
    if permissions.may(user, EDIT, task):
        return task.unit
    editable = set(task.co_units.restrict(user, EDIT).values_list("pk", flat=True))
    for unit in task.co_units.all():
        if unit.pk in editable:
            return unit
    return task.unit


def task_step(request, pk, *, may, form_key, make_form, perform, done):
    """A step on a task's page: check, validate, call the service; on a refusal show the
    page again with what was typed and the service's message."""
    task = visible_task(request, pk)
    allowed = Allowed.of(request.user, task)
    if not may(allowed):
        raise PermissionDenied
    form = make_form(task, request.POST)
    if form.is_valid():
        try:
            perform(task, form.cleaned_data)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.messages)
        else:
            messages.success(request, done)
            return redirect(task)
    context = detail_context(request, task, allowed, **{form_key: form})
    context["failed_step"] = form_key
    return render(request, "rectification/task_detail.html", context)


@login_required
@require_POST
def task_request_verification(request, pk):
    return task_step(
        request,
        pk,
        may=lambda allowed: allowed.edit,
        form_key="verification_form",
        make_form=lambda task, data: VerificationRequestForm(data),
        perform=lambda task, data: services.request_verification(task, request.user, data["note"]),
        done=_("Closing requested: the supervisors will check the evidence."),
    )


@login_required
@require_POST
def task_decide_closing(request, pk):
    """予以销号 or 退回 from the task's page, through the services the queue uses;
    a refusal (separation of duties) is shown on the page with what was typed."""
    task = visible_task(request, pk)
    allowed = Allowed.of(request.user, task)
    if not (queues.is_supervisor(request.user) and permissions.may(request.user, SUPERVISE, task)):
        raise PermissionDenied
    form = ClosingDecisionForm(request.POST, prefix="decide")
    if form.is_valid():
        note = form.cleaned_data["note"].strip()
        try:
            if form.approve:
                services.approve_closing(task, request.user, note)
            else:
                services.return_task(task, request.user, note)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.messages)
        except permissions.Refused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The task is closed.") if form.approve else _("The task is returned to its unit."))
            return redirect(task)
    context = detail_context(request, task, allowed, closing_decision_form=form)
    context["failed_step"] = "closing_decision_form"
    return render(request, "rectification/task_detail.html", context)


@login_required
@require_POST
def task_explain(request, pk):
    return task_step(
        request,
        pk,
        may=lambda allowed: allowed.report,
        form_key="explanation_form",
        make_form=lambda task, data: ExplanationForm(data),
        perform=lambda task, data: services.give_explanation(task, request.user, data["reason_code"], data["text"]),
        done=_("Explanation recorded."),
    )


@login_required
@require_POST
def task_request_extension(request, pk):
    return task_step(
        request,
        pk,
        may=lambda allowed: allowed.edit,
        form_key="extension_form",
        make_form=lambda task, data: ExtensionForm(data, task=task),
        perform=lambda task, data: services.request_extension(task, request.user, data["new_due_date"], data["reason"]),
        done=_("Extension requested: the supervisors will decide."),
    )


# --- editing -------------------------------------------------------------------------------


def display_value(name, value):
    if value in (None, ""):
        return "—"
    if name == "term":
        return str(Term(value).label) if value in Term.values else value
    return str(value)


def conflict_rows(current, seen_values):
    """(field, value the editor saw, value now) for each field someone else changed."""
    rows = []
    for name in EDITABLE_FIELDS:
        now = normalise_newlines(str(getattr(current, name)))
        if name in seen_values and seen_values[name] != now:
            label = Task._meta.get_field(name).verbose_name
            rows.append((label, display_value(name, seen_values[name]), display_value(name, now)))
    return rows


@login_required
def task_edit(request, pk):
    task = visible_task(request, pk)
    if not task.is_open:
        messages.error(request, _("A closed task can no longer be edited."))
        return redirect(task)
    permissions.require(request.user, EDIT, task)
    conflict = None
    if request.method == "POST":
        # The form validates onto its own copy, so that the page never shows typed values as saved.
        form = TaskForm(request.POST, instance=copy.copy(task), user=request.user)
        if form.is_valid():
            try:
                services.update_task(
                    task,
                    request.user,
                    form.edited_values(),
                    seen_version=form.cleaned_data["version"],
                    seen_values=form.seen_values(),
                    co_units=form.cleaned_data["co_units"],
                )
            except EditConflict as clash:
                current = task = clash.current
                conflict = {"rows": conflict_rows(current, form.seen_values()), "version": current.version}
                # Keep what the user typed; carry the new version and values, so that
                # saving again is a conscious choice to overwrite them. A field the user
                # left as it was takes the other person's value, so that saving again
                # keeps their change instead of silently undoing it.
                data = request.POST.copy()
                seen, edited = form.seen_values(), form.edited_values()
                now = TaskForm.seen_initial(current)
                for name in EDITABLE_FIELDS:
                    if normalise_newlines(str(edited[name])) == seen[name]:
                        data[name] = now[f"seen_{name}"]
                for key, value in now.items():
                    data[key] = value
                form = TaskForm(data, instance=copy.copy(current), user=request.user)
            except TransitionRefused as refusal:
                form.add_error(None, refusal.messages)
            else:
                messages.success(request, _("Task saved."))
                return redirect(task)
    else:
        form = TaskForm(instance=task, user=request.user)
    return render(request, "rectification/task_edit.html", {"task": task, "form": form, "conflict": conflict})


# --- problems and new tasks ------------------------------------------------------------------


def require_editable_units(user):
    units = editable_units(user)
    if not units.exists():
        raise PermissionDenied
    return units


@login_required
def problem_create(request):
    require_editable_units(request.user)
    form = ProblemForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        problem = services.create_problem(request.user, **form.cleaned_data)
        messages.success(request, _("Problem recorded. Now add the tasks that will rectify it."))
        return redirect(problem)
    return render(request, "rectification/problem_form.html", {"form": form})


@login_required
def problem_detail(request, pk):
    problems = Problem.objects.visible_to(request.user).select_related(
        "unit", "root_unit", "batch__campaign", "related_problem", "created_by"
    )
    problem = get_object_or_404(problems, pk=pk)
    tasks = problem.tasks.visible_to(request.user).with_related().order_by("due_date", "pk")
    related = problem.related_problem
    context = {
        "problem": problem,
        "tasks": tasks,
        "can_add_task": editable_units(request.user).exists(),
        "related_visible": related is not None
        and Problem.objects.visible_to(request.user).filter(pk=related.pk).exists(),
    }
    return render(request, "rectification/problem_detail.html", context)


@login_required
def task_create(request, pk):
    problem = get_object_or_404(Problem.objects.visible_to(request.user).select_related("unit", "batch"), pk=pk)
    require_editable_units(request.user)
    initial = {}
    if request.GET.get("parent", "").isdigit():
        initial["parent"] = int(request.GET["parent"])
    form = TaskCreateForm(request.POST or None, user=request.user, problem=problem, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.create_task(problem, request.user, **form.cleaned_data)
        except TransitionRefused as refusal:
            form.add_error(None, refusal.messages)
        else:
            messages.success(request, _("Task created."))
            return redirect(task)
    return render(request, "rectification/task_form.html", {"form": form, "problem": problem})


# --- evidence ---------------------------------------------------------------------------------

INLINE_TYPES = ("image/", "application/pdf")


def _visible_evidence(request, pk):
    evidence = get_object_or_404(Evidence.objects.select_related("task__unit"), pk=pk)
    if not permissions.may(request.user, VIEW, evidence):
        raise Http404
    return evidence


@login_required
def evidence_thumbnail(request, pk):
    """The small JPEG of an evidence photo, to those who may see the photo; 404 otherwise."""
    evidence = _visible_evidence(request, pk)
    if not evidence.thumbnail:
        raise Http404
    try:
        handle = evidence.thumbnail.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def evidence_download(request, pk):
    """Stream an evidence file to someone who may see its task; 404 to everyone else."""
    evidence = _visible_evidence(request, pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    inline = evidence.content_type.startswith(INLINE_TYPES)
    response = FileResponse(
        handle, as_attachment=not inline, filename=evidence.original_name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
