"""A task's timeline: everything that happened to it, merged into one list, newest first.

Sources: the task's own history (simple_history: who changed which field from
what to what), progress entries with their evidence, verification requests and
decisions, overdue explanations, extension requests and decisions, urges,
coordination requests and spot-check findings. A fixed number of queries,
whatever the number of entries.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.models import ModelChange

from campaign.models import Unit
from campaign.people import person_name  # noqa: F401  (also used by the task views)

from .models import (
    CoordinationRequest,
    Evidence,
    Explanation,
    ExtensionRequest,
    Instruction,
    Problem,
    ProgressUpdate,
    AccountabilityRecord,
    SpotCheckFinding,
    Task,
    Urge,
    Verification,
)
from .models.decisions import Decision

# Fields of the task's history worth telling people about; the rest are
# bookkeeping that other entries already explain.
HIDDEN_HISTORY_FIELDS = ["warning_since", "explained_at", "closed_at", "created_by", "created_at", "batch"]
# ``diff_against`` compares only editable fields; the workflow's own fields
# (not editable in forms) are compared here, and listed first.
WORKFLOW_FIELDS = ["status", "progress", "warning_level", "original_due_date"]
FOREIGN_KEYS = {"unit": Unit, "problem": Problem, "parent": Task}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class EvidenceLink:
    name: str
    url: str
    size: int
    is_image: bool
    thumbnail_url: str = ""
    extension: str = ""

    @property
    def kind(self):
        """The file's type as its extension (pdf, docx, …), for its icon."""
        return self.extension.lstrip(".").lower()

    @property
    def is_pdf(self):
        return self.kind == "pdf"


@dataclass
class Entry:
    at: datetime.datetime
    kind: str  # history, created, progress, evidence, verification, decision, explanation, review, extension, urge, coordination, spot_check
    title: str
    actor: object = None
    text: str = ""
    changes: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    tone: str = ""  # "", "ok", "warn", "bad"
    prominent: bool = False
    url: str = ""
    meta: str = ""
    fields: set = field(default_factory=set)  # names of the fields changed, for history entries

    @property
    def who(self):
        return person_name(self.actor)




@dataclass
class TaskTimeline:
    entries: list
    latest_verification: Verification | None

    @property
    def returned(self):
        """The latest verification, when it sent the task back to work."""
        latest = self.latest_verification
        if latest is not None and latest.outcome == Verification.Outcome.RETURNED:
            return latest
        return None


def build(task):
    verifications = list(Verification.objects.filter(task=task).select_related("requested_by", "decided_by"))
    latest = verifications[0] if verifications else None
    steps = [
        *progress_entries(task),
        *verification_entries(task, verifications, latest),
        *explanation_entries(task),
        *extension_entries(task),
        *urge_entries(task),
        *instruction_entries(task),
        *coordination_entries(task),
        *spot_check_entries(task),
        *accountability_entries(task),
    ]
    entries = steps + fold(history_entries(task), steps)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return TaskTimeline(entries=entries, latest_verification=latest)


# --- history ---------------------------------------------------------------------


def history_entries(task):
    records = list(task.history.select_related("history_user").order_by("history_date", "history_id"))
    co_units = _co_units_by_record(records)
    diffs = []
    previous = None
    for record in records:
        if previous is None or record.history_type == "+":
            diffs.append((record, None))
        else:
            changes = _diff(record, previous, co_units)
            if changes:
                diffs.append((record, changes))
        previous = record
    diffs = _merge_co_unit_steps(diffs)
    names = _foreign_key_names(change for _record, changes in diffs for change in changes or ())
    entries = []
    for record, changes in diffs:
        if changes is None:
            entries.append(
                Entry(at=record.history_date, kind="created", title=_("Task created"), actor=record.history_user)
            )
            continue
        entries.append(
            Entry(
                at=record.history_date,
                kind="history",
                title=record.history_change_reason or _("Task changed"),
                actor=record.history_user,
                changes=[_describe(change, names) for change in changes],
                fields={change.field for change in changes},
            )
        )
    return entries


def _merge_co_unit_steps(diffs):
    """Setting co-responsible units writes a history record per step of the
    many-to-many change (clear, add): fold those into the edit (or creation)
    by the same person just before, as one change from the first set to the last."""
    merged = []
    for record, changes in diffs:
        only_co_units = changes and all(change.field == "co_units" for change in changes)
        if only_co_units and merged:
            last_record, last_changes = merged[-1]
            same_step = (
                last_record.history_user_id == record.history_user_id
                and record.history_date - last_record.history_date <= FOLD_WINDOW
                # units set by an edit carry the edit's reason; those set on creation none
                and (last_changes is not None or not record.history_change_reason)
            )
            if same_step:
                if last_changes is None:  # the units chosen when the task was created
                    merged[-1] = (record, None)
                    continue
                earlier = next((c for c in last_changes if c.field == "co_units"), None)
                change = changes[0]
                if earlier is not None:
                    change = ModelChange("co_units", earlier.old, change.new)
                kept = [c for c in last_changes if c.field != "co_units"]
                if change.old != change.new or kept:
                    merged[-1] = (last_record, kept + ([change] if change.old != change.new else []))
                else:
                    merged.pop()
                continue
        merged.append((record, changes))
    return [(record, changes) for record, changes in merged if changes is None or changes]


FOLD_WINDOW = datetime.timedelta(seconds=2)
FOLDABLE = {"status", "progress", "warning_level", "original_due_date", "due_date"}


def fold(history, steps):
    """Show a change that a step made to the task under that step, not as an entry of its own.

    A step (a progress entry, a decision…) writes its row and then saves the task
    in the same transaction: the history record follows it within moments, by
    the same person. Only workflow fields are folded; edits stay on their own.
    Returns the history entries left standing.
    """
    candidates = sorted((step for step in steps if not step.changes), key=lambda step: step.at)
    standing = []
    for entry in history:
        if entry.kind == "history" and entry.fields <= FOLDABLE:
            step = next(
                (
                    step
                    for step in reversed(candidates)
                    if not step.changes
                    and datetime.timedelta(0) <= entry.at - step.at <= FOLD_WINDOW
                    and (entry.actor is None or step.actor is None or entry.actor.pk == step.actor.pk)
                ),
                None,
            )
            if step is not None:
                step.changes = entry.changes
                continue
        standing.append(entry)
    return standing


def _co_units_by_record(records):
    """Each history record's co-responsible unit ids, in one query (history_id → sorted ids)."""
    through = Task.history.model._meta.get_field("historicaltask_co_units").related_model
    snapshot = {record.history_id: [] for record in records}
    rows = through.objects.filter(history_id__in=snapshot).values_list("history_id", "unit_id")
    for history_id, unit_id in rows:
        snapshot[history_id].append(unit_id)
    return {history_id: sorted(ids) for history_id, ids in snapshot.items()}


def _diff(record, previous, co_units):
    """What changed between two consecutive history records: [ModelChange(field, old, new)]."""
    workflow = [
        ModelChange(name, getattr(previous, name), getattr(record, name))
        for name in WORKFLOW_FIELDS
        if getattr(previous, name) != getattr(record, name)
    ]
    changes = record.diff_against(previous, excluded_fields=[*HIDDEN_HISTORY_FIELDS, "co_units"]).changes
    before, after = co_units[previous.history_id], co_units[record.history_id]
    if before != after:
        changes.append(ModelChange("co_units", before, after))
    return workflow + changes


def _unit_ids(value):
    """The unit ids of a co_units value in a history diff."""
    return list(value or ())


def _foreign_key_names(changes):
    wanted = {}
    for change in changes:
        if change.field == "co_units":
            wanted.setdefault("co_units", set()).update(_unit_ids(change.old) + _unit_ids(change.new))
        elif change.field in FOREIGN_KEYS:
            wanted.setdefault(change.field, set()).update(v for v in (change.old, change.new) if v is not None)
    names = {}
    for name, ids in wanted.items():
        model = Unit if name == "co_units" else FOREIGN_KEYS[name]
        label = "name" if model is Unit else "title"
        names[name] = dict(model.objects.filter(pk__in=ids).values_list("pk", label))
    return names


def _describe(change, names):
    model_field = Task._meta.get_field(change.field)
    return Change(
        label=str(model_field.verbose_name),
        old=_display(model_field, change.old, names),
        new=_display(model_field, change.new, names),
    )


def _display(model_field, value, names):
    if model_field.name == "co_units":
        units = [names["co_units"].get(pk, f"#{pk}") for pk in _unit_ids(value)]
        return "、".join(sorted(units)) or "—"
    if value is None or value == "":
        return "—"
    if model_field.name in names:
        return names[model_field.name].get(value, f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if model_field.name == "progress":
        return f"{value}%"
    return str(value)


# --- the workflow's own rows -------------------------------------------------------


def evidence_link(evidence):
    return EvidenceLink(
        name=evidence.original_name,
        url=reverse("rectification:evidence_download", args=[evidence.pk]),
        size=evidence.size,
        is_image=evidence.content_type.startswith("image/"),
        thumbnail_url=reverse("rectification:evidence_thumbnail", args=[evidence.pk]) if evidence.thumbnail else "",
        extension=evidence.extension,
    )


def progress_entries(task):
    entries = []
    updates = ProgressUpdate.objects.filter(task=task).select_related("author", "unit").prefetch_related("evidence")
    for update in updates:
        entries.append(
            Entry(
                at=update.created_at,
                kind="progress",
                title=_("Progress reported: %(percent)s%% done") % {"percent": update.percent},
                actor=update.author,
                text=update.text,
                evidence=[evidence_link(evidence) for evidence in update.evidence.all()],
                meta=_("Progress as of %(date)s, by %(unit)s")
                % {"date": f"{update.entry_date:%Y-%m-%d}", "unit": update.unit.display_name if update.unit else "—"},
            )
        )
    loose = Evidence.objects.filter(task=task, progress__isnull=True).select_related("uploaded_by")
    for evidence in loose:
        entries.append(
            Entry(
                at=evidence.uploaded_at,
                kind="evidence",
                title=_("Evidence attached"),
                actor=evidence.uploaded_by,
                evidence=[evidence_link(evidence)],
            )
        )
    return entries


def verification_entries(task, verifications, latest):
    entries = []
    for verification in verifications:
        entries.append(
            Entry(
                at=verification.requested_at,
                kind="verification",
                title=_("Closing requested"),
                actor=verification.requested_by,
                text=verification.note,
            )
        )
        if verification.decided_at is None:
            continue
        if verification.outcome == Verification.Outcome.APPROVED:
            title, tone = _("Verified and closed"), "ok"
        else:
            title, tone = _("Returned for more work"), "bad"
        entries.append(
            Entry(
                at=verification.decided_at,
                kind="decision",
                title=title,
                actor=verification.decided_by,
                text=verification.reason,
                tone=tone,
                prominent=verification is latest and verification.outcome == Verification.Outcome.RETURNED,
            )
        )
    return entries


def explanation_entries(task):
    entries = []
    explanations = Explanation.objects.filter(task=task).select_related("author", "reviewed_by")
    for explanation in explanations:
        entries.append(
            Entry(
                at=explanation.created_at,
                kind="explanation",
                title=_("Overdue explained: %(reason)s") % {"reason": explanation.get_reason_code_display()},
                actor=explanation.author,
                text=explanation.text,
                meta=_("For the due date %(date)s") % {"date": f"{explanation.due_date:%Y-%m-%d}"},
            )
        )
        if explanation.reviewed_at:
            if explanation.accepted is False:
                title, tone = _("Explanation not accepted: explain again"), "bad"
            elif explanation.accepted:
                title, tone = _("Explanation accepted"), "ok"
            else:
                title, tone = _("Explanation reviewed"), ""
            entries.append(
                Entry(
                    at=explanation.reviewed_at,
                    kind="review",
                    title=title,
                    actor=explanation.reviewed_by,
                    text=explanation.review_note,
                    tone=tone,
                )
            )
    return entries


def extension_entries(task):
    entries = []
    requests = ExtensionRequest.objects.filter(task=task).select_related("requested_by", "decided_by")
    for request in requests:
        dates = {"old": f"{request.previous_due_date:%Y-%m-%d}", "new": f"{request.requested_due_date:%Y-%m-%d}"}
        entries.append(
            Entry(
                at=request.requested_at,
                kind="extension",
                title=_("Extension requested: from %(old)s to %(new)s") % dates,
                actor=request.requested_by,
                text=request.reason,
                meta=_("Waiting for a decision") if request.decision == Decision.PENDING else "",
                tone="warn" if request.decision == Decision.PENDING else "",
            )
        )
        if request.decided_at:
            approved = request.decision == Decision.APPROVED
            entries.append(
                Entry(
                    at=request.decided_at,
                    kind="decision",
                    title=(_("Extension approved: now due %(new)s") if approved else _("Extension refused")) % dates,
                    actor=request.decided_by,
                    text=request.decision_note,
                    tone="ok" if approved else "bad",
                )
            )
    return entries


def urge_entries(task):
    return [
        Entry(at=urge.created_at, kind="urge", title=_("Urged to act"), actor=urge.author, text=urge.message, tone="warn")
        for urge in Urge.objects.filter(task=task).select_related("author")
    ]


def instruction_entries(task):
    """领导批示 on the task and the unit's answers (落实情况), issue 11."""
    entries = []
    for instruction in Instruction.objects.filter(task=task).select_related("author").prefetch_related("replies__author"):
        entries.append(Entry(at=instruction.created_at, kind="instruction", title=_("Leader's instruction"),
                             actor=instruction.author, text=instruction.text, tone="warn"))  # fmt: skip
        for reply in instruction.replies.all():
            entries.append(Entry(at=reply.created_at, kind="instruction_reply", title=_("What was done on the instruction"),
                                 actor=reply.author, text=reply.text))  # fmt: skip
    return entries


def _coordination_url(pk):
    try:
        return reverse("rectification:coordination_detail", kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


def coordination_entries(task):
    entries = []
    requests = (
        CoordinationRequest.objects.filter(task=task)
        .select_related("to_unit", "from_unit", "created_by")
        .annotate(reply_count=Count("replies"))
    )
    for request in requests:
        days = ngettext("%(days)s day since asked", "%(days)s days since asked", request.age_days) % {
            "days": request.age_days
        }
        replies = ngettext("%(replies)s reply", "%(replies)s replies", request.reply_count) % {
            "replies": request.reply_count
        }
        meta = f"{request.get_status_display()} · {days} · {replies}"
        entries.append(
            Entry(
                at=request.created_at,
                kind="coordination",
                title=_("Coordination asked of %(unit)s: %(subject)s")
                % {"unit": request.to_unit.name, "subject": request.subject},
                actor=request.created_by,
                text=request.text,
                meta=meta,
                url=_coordination_url(request.pk),
                tone="warn" if request.status == CoordinationRequest.Status.OPEN else "",
            )
        )
    return entries


def spot_check_entries(task):
    entries = []
    findings = SpotCheckFinding.objects.filter(task=task).select_related("spot_check__group", "spot_check__created_by")
    for finding in findings:
        check = finding.spot_check
        values = {"group": check.group.name, "date": f"{check.checked_on:%Y-%m-%d}"}
        if finding.passed:
            title = _("Spot check by %(group)s on %(date)s: passed") % values
        elif finding.new_due_date:
            values["due"] = f"{finding.new_due_date:%Y-%m-%d}"
            title = _("Spot check by %(group)s on %(date)s: failed, returned for rectification again, now due %(due)s") % values
        else:
            title = _("Spot check by %(group)s on %(date)s: failed") % values
        entries.append(
            Entry(
                at=check.created_at,
                kind="spot_check",
                title=title,
                actor=check.created_by,
                text=finding.note,
                tone="ok" if finding.passed else "bad",
            )
        )
    return entries


def accountability_entries(task):
    """问责 records linked to the task: the measure, whom, the deciding body and its document."""
    entries = []
    records = AccountabilityRecord.objects.filter(tasks=task).select_related("unit", "deciding_unit", "recorded_by")
    for record in records:
        whom = " ".join(part for part in (record.person_post, record.person_name) if part) or record.unit.display_name
        values = {"measure": record.get_measure_display(), "whom": whom}
        meta = _("Decided by %(body)s on %(date)s") % {
            "body": record.deciding_body or "—",
            "date": f"{record.decided_on:%Y-%m-%d}",
        }
        document = []
        if record.document:
            document = [
                EvidenceLink(
                    name=record.document_name,
                    url=reverse("rectification:accountability_document", args=[record.pk]),
                    size=record.document_size,
                    is_image=record.document_type.startswith("image/"),
                )
            ]
        entries.append(
            Entry(
                at=record.created_at,
                kind="accountability",
                title=_("Accountability: %(measure)s, %(whom)s") % values,
                actor=record.recorded_by,
                text=record.note,
                meta=meta,
                evidence=document,
                tone="bad",
            )
        )
    return entries
