"""The task workflow (DESIGN §3). Every step checks who may take it, writes in
one transaction, and leaves a row saying who, when and why.

Side effects belong to the step, not to its caller: a decision or an urge
tells the task's unit once the transaction commits (nobody when it rolls
back), whether a view, the demo or an import took it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext as _

from . import notify, tasks
from .models import (
    CoordinationReply,
    CoordinationRequest,
    Evidence,
    Explanation,
    ExtensionRequest,
    ProgressUpdate,
    Task,
    TaskStatus,
    Urge,
    Verification,
)
from .models.decisions import Decision
from .permissions import can_edit_task, can_report_progress, can_supervise, can_verify


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


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def _tell_on_commit(notice, row):
    """When the current transaction commits, make ``notice``'s notifications for
    ``row`` (a function of rectification.notify) and queue their e-mails. A
    failure to notify is logged, never undoes the decision (``robust``)."""
    transaction.on_commit(lambda: notice(row, queue_emails=tasks.queue_email_delivery), robust=True)


# --- editing ------------------------------------------------------------------

# The due date is not among them: once set, it moves only through an approved
# extension request, so that no unit can clear its own overdue warning.
EDITABLE_FIELDS = ["title", "measures", "leader_name", "person_name", "term", "start_date"]


def update_task(task, user, data, seen_version, seen_values=None, co_units=None):
    """Save an edit only if nobody saved the task since ``seen_version``.

    ``seen_values`` are the field values the editor loaded, used to show what
    the other person changed. Raises :class:`EditConflict` otherwise.
    """
    _require(can_edit_task(user, task))
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
        current._change_reason = _("Edited")
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
    """Append a progress entry (never lost: concurrent entries are all kept)."""
    _require(can_report_progress(user, task))
    if not 0 <= percent <= 100:
        raise TransitionRefused(_("Percent done must be between 0 and 100."))
    with transaction.atomic():
        current = _locked(task)
        if not current.is_open:
            raise TransitionRefused(_("A closed task takes no more progress entries."))
        entry = ProgressUpdate.objects.create(
            task=current, entry_date=entry_date, text=text, percent=percent, author=user, unit=unit or current.unit
        )
        for upload in files:
            attach_evidence(current, user, upload, progress=entry)
        current.progress = percent
        current._change_reason = _("Progress reported")
        current.save()
        if current.parent_id:
            roll_up_progress(current.parent_id)
    return entry


def attach_evidence(task, user, upload, progress=None):
    """Store a checked upload (see rectification.uploads.check_upload)."""
    from .uploads import check_upload

    kind = check_upload(upload)
    return Evidence.objects.create(
        task=task,
        progress=progress,
        file=upload,
        original_name=upload.name[:255],
        content_type=kind.mime,
        extension=kind.extension,
        size=upload.size,
        uploaded_by=user,
    )


def roll_up_progress(parent_id):
    """A split task's progress is the mean of its sub-tasks', up every level."""
    while parent_id:
        with transaction.atomic():
            parent = Task.objects.select_for_update().get(pk=parent_id)
            mean = parent.subtasks.aggregate(mean=Avg("progress"))["mean"] or 0
            parent.progress = round(mean)
            parent._change_reason = _("Progress of sub-tasks rolled up")
            parent.save()
        parent_id = parent.parent_id


# --- closing (销号) -------------------------------------------------------------


def request_verification(task, user, note):
    _require(can_edit_task(user, task))
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
    _require(can_verify(user, task))
    with transaction.atomic():
        current = _locked(task)
        verification = _pending_verification(current)
        now = timezone.now()
        _decide(verification, Verification.Outcome.APPROVED, user, now, note)
        current.status = TaskStatus.CLOSED
        current.closed_at = now
        current.progress = 100
        current._change_reason = _("Closed after verification")
        current.save()
        if current.parent_id:
            transaction.on_commit(lambda: roll_up_progress(current.parent_id))
    return current


def return_task(task, user, reason):
    _require(can_verify(user, task))
    if not reason.strip():
        raise TransitionRefused(_("Say why the task is returned."))
    with transaction.atomic():
        current = _locked(task)
        verification = _pending_verification(current)
        _decide(verification, Verification.Outcome.RETURNED, user, timezone.now(), reason)
        current.status = TaskStatus.IN_PROGRESS
        current._change_reason = _("Returned: %(reason)s") % {"reason": reason}
        current.save()
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
    return current


# --- overdue: explanations and extensions ---------------------------------------


def give_explanation(task, user, reason_code, text):
    _require(can_report_progress(user, task))
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
    return explanation


def request_extension(task, user, new_due_date, reason):
    _require(can_edit_task(user, task))
    with transaction.atomic():
        current = _locked(task)
        if new_due_date <= current.due_date:
            raise TransitionRefused(_("The new due date must be later than the current one."))
        if current.extension_requests.filter(decision=Decision.PENDING).exists():
            raise TransitionRefused(_("An extension request for this task is already waiting for a decision."))
        return ExtensionRequest.objects.create(
            task=current,
            previous_due_date=current.due_date,
            requested_due_date=new_due_date,
            reason=reason,
            requested_by=user,
        )


def decide_extension(extension, user, approve, note=""):
    _require(can_supervise(user, extension.task))
    with transaction.atomic():
        current = _locked(extension.task)
        extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
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


def urge(task, user, message):
    _require(can_supervise(user, task))
    if not message.strip():
        raise TransitionRefused(_("Write what the unit should do."))
    with transaction.atomic():
        row = Urge.objects.create(task=task, author=user, message=message)
        _tell_on_commit(notify.notify_urge, row)
    return row


# --- coordination -------------------------------------------------------------


def ask_coordination(task, user, to_unit, subject, text):
    _require(can_report_progress(user, task))
    if to_unit.pk == task.unit_id:
        raise TransitionRefused(_("Ask another unit or department, not the task's own unit."))
    return CoordinationRequest.objects.create(
        task=task, from_unit=task.unit, to_unit=to_unit, subject=subject, text=text, created_by=user
    )


def reply_coordination(request, user, unit, text):
    with transaction.atomic():
        reply = CoordinationReply.objects.create(request=request, author=user, unit=unit, text=text)
        if request.status == CoordinationRequest.Status.OPEN and unit.pk == request.to_unit_id:
            CoordinationRequest.objects.filter(pk=request.pk).update(status=CoordinationRequest.Status.ANSWERED)
    return reply


def resolve_coordination(request, user):
    return CoordinationRequest.objects.filter(pk=request.pk).exclude(
        status=CoordinationRequest.Status.RESOLVED
    ).update(status=CoordinationRequest.Status.RESOLVED, resolved_by=user, resolved_at=timezone.now())
