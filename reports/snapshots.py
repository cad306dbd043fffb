"""Daily snapshots of every unit's figures (issue 11): written, rebuilt, read.

- :func:`take` (the daily Celery job ``reports.tasks.take_snapshots``, at 23:50
  Asia/Shanghai) writes one :class:`~reports.models.UnitSnapshot` per unit for
  the day from the roll-ups (two queries per thousand units). Running it again
  the same day replaces that day's rows (an upsert on (unit, day)): never two.
- :func:`rebuild` writes a past day again from the tasks' history
  (django-simple-history): each task as it stood at the end of that day, its
  warning level worked out by ``rectification.policy`` for that day (the sweep
  stores levels without history), counted the way the roll-ups count.
- :func:`figures_on` and :func:`series` read them back as ``Figures``.
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from campaign.models import Unit
from campaign.permissions import ancestor_ids
from rectification import policy, rollups
from rectification.models import Task, WarningPolicy
from rectification.models.rollups import COUNTERS

from .models import UnitSnapshot

CHUNK = 2000
AGE_FIELDS = {"1-7": "age_1_7", "8-30": "age_8_30", "31-90": "age_31_90", "91+": "age_91"}
FIELDS = (*COUNTERS, *AGE_FIELDS.values(), "oldest_overdue")


def _row(unit_id, day, figures):
    values = {name: getattr(figures, name) for name in COUNTERS}
    values.update({field: figures.ages[name] for name, field in AGE_FIELDS.items()})
    return UnitSnapshot(unit_id=unit_id, day=day, oldest_overdue=figures.oldest_overdue, **values)


def _save(rows):
    UnitSnapshot.objects.bulk_create(
        rows, batch_size=CHUNK, update_conflicts=True, unique_fields=["unit", "day"], update_fields=[*FIELDS, "taken_at"]
    )


def take(day=None):
    """Save every unit's figures for ``day`` (today in Asia/Shanghai); returns how many units."""
    day = day or timezone.localdate()
    ids = list(Unit.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found = rollups.figures_for(chunk, today=day)
            _save([_row(pk, day, found[pk]) for pk in chunk])
    return len(ids)


def _end_of(day):
    start = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start) - datetime.timedelta(microseconds=1)


def _policies():
    stored = defaultdict(dict)  # batch id -> term -> WarningPolicy
    for row in WarningPolicy.objects.filter(campaign__batches__isnull=False).values(
        "term", "window_days", "escalate_after_days", "explanation_grace_days", "campaign__batches__id"
    ):
        stored[row["campaign__batches__id"]][row["term"]] = policy.Policy(
            row["window_days"], row["escalate_after_days"], row["explanation_grace_days"]
        )
    return lambda batch_id, term: stored.get(batch_id, {}).get(term) or policy.default_policy(term)


def history_figures(day):
    """{unit id: Figures} of every unit holding tasks on ``day``, from the tasks' history."""
    policy_of = _policies()
    paths = dict(Unit.objects.values_list("pk", "path"))
    found = defaultdict(lambda: rollups.Figures(today=day))
    for task in Task.history.as_of(_end_of(day)).iterator():
        task.warning_level = policy.warning_level(task, day, policy_of(task.batch_id, task.term))
        task.unit_path = paths[task.unit_id]
        state = rollups.counted(task)
        values = state.counters()
        overdue_days = (day - state.due_date).days if state.is_open else 0
        for unit_id in ancestor_ids(state.unit_path):
            figures = found[unit_id]
            for name, value in values.items():
                setattr(figures, name, getattr(figures, name) + value)
            if overdue_days > 0:
                for name, first, last in rollups.AGE_BUCKETS:
                    if overdue_days >= first and (last is None or overdue_days <= last):
                        figures.ages[name] += 1
                if figures.oldest_overdue is None or state.due_date < figures.oldest_overdue:
                    figures.oldest_overdue = state.due_date
    return found


def rebuild(day):
    """Write ``day``'s snapshot of every unit again from the history; returns how many units."""
    found = history_figures(day)
    ids = list(Unit.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        _save([_row(pk, day, found.get(pk) or rollups.Figures(today=day)) for pk in ids])
    return len(ids)


# --- reading ------------------------------------------------------------------------------


def _figures(snapshot, day):
    figures = rollups.Figures(today=day)
    for name in COUNTERS:
        setattr(figures, name, getattr(snapshot, name))
    for name, field in AGE_FIELDS.items():
        figures.ages[name] = getattr(snapshot, field)
    figures.oldest_overdue = snapshot.oldest_overdue
    return figures


def figures_on(unit_ids, day):
    """{unit id: Figures} saved for ``day`` (units without a snapshot that day are missing); one query."""
    return {s.unit_id: _figures(s, day) for s in UnitSnapshot.objects.filter(unit_id__in=list(unit_ids), day=day)}


def total_on(unit_ids, day):
    """The snapshot figures of ``unit_ids`` added up for ``day``; None when none was taken."""
    found = figures_on(unit_ids, day)
    return rollups.Figures.total(found.values(), today=day) if found else None


def series(unit_ids, first, last):
    """[(day, Figures)] of the days between ``first`` and ``last`` with snapshots, the units added up; one query."""
    by_day = defaultdict(list)
    rows = UnitSnapshot.objects.filter(unit_id__in=list(unit_ids), day__gte=first, day__lte=last).order_by("day")
    for snapshot in rows:
        by_day[snapshot.day].append(_figures(snapshot, snapshot.day))
    return [(day, rollups.Figures.total(many, today=day)) for day, many in sorted(by_day.items())]
