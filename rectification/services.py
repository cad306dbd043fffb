"""The task workflow (DESIGN §3). Every step checks who may take it, writes in
one transaction, and leaves a row saying who, when and why.

Side effects belong to the step, not to its caller: a decision or an urge
tells the task's unit once the transaction commits (nobody when it rolls
back), whether a view, the demo or an import took it."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from campaign import permissions
from campaign.permissions import DECIDE, EDIT, INSTRUCT, REPORT, SUPERVISE, VIEW

from . import notify, rollups, tasks
from .models import (
    CoordinationReply,
    CoordinationRequest,
    Evidence,
    Explanation,
    ExtensionRequest,
    Instruction,
    InstructionReply,
    Problem,
    ProgressUpdate,
    Task,
    TaskStatus,
    Urge,
    Verification,
    WarningPolicy,
)
from .models.decisions import Decision
from .models.problems import ProblemCategory, ProblemSource


class TransitionRefused(ValidationError):
    """A step that the task's state does not allow, with a message for the user."""


class EditConflict(Exception):
    """Someone else saved the task since the editor loaded it."""

    def __init__(self, current, changes):
        super().__init__("edit conflict")
        self.current = current
        self.changes = changes  # [(field verbose name, value the editor saw, value now)]


def _locked(task):
    return Task.objects.select_for_update().get(pk=task.pk)


def _require(user, action, obj, **kwargs):
    """The permission layer's answer, as a refusal with its reason (a PermissionDenied)."""
    permissions.require(user, action, obj, **kwargs)


def _tell_on_commit(notice, row):
    """When the current transaction commits, make ``notice``'s notifications for
    ``row`` (a function of rectification.notify) and queue their e-mails and group-chat messages. A
    failure to notify is logged, never undoes the decision (``robust``)."""
    transaction.on_commit(
        lambda: notice(row, queue_emails=tasks.queue_email_delivery, queue_robots=tasks.queue_robot_delivery),
        robust=True,
    )


# --- problems and tasks ----------------------------------------------------------




def new_problem(user, *, unit, batch, title, source, found_on, description="", category=ProblemCategory.OTHER,
                root_unit=None, related_problem=None):  # fmt: skip
    """An unsaved problem, as every way of recording one builds it."""
    return Problem(
        title=title, description=description, source=source, category=category, unit=unit, root_unit=root_unit,
        batch=batch, related_problem=related_problem, found_on=found_on, created_by=user,
    )  # fmt: skip


def create_problem(user, **fields):
    """Record a problem (查摆问题) found in ``unit``: see :func:`new_problem` for the fields.

    ``user`` is office staff or an administrator of the unit or above it; None
    only for an opinion of the public (source 群众意见), given without an account."""
    if user is None:
        if fields.get("source") != ProblemSource.PUBLIC:
            raise permissions.Refused(_("Only an opinion of the public is recorded without an account."))
    else:
        _require(user, EDIT, fields["unit"])
    problem = new_problem(user, **fields)
    problem.save()
    return problem


def new_task(problem, user, *, unit, title, measures, leader_name, person_name, term, start_date, due_date,
             parent=None, progress=0, policy=None, today=None):  # fmt: skip
    """An unsaved task of ``problem`` with everything ``Task.save`` would derive
    already set (the batch, the copied path, the original due date, the warning
    level under ``policy``, read when not given), so that a bulk insert stores
    the same row as a save. Refuses dates out of order and a parent of another
    problem or already closed."""
    if due_date < start_date:
        raise TransitionRefused(_("The due date cannot be before the start date."))
    if parent is not None and (parent.problem_id != problem.pk or not parent.is_open):
        raise TransitionRefused(_("A sub-task belongs to an open task of the same problem."))
    if parent is not None and not unit.path.startswith(parent.unit_path):
        raise TransitionRefused(
            _("A sub-task goes to %(unit)s or a unit below it, where its parent task lies.") % {"unit": parent.unit.name}
        )
    task = Task(
        problem=problem, batch_id=problem.batch_id, parent=parent, title=title, measures=measures, unit=unit,
        unit_path=unit.path, leader_name=leader_name, person_name=person_name, term=term, start_date=start_date,
        due_date=due_date, original_due_date=due_date, progress=progress, created_by=user,
    )  # fmt: skip
    task.refresh_warning_level(today, policy or WarningPolicy.objects.effective(problem.batch_id, term))
    return task


def create_task(problem, user, *, co_units=(), **fields):
    """Add a task (整改任务) to ``problem``: see :func:`new_task` for the fields.
    A sub-task's parent takes its share of progress at once."""
    _require(user, EDIT, fields["unit"])
    if fields["unit"] in co_units:
        raise TransitionRefused(_("The responsible unit cannot also be co-responsible."))
    with transaction.atomic():
        task = new_task(problem, user, **fields)
        task._change_reason = _("Created")
        task.save()
        if co_units:
            task.co_units.set(co_units)
        roll_up_progress(task.parent_id)
    return task


@dataclass
class LedgerRow:
    """One row of an imported ledger: a problem, its task and the first progress entry's text."""

    problem: dict
    task: dict
    progress_text: str = ""


def import_ledger_rows(user, batch, rows, reason):
    """Create a problem and a task for each :class:`LedgerRow`, and its first
    progress entry, in one transaction and in bulk (a district's ledger is
    thousands of rows), with a history row for each problem and task giving
    ``reason``. Rows that share one ``problem`` dict (the same object: a
    问题描述 merged over several measures) share one problem. The rows are
    built by :func:`new_problem` and :func:`new_task`, as one at a time; each
    unit is checked once. Returns the tasks."""
    for unit in {row.task["unit"] for row in rows} | {row.problem["unit"] for row in rows}:
        _require(user, EDIT, unit)
    today = timezone.localdate()
    policies = {term: WarningPolicy.objects.effective(batch.pk, term) for term in {row.task["term"] for row in rows}}
    by_identity = {}
    for row in rows:
        if id(row.problem) not in by_identity:
            by_identity[id(row.problem)] = new_problem(user, batch=batch, **row.problem)
    problems = list(by_identity.values())
    with transaction.atomic():
        bulk_create_with_history(problems, Problem, default_user=user, default_change_reason=reason)
        created = [
            new_task(by_identity[id(row.problem)], user, policy=policies[row.task["term"]], today=today, **row.task)
            for row in rows
        ]
        bulk_create_with_history(created, Task, default_user=user, default_change_reason=reason)
        rollups.tasks_added(Task.objects.filter(pk__in=[task.pk for task in created]))
        ProgressUpdate.objects.bulk_create(
            ProgressUpdate(
                task=task, entry_date=today, text=row.progress_text, percent=task.progress, author=user, unit=task.unit
            )
            for row, task in zip(rows, created)
            if row.progress_text
        )
    return created


@dataclass
class LedgerChange:
    """Changes to an existing task read from a ledger row: its task fields
    (among :data:`EDITABLE_FIELDS`), its problem's fields (title, source), a new
    progress entry's text and percent, and the task's version the file was
    exported at (or, for a file without it, the one the import read)."""

    task: Task
    seen_version: int
    fields: dict
    problem_fields: dict
    progress_text: str = ""
    percent: int = 0


def update_ledger_rows(user, changes, reason):
    """Apply :class:`LedgerChange` s in one transaction, each as an edit of the
    task (:func:`update_task`'s rules: only if nobody saved it since
    ``seen_version``, never a closed task, never its due date), its problem's
    title and source, and a progress entry. Raises :class:`EditConflict`,
    :class:`TransitionRefused` or a refusal; then nothing is kept."""
    today = timezone.localdate()
    updated = []
    with transaction.atomic():
        for change in changes:
            current = change.task
            if change.fields:
                current = update_task(change.task, user, change.fields, change.seen_version, reason=reason)
            if change.problem_fields:
                _require(user, EDIT, current.problem)
                problem = Problem.objects.select_for_update().get(pk=current.problem_id)
                for field, value in change.problem_fields.items():
                    setattr(problem, field, value)
                problem._change_reason = reason
                problem.save()
            if change.progress_text:
                if not change.fields:
                    current = _locked(current)
                    if current.version != change.seen_version:
                        raise EditConflict(current, [])
                add_progress(current, user, entry_date=today, text=change.progress_text, percent=change.percent)
            updated.append(change.task)  # as read by the import (its unit loaded), for the count and the scope
    return updated


# --- editing ------------------------------------------------------------------

# The due date is not among them: once set, it moves only through an approved
# extension request, so that no unit can clear its own overdue warning.
EDITABLE_FIELDS = ["title", "measures", "leader_name", "person_name", "term", "start_date"]


def update_task(task, user, data, seen_version, seen_values=None, co_units=None, reason=None):
    """Save an edit only if nobody saved the task since ``seen_version``.

    ``seen_values`` are the field values the editor loaded, used to show what
    the other person changed. Raises :class:`EditConflict` otherwise.
    """
    _require(user, EDIT, task)
    with transaction.atomic():
        current = _locked(task)
        if current.version != seen_version:
            changes = _changes_since(current, seen_values or {})
            raise EditConflict(current, changes)
        if not current.is_open:
            raise TransitionRefused(_("A closed task can no longer be edited."))
        for field, value in data.items():
            if field in EDITABLE_FIELDS:
                setattr(current, field, value)
        current.version += 1
        current._change_reason = reason or _("Edited")
        current.save()
        if co_units is not None:
            current.co_units.set(co_units)
        return current


def _changes_since(current, seen_values):
    changes = []
    for field in EDITABLE_FIELDS:
        if field in seen_values and str(seen_values[field]) != str(getattr(current, field)):
            verbose = Task._meta.get_field(field).verbose_name
            changes.append((verbose, seen_values[field], getattr(current, field)))
    return changes


# --- progress and evidence ------------------------------------------------------


def add_progress(task, user, *, entry_date, text, percent, files=(), unit=None):
    """Append a progress entry (never lost: concurrent entries are all kept).

    Every file is checked, and the limits on files (count, total size, the
    task's total) are applied, before anything is written; if saving fails
    half-way, the files already stored are deleted with the rolled-back rows."""
    _require(user, REPORT, task)
    if not 0 <= percent <= 100:
        raise TransitionRefused(_("Percent done must be between 0 and 100."))
    files = list(files)
    _check_files(files)
    stored = []
    try:
        with transaction.atomic():
            current = _locked(task)
            if not current.is_open:
                raise TransitionRefused(_("A closed task takes no more progress entries."))
            _check_task_total(current, files)
            entry = ProgressUpdate.objects.create(
                task=current, entry_date=entry_date, text=text, percent=percent, author=user, unit=unit or current.unit
            )
            for upload in files:
                evidence = attach_evidence(current, user, upload, progress=entry)
                stored += [evidence.file, evidence.thumbnail] if evidence.thumbnail else [evidence.file]
            current.progress = percent
            current._change_reason = _("Progress reported")
            current.save()
            roll_up_progress(current.parent_id)
    except BaseException:
        for stored_file in stored:  # the rows are rolled back: the files go too
            stored_file.storage.delete(stored_file.name)
        raise
    return entry


def _check_files(files):
    """Refuse too many files, too many bytes, or a file that check_upload refuses."""
    from campaign.upload_limits import too_large_message, too_many_files_message

    from .uploads import check_upload

    if len(files) > settings.UPLOAD_MAX_FILES:
        raise TransitionRefused(too_many_files_message(settings.UPLOAD_MAX_FILES))
    if sum(upload.size for upload in files) > settings.UPLOAD_MAX_REQUEST_BYTES:
        raise TransitionRefused(too_large_message(settings.UPLOAD_MAX_REQUEST_BYTES))
    for upload in files:
        try:
            check_upload(upload)
        except ValidationError as error:
            raise TransitionRefused(error.messages) from error


def _check_task_total(task, files):
    """Refuse files that would take the task's evidence past EVIDENCE_MAX_TASK_BYTES (task row locked)."""
    if not files:
        return
    held = task.evidence.aggregate(total=Sum("size"))["total"] or 0
    adding = sum(upload.size for upload in files)
    limit = settings.EVIDENCE_MAX_TASK_BYTES
    if held + adding > limit:
        raise TransitionRefused(
            _(
                "This task already holds %(held)s of evidence; with these files it would hold more than "
                "%(limit)s. Attach fewer or smaller files (photos can be taken at a lower resolution)."
            )
            % {"held": filesizeformat(held), "limit": filesizeformat(limit)}
        )


def attach_evidence(task, user, upload, progress=None):
    """Store a checked upload (see rectification.uploads.check_upload), and a
    thumbnail of a photo, shown on the task page beside the decision."""
    from .uploads import check_upload, make_thumbnail

    kind = check_upload(upload)
    evidence = Evidence.objects.create(
        task=task,
        progress=progress,
        file=upload,
        original_name=upload.name[:255],
        content_type=kind.mime,
        extension=kind.extension,
        size=upload.size,
        uploaded_by=user,
    )
    thumbnail = make_thumbnail(evidence)
    if thumbnail is not None:
        evidence.thumbnail.save(thumbnail.name, thumbnail, save=False)
        Evidence.objects.filter(pk=evidence.pk).update(thumbnail=evidence.thumbnail.name)
    return evidence


def roll_up_progress(*parent_ids):
    """A split task's progress is the mean of its sub-tasks', up every level.

    Every step that changes a sub-task's progress, status or parent calls it
    inside its own transaction, with the parents concerned (a moved sub-task:
    the old and the new one), so the figures change together or not at all.
    Locks go upwards only (sub-task, then parent), so two steps never wait
    for each other in a circle. A parent whose figure is unchanged is not
    saved again, and neither are the tasks above it."""
    for parent_id in dict.fromkeys(parent_ids):
        while parent_id:
            with transaction.atomic():
                parent = Task.objects.select_for_update().get(pk=parent_id)
                mean = round(parent.subtasks.aggregate(mean=Avg("progress"))["mean"] or 0)
                if mean == parent.progress:
                    break
                parent.progress = mean
                parent._change_reason = _("Progress of sub-tasks rolled up")
                parent.save()
            parent_id = parent.parent_id


# --- closing (销号) -------------------------------------------------------------


def request_verification(task, user, note):
    _require(user, EDIT, task)
    with transaction.atomic():
        current = _locked(task)
        if current.status != TaskStatus.IN_PROGRESS:
            raise TransitionRefused(_("Only a task in progress can be put forward for closing."))
        if not current.evidence.exists():
            raise TransitionRefused(_("Attach evidence of the work done before asking to close the task."))
        if current.subtasks.exclude(status=TaskStatus.CLOSED).exists():
            raise TransitionRefused(_("Every sub-task must be closed before the task itself."))
        verification = Verification.objects.create(task=current, note=note, requested_by=user)
        current.status = TaskStatus.PENDING_VERIFICATION
        current._change_reason = _("Closing requested")
        current.save()
        _tell_on_commit(notify.notify_closing_requested, verification)
    return verification


def _pending_verification(task):
    if task.status != TaskStatus.PENDING_VERIFICATION:
        raise TransitionRefused(_("This task is not awaiting verification."))
    verification = task.verifications.filter(outcome=Verification.Outcome.PENDING).first()
    if verification is None:
        raise TransitionRefused(_("This task is not awaiting verification."))
    return verification


def _decide(verification, outcome, user, when, reason):
    """Record the decision on a pending request to close, and tell the unit after commit."""
    fields = {"outcome": outcome, "decided_by": user, "decided_at": when, "reason": reason}
    Verification.objects.filter(pk=verification.pk).update(**fields)
    for name, value in fields.items():
        setattr(verification, name, value)
    _tell_on_commit(notify.notify_verification_decided, verification)


def approve_closing(task, user, note=""):
    with transaction.atomic():
        current = _locked(task)
        verification = _pending_verification(current)
        _require(user, DECIDE, verification)
        now = timezone.now()
        _decide(verification, Verification.Outcome.APPROVED, user, now, note)
        current.status = TaskStatus.CLOSED
        current.closed_at = now
        current.progress = 100
        current._change_reason = _("Closed after verification")
        current.save()
        roll_up_progress(current.parent_id)
    return current


def return_task(task, user, reason):
    if not reason.strip():
        raise TransitionRefused(_("Say why the task is returned."))
    with transaction.atomic():
        current = _locked(task)
        verification = _pending_verification(current)
        _require(user, DECIDE, verification)
        _decide(verification, Verification.Outcome.RETURNED, user, timezone.now(), reason)
        current.status = TaskStatus.IN_PROGRESS
        current._change_reason = _("Returned: %(reason)s") % {"reason": reason}
        current.save()
        roll_up_progress(current.parent_id)
    return current


def reopen_task(task, user, reason):
    """A failed spot check or survey reopens a closed task; its history stays."""
    with transaction.atomic():
        current = _locked(task)
        if current.status != TaskStatus.CLOSED:
            return current
        current.status = TaskStatus.IN_PROGRESS
        current.closed_at = None
        current._change_reason = _("Reopened: %(reason)s") % {"reason": reason}
        current.save()
        roll_up_progress(current.parent_id)
    return current


def return_after_spot_check(task, user, new_due_date, reason, today=None):
    """退回重新整改: a failed spot-check finding returns the task, in whatever state it was
    (closed, awaiting verification, in progress), to its unit with the new due date the
    group sets; the level is computed from that date (a new clock: no explanation yet).
    A pending request to close is returned with the finding. Called inside the spot
    check's transaction (spotchecks.record_spot_check), which tells the unit."""
    today = today or timezone.localdate()
    if new_due_date is None or new_due_date < today:
        raise TransitionRefused(_("Set the new due date for “%(task)s”, today or later.") % {"task": task})
    with transaction.atomic():
        current = _locked(task)
        if current.status == TaskStatus.PENDING_VERIFICATION:
            pending = current.verifications.filter(outcome=Verification.Outcome.PENDING).first()
            if pending is not None:
                fields = {"outcome": Verification.Outcome.RETURNED, "decided_by": user, "decided_at": timezone.now(),
                          "reason": reason}  # fmt: skip
                Verification.objects.filter(pk=pending.pk).update(**fields)
        current.status = TaskStatus.IN_PROGRESS
        current.closed_at = None
        current.due_date = new_due_date  # original_due_date is kept
        current.explained_at = None
        current._change_reason = (_("Spot check failed, returned for rectification again: %(reason)s") % {
            "reason": reason
        })[:100]  # the history's reason holds 100 characters; the finding keeps the whole note
        current.save()
        roll_up_progress(current.parent_id)
    return current


# --- overdue: explanations and extensions ---------------------------------------


def give_explanation(task, user, reason_code, text):
    _require(user, REPORT, task)
    with transaction.atomic():
        current = _locked(task)
        if not current.is_overdue:
            raise TransitionRefused(_("Only an overdue task is explained; this one is not overdue."))
        explanation = Explanation.objects.create(
            task=current, reason_code=reason_code, text=text, due_date=current.due_date, author=user
        )
        current.explained_at = explanation.created_at
        current._change_reason = _("Overdue explained")
        current.save()
        _tell_on_commit(notify.notify_explanation_given, explanation)
    return explanation


def request_extension(task, user, new_due_date, reason):
    _require(user, EDIT, task)
    with transaction.atomic():
        current = _locked(task)
        if new_due_date <= current.due_date:
            raise TransitionRefused(_("The new due date must be later than the current one."))
        if current.extension_requests.filter(decision=Decision.PENDING).exists():
            raise TransitionRefused(_("An extension request for this task is already waiting for a decision."))
        extension = ExtensionRequest.objects.create(
            task=current,
            previous_due_date=current.due_date,
            requested_due_date=new_due_date,
            reason=reason,
            requested_by=user,
        )
        _tell_on_commit(notify.notify_extension_requested, extension)
    return extension


def decide_extension(extension, user, approve, note=""):
    with transaction.atomic():
        current = _locked(extension.task)
        extension = ExtensionRequest.objects.select_for_update().select_related("task").get(pk=extension.pk)
        _require(user, DECIDE, extension)
        if extension.decision != Decision.PENDING:
            raise TransitionRefused(_("This request has already been decided."))
        extension.decision = Decision.APPROVED if approve else Decision.REFUSED
        extension.decided_by, extension.decided_at, extension.decision_note = user, timezone.now(), note
        extension.save()
        if approve:
            current.due_date = extension.requested_due_date  # original_due_date is kept
            current.explained_at = None  # the new date starts a new clock
            current._change_reason = _("Extension approved")
            current.save()
        _tell_on_commit(notify.notify_extension_decided, extension)
    return extension


def urge(task, user, message, reply_by=None):
    _require(user, SUPERVISE, task)
    if not message.strip():
        raise TransitionRefused(_("Write what the unit should do."))
    if reply_by is not None and reply_by < timezone.localdate():
        raise TransitionRefused(_("The reply deadline cannot be in the past."))
    with transaction.atomic():
        row = Urge.objects.create(task=task, author=user, message=message, reply_by=reply_by)
        _tell_on_commit(notify.notify_urge, row)
    return row


def urge_many(tasks, user, message, reply_by=None):
    """Urge several tasks at once with one message (the dashboard): all of them or,
    when one is not the user's to supervise or is closed, none."""
    tasks = list(tasks)
    with transaction.atomic():
        rows = []
        for task in tasks:
            if task.status == TaskStatus.CLOSED:
                raise TransitionRefused(_("“%(task)s” is closed: it needs no urging.") % {"task": task.title})
            rows.append(urge(task, user, message, reply_by))
    return rows


# --- leaders' instructions (领导批示, issue 11) ----------------------------------


def give_instruction(user, unit, text, task=None):
    """A leader's instruction on ``unit`` (or on ``task``, then on the task's unit): told to
    the unit's staff and its supervisors after commit, shown on the task's timeline."""
    if task is not None:
        unit = task.unit
    permissions.require(user, INSTRUCT, unit)
    if task is not None:
        permissions.require(user, VIEW, task)
    if not text.strip():
        raise TransitionRefused(_("Write the instruction."))
    with transaction.atomic():
        row = Instruction.objects.create(unit=unit, task=task, author=user, text=text.strip())
        _tell_on_commit(notify.notify_instruction, row)
    return row


def answer_instruction(instruction, user, text):
    """The unit's answer (落实情况): its staff (or those above it) say what was done; the leader is told."""
    _require(user, EDIT, instruction)
    if not text.strip():
        raise TransitionRefused(_("Write what was done."))
    with transaction.atomic():
        reply = InstructionReply.objects.create(instruction=instruction, author=user, text=text.strip())
        _tell_on_commit(notify.notify_instruction_answered, reply)
    return reply


# --- coordination -------------------------------------------------------------


def ask_coordination(task, user, to_unit, subject, text):
    _require(user, REPORT, task)
    if to_unit.pk == task.unit_id:
        raise TransitionRefused(_("Ask another unit or department, not the task's own unit."))
    return CoordinationRequest.objects.create(
        task=task, from_unit=task.unit, to_unit=to_unit, subject=subject, text=text, created_by=user
    )


def reply_coordination(request, user, text):
    """A reply recorded as its author, for the side the author may speak for
    (the department asked, or the asking unit): see permissions.coordination_side."""
    unit = permissions.coordination_side(user, request)
    if unit is None:
        raise permissions.Refused(
            _("Only the department asked (or the units above it) and the asking unit reply in this thread.")
        )
    if request.status == CoordinationRequest.Status.RESOLVED:
        raise TransitionRefused(_("This request is resolved; it takes no more replies."))
    with transaction.atomic():
        reply = CoordinationReply.objects.create(request=request, author=user, unit=unit, text=text)
        if request.status == CoordinationRequest.Status.OPEN and unit.pk == request.to_unit_id:
            CoordinationRequest.objects.filter(pk=request.pk).update(status=CoordinationRequest.Status.ANSWERED)
    return reply


def resolve_coordination(request, user):
    if permissions.coordination_side(user, request) is None:
        raise permissions.Refused(_("Only the two sides of this request may mark it resolved."))
    return CoordinationRequest.objects.filter(pk=request.pk).exclude(
        status=CoordinationRequest.Status.RESOLVED
    ).update(status=CoordinationRequest.Status.RESOLVED, resolved_by=user, resolved_at=timezone.now())


# --- reviews ----------------------------------------------------------------------


def review_explanation(explanation, user, note="", *, accepted=True):
    """A supervisor reviews an overdue explanation (once), never the person who wrote it:
    认可 (``accepted``) or 不予认可（要求重新说明）, with a note the unit reads and is told of.

    A refused explanation counts as none: when it is the latest for the task's current
    due date, the task's ``explained_at`` is cleared, so the one warning rule
    (rectification.policy) escalates it after the grace days as if it had never been
    explained, and the unit is asked to explain again."""
    _require(user, DECIDE, explanation)
    if not accepted and not note.strip():
        raise TransitionRefused(_("Say why the explanation is not accepted: the unit explains again from it."))
    with transaction.atomic():
        current = _locked(explanation.task)
        updated = Explanation.objects.filter(pk=explanation.pk, reviewed_at__isnull=True).update(
            reviewed_by=user, reviewed_at=timezone.now(), review_note=note, accepted=accepted
        )
        if not updated:
            raise TransitionRefused(_("This explanation has already been reviewed."))
        explanation.refresh_from_db()
        if not accepted:
            latest = current.explanations.filter(due_date=current.due_date).order_by("-created_at", "-pk").first()
            if latest is not None and latest.pk == explanation.pk and current.explained_at is not None:
                current.explained_at = None
                current._change_reason = _("Explanation not accepted: explain again")
                current.save()
        _tell_on_commit(notify.notify_explanation_reviewed, explanation)
    return explanation


# --- group-chat robots (企业微信 / 钉钉) --------------------------------------------------------


def save_chat_robot(user, robot, *, webhook_url=None, secret=None, **fields):
    """Create or change ``robot`` (of ``robot.unit``) for an administrator of that unit.
    ``webhook_url`` and ``secret`` None keep what is stored (the page never shows them back);
    ``secret`` "" removes the signing secret."""
    _require(user, permissions.ADMINISTER, robot.unit)
    for name, value in fields.items():
        setattr(robot, name, value)
    if webhook_url is not None:
        robot.webhook_url = webhook_url
    if secret is not None:
        robot.secret = secret
    if robot.platform != robot.Platform.DINGTALK:
        robot.secret = ""  # only DingTalk signs
    if problem := notify.webhook_problem(robot.webhook_url):
        raise ValidationError({"webhook_url": problem})
    if robot.pk is None:
        robot.created_by = user
    robot.save()
    return robot


def delete_chat_robot(user, robot):
    """Remove a robot and the messages still waiting for it."""
    _require(user, permissions.ADMINISTER, robot)
    robot.delete()


def send_robot_test(user, robot):
    """Post a test message to ``robot`` (once the transaction commits); returns the message's id."""
    _require(user, permissions.ADMINISTER, robot)
    message_id = notify.make_test_message(robot, user)
    tasks.queue_robot_delivery([message_id])
    return message_id
