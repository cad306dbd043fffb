"""Spot checks (抽查) and accountability (问责): who may record them, over which
tasks, and the writes themselves. Views call these; they stay thin.

A spot check belongs to a supervision group. A user records one for a group
they belong to or lead, or, as a supervisor by membership, for a group of the
campaign that watches a unit inside their own scope. The tasks checked are
tasks of the group's campaign, in any state, inside both the group's units'
subtrees and the user's supervision scope, chosen by hand (the units' tasks)
or drawn at random with a recorded seed; units are checked as a whole too
(their 回头看 and rectification work). A failed finding returns its task for
rectification again (退回重新整改) with a new due date set by the group, and
the unit is told at once.
"""

import datetime
import random
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import Unit
from campaign.models.units import UnitKind
from campaign.permissions import DECIDE, OVERSEE, SUPERVISE, ancestor_ids, outermost, paths_q
from campaign.widgets import unit_source

from . import notify, services
from . import tasks as background
from .models import AccountabilityRecord, SpotCheck, SpotCheckFinding, SpotCheckUnitFinding, Task
from .models.supervision import AccountabilityMeasure

# --- spot checks ----------------------------------------------------------------


def groups_for(user):
    """Supervision groups for which ``user`` may record a spot check."""
    return permissions.recording_groups(user)


def group_paths(group):
    return outermost(set(group.units.values_list("path", flat=True)))


def group_tasks(group, user):
    """Tasks of the group's campaign inside the group's units on which ``user`` may
    record a finding (a decision: separation of duties applies)."""
    return Task.objects.restrict(user, DECIDE).filter(
        paths_q(group_paths(group), "unit_path"), batch__campaign_id=group.campaign_id
    )


def checkable_tasks(group, user, units=None):
    """Tasks a spot check by ``user`` for ``group`` may look at, in any state: closed ones
    (is the rectification lasting?) and those in progress or awaiting verification (is
    the work being done?), as the speech's 抽查 of units' 回头看 and rectification work."""
    tasks = group_tasks(group, user)
    if units:
        tasks = tasks.filter(paths_q(outermost({unit.path for unit in units}), "unit_path"))
    return tasks


def group_units(group, user):
    """Units a spot check by ``user`` for ``group`` may name: inside both scopes."""
    return Unit.objects.restrict(user, SUPERVISE).filter(paths_q(group_paths(group), "path"))


def new_seed():
    """A seed for a random draw, recorded with the check so that the draw can be repeated."""
    return secrets.randbelow(10**9)


def draw_sample(group, n, seed=None, *, user=None, units=None):
    """A random sample of ``n`` tasks (in any state) within the subtrees of the group's
    units (and of ``units``, and the scope of ``user``, when given).

    The same seed draws the same tasks from the same tasks: ids are read in a fixed
    order and picked in Python (``order_by("?")`` cannot be repeated).
    """
    if user is None:
        tasks = Task.objects.filter(paths_q(group_paths(group), "unit_path"), batch__campaign_id=group.campaign_id)
        if units:
            tasks = tasks.filter(paths_q(outermost({unit.path for unit in units}), "unit_path"))
    else:
        tasks = checkable_tasks(group, user, units)
    ids = list(tasks.order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(seed).sample(ids, min(max(n, 0), len(ids)))
    return list(Task.objects.filter(pk__in=chosen).select_related("unit").order_by("unit_path", "pk"))


@dataclass
class Finding:
    """A finding on a task: passed, or failed with what was found and the new due date."""

    task: Task
    passed: bool
    note: str = ""
    new_due_date: datetime.date | None = None


def _findings(findings):
    """Findings given as :class:`Finding` or as tuples (task, passed, note[, new due date])."""
    return [item if isinstance(item, Finding) else Finding(*item) for item in findings]


def record_spot_check(group, user, checked_on, units, findings, summary, *, unit_findings=(), seed=None,
                      sample_size=None):  # fmt: skip
    """Record a spot check with its findings on tasks and on units (``unit_findings``:
    (unit, passed, note)). Every failed task is returned for rectification again
    (退回重新整改) with the new due date the group set, and its unit told at once; every
    failed unit is told too. ``seed`` and ``sample_size`` record a random draw.

    ``units`` may be empty: the units of the tasks checked are recorded then.
    """
    if not groups_for(user).filter(pk=group.pk).exists():
        raise PermissionDenied
    findings = _findings(findings)
    unit_findings = list(unit_findings)
    if not findings and not unit_findings:
        raise ValidationError(_("Record at least one finding."))
    task_ids = [finding.task.pk for finding in findings]
    if len(set(task_ids)) != len(task_ids):
        raise ValidationError(_("Each task can have only one finding in a spot check."))
    allowed = set(group_tasks(group, user).filter(pk__in=task_ids).values_list("pk", flat=True))
    for finding in findings:
        if finding.task.pk not in allowed:
            reason = permissions.refusal(user, DECIDE, finding.task) or _("It is not within this group's scope.")
            raise permissions.Refused(_("“%(task)s”: %(reason)s") % {"task": finding.task, "reason": reason})
    today = timezone.localdate()
    for finding in findings:
        if not finding.passed and not finding.note.strip():
            raise ValidationError(_("Say what was found wrong with “%(task)s”.") % {"task": finding.task})
        if not finding.passed and (finding.new_due_date is None or finding.new_due_date < today):
            raise ValidationError(
                _("Set the new due date for “%(task)s”, today or later.") % {"task": finding.task}
            )
    for unit, passed, note in unit_findings:
        if not passed and not note.strip():
            raise ValidationError(_("Say what was found wrong with the work of %(unit)s.") % {"unit": unit.name})
    units = list(units or [])
    named = units + [unit for unit, _passed, _note in unit_findings]
    if named:
        unit_ids = {unit.pk for unit in named}
        if group_units(group, user).filter(pk__in=unit_ids).count() != len(unit_ids):
            raise PermissionDenied
    if not units:
        units = list(Unit.objects.filter(Q(tasks__pk__in=task_ids) | Q(pk__in=[u.pk for u, _p, _n in unit_findings])).distinct())
    with transaction.atomic():
        spot_check = SpotCheck.objects.create(
            group=group, checked_on=checked_on, summary=summary, created_by=user, seed=seed, sample_size=sample_size
        )
        spot_check.units.set(units)
        states = dict(Task.objects.filter(pk__in=task_ids).values_list("pk", "status"))
        rows = SpotCheckFinding.objects.bulk_create(
            SpotCheckFinding(
                spot_check=spot_check, task=finding.task, passed=finding.passed, note=finding.note,
                new_due_date=None if finding.passed else finding.new_due_date, status_checked=states[finding.task.pk],
            )  # fmt: skip
            for finding in findings
        )
        unit_rows = SpotCheckUnitFinding.objects.bulk_create(
            SpotCheckUnitFinding(spot_check=spot_check, unit=unit, passed=passed, note=note)
            for unit, passed, note in unit_findings
        )
        for row in rows:
            if not row.passed:
                services.return_after_spot_check(row.task, user, row.new_due_date, row.note, today=today)
                _tell(notify.notify_spot_check_failed, row)
        for row in unit_rows:
            if not row.passed:
                _tell(notify.notify_unit_finding_failed, row)
    return spot_check


def _tell(notice, row):
    transaction.on_commit(
        lambda: notice(row, queue_emails=background.queue_email_delivery, queue_robots=background.queue_robot_delivery),
        robust=True,
    )


def visible_spot_checks(user):
    """Spot checks that checked a unit the user sees."""
    return SpotCheck.objects.visible_to(user)


def with_counts(spot_checks, user):
    """Each check with the number of findings, and of failed ones, that ``user`` may see."""
    visible = Q(findings__task__in=Task.objects.visible_to(user))
    return spot_checks.select_related("group", "created_by").order_by("-checked_on", "-pk").annotate(
        finding_count=Count("findings", filter=visible, distinct=True),
        failed_count=Count("findings", filter=visible & Q(findings__passed=False), distinct=True),
    )


def visible_units(spot_check, user):
    """The units a check named that ``user`` may see."""
    return spot_check.units.visible_to(user).order_by("path")


# --- accountability ---------------------------------------------------------------


def can_record_accountability(user):
    """Recording a measure is a decision: supervisors over the unit, with separation of duties."""
    return permissions.has_any(user, DECIDE)


def can_read_accountability(user):
    return permissions.has_any(user, OVERSEE)


def accountability_units(user):
    """Units against which ``user`` may record a measure."""
    return Unit.objects.restrict(user, DECIDE)


def accountability_tasks(user, unit=None):
    """Tasks that a record by ``user`` may link: of ``unit``'s subtree, decidable by the user."""
    tasks = Task.objects.restrict(user, DECIDE)
    if unit is not None:
        tasks = tasks.within(unit)
    return tasks


def visible_accountability(user):
    """Records of units where the user supervises, administers or leads."""
    return AccountabilityRecord.objects.restrict(user, OVERSEE)


def deciding_bodies(unit):
    """The units that may have decided a measure against ``unit``: the unit itself and the
    units above it (the 市委, a district committee), and the departments right below those
    (its 纪委 or 组织部, when they are units of the tree). Never a supervision group."""
    above = ancestor_ids(unit.path)
    return Unit.objects.filter(Q(pk__in=above) | Q(parent_id__in=above[:-1], kind=UnitKind.DEPARTMENT)).order_by("path")


def deciding_body_choices(user):
    """Deciding bodies offered to ``user``: those of any unit they may record a measure against."""
    paths = permissions.access(user).paths(DECIDE)
    if paths is permissions.EVERYTHING:
        return Unit.objects.all()
    above = {unit_id for path in paths or () for unit_id in ancestor_ids(path)}
    return Unit.objects.filter(
        Q(pk__in=above) | Q(parent_id__in=above, kind=UnitKind.DEPARTMENT) | paths_q(paths, "path")
    )


# The unit picker of the accountability form offers (and searches) these.
unit_source("deciding")(deciding_body_choices)


def record_accountability(user, *, unit, measure, decided_on, deciding_unit, person_name="", person_post="", tasks=(),
                          note="", document=None):  # fmt: skip
    """Record a measure (约谈, 通报, 诫勉 …) against a unit or one of its people (with their
    post, 职务), decided by ``deciding_unit`` (a unit: see :func:`deciding_bodies`), with the
    decision document (checked as any evidence). The unit's staff are told once it commits,
    about each linked task; the record shows on those tasks' timelines."""
    from .uploads import check_upload

    permissions.require(user, DECIDE, unit)
    if measure not in AccountabilityMeasure.values:
        raise ValidationError(_("Choose a measure from the list."))
    if deciding_unit is None or not deciding_bodies(unit).filter(pk=deciding_unit.pk).exists():
        raise ValidationError(
            _("The deciding body is the unit itself, a unit above it or one of their departments (a 纪委, a 组织部); "
              "a supervision group does not decide measures.")
        )
    if person_post and not person_name:
        raise ValidationError(_("Name the person whose post is given."))
    tasks = list(tasks)
    outside = [task for task in tasks if not task.unit_path.startswith(unit.path)]
    if outside:
        raise ValidationError(
            _("Only tasks of the unit and the units below it can be linked; not “%(task)s”.") % {"task": outside[0]}
        )
    kind = check_upload(document) if document else None
    record = None
    try:
        with transaction.atomic():
            record = AccountabilityRecord(
                unit=unit,
                person_name=person_name,
                person_post=person_post,
                measure=measure,
                decided_on=decided_on,
                deciding_unit=deciding_unit,
                decided_by=deciding_unit.name,
                note=note,
                recorded_by=user,
            )
            if document:
                record.document = document
                record.document_name = document.name[:255]
                record.document_type = kind.mime
                record.document_size = document.size
            record.save()
            record.tasks.set(tasks)
            transaction.on_commit(
                lambda: notify.notify_accountability(
                    record, queue_emails=background.queue_email_delivery, queue_robots=background.queue_robot_delivery
                ),
                robust=True,
            )
    except BaseException:
        if record is not None and record.document:
            record.document.storage.delete(record.document.name)
        raise
    return record
