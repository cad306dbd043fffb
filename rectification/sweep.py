"""The overdue sweep (DESIGN §3–§4): recompute every open task's stored
warning level with set-based UPDATEs, then raise one ``Alert`` per
(task, level, due date).

The number of SQL statements does not depend on the number of tasks: one
query reads the policies, then one UPDATE per warning level (plus one for
closed tasks) and one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` for the
alerts. The per-campaign, per-term windows of ``WarningPolicy`` become an OR
of conditions inside each UPDATE, grouped by identical policy, so the
statement count does not grow with campaigns either.

The rule is ``rectification.policy``: each UPDATE is built from its
``level_q`` (the rule written as a filter on ``due_date`` and ``explained_at``)
and ``bounds_q``; the tests check that the stored levels equal its
``warning_level`` at every boundary of every term.

History: django-simple-history records ``Task.save()`` only, not queryset
UPDATEs, so the sweep's level changes do not appear in a task's history. That
is deliberate: a level change by the calendar is not an edit by anyone, and
each one the sweep makes is recorded as an ``Alert`` row (task, level, due
date, when). Nor does the sweep touch ``version`` or ``updated_at``, so an
edit form open across a sweep still saves without a false conflict
(``Task.save()`` recomputes the level anyway).

Two sweeps at once: on PostgreSQL a transaction-level advisory lock makes the
second wait for the first, then find nothing left to change; the unique
constraint ``alert_once_per_level_and_due`` with ``ON CONFLICT DO NOTHING``
keeps alerts single in any case. SQLite serialises writers by itself.
"""

import time
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from rectification import rollups
from rectification.jobs import job_run
from rectification.models import Alert, Task, TaskStatus, Term, WarningLevel, WarningPolicy
from rectification.policy import Policy, bounds_q, default_policy, level_q

JOB_NAME = "overdue_sweep"
# pg_advisory_xact_lock key: "SWEEP" in ASCII, so that it is recognisable in pg_locks.
ADVISORY_LOCK_KEY = 0x5357454550

LEVEL_KEYS = {
    WarningLevel.NONE: "none",
    WarningLevel.YELLOW: "yellow",
    WarningLevel.RED: "red",
    WarningLevel.ESCALATED: "escalated",
}

OPEN = ~Q(status=TaskStatus.CLOSED)


def run_sweep(now=None, *, timings=None):
    """Recompute all warning levels as of ``now`` and raise the missing alerts.

    Returns the counts, e.g. ``{"today": "2026-11-29", "yellow": 12,
    "red": 3, "escalated": 1, "none": 4, "alerts_created": 16}``: tasks whose
    level changed, by their new level, and alerts created. The run is
    recorded as a ``JobRun`` named ``overdue_sweep``. Pass a dict as
    ``timings`` to receive each phase's duration in seconds (the benchmark
    does).
    """
    now = now or timezone.now()
    timings = timings if timings is not None else {}
    with job_run(JOB_NAME) as run:
        with transaction.atomic():
            _serialise_sweeps()
            started = time.perf_counter()
            counts = update_levels(now)
            timings["levels"] = time.perf_counter() - started
            started = time.perf_counter()
            counts["alerts_created"] = create_alerts(now)
            timings["alerts"] = time.perf_counter() - started
            started = time.perf_counter()
            rollups.compact()
            timings["rollups"] = time.perf_counter() - started
        counts = {"today": timezone.localdate(now).isoformat(), **counts}
        run.changes = counts
    return counts


def update_levels(now):
    """Set ``warning_level`` (and ``warning_since``) of every task whose level
    is not the one the rule gives on ``now``'s date in Asia/Shanghai.

    Returns the number of tasks changed, by new level name.
    """
    today = timezone.localdate(now)
    groups = policy_groups()
    counts = {}
    for level in (WarningLevel.ESCALATED, WarningLevel.RED, WarningLevel.YELLOW):
        condition = Q()
        for term, policy, batch_q in groups:
            condition |= Q(term=term) & batch_q & level_q(level, policy, today)
        counts[LEVEL_KEYS[level]] = rollups.set_level(
            Task.objects.filter(OPEN, _other_level_q(level), _bounds_q(level, groups, today), condition), level, now
        )
    # Back to none: open tasks due beyond their window, and every closed task.
    condition = Q()
    for term, policy, batch_q in groups:
        condition |= Q(term=term) & batch_q & level_q(WarningLevel.NONE, policy, today)
    reset = Task.objects.filter(
        OPEN, _other_level_q(WarningLevel.NONE), _bounds_q(WarningLevel.NONE, groups, today), condition
    )
    closed = Task.objects.filter(status=TaskStatus.CLOSED, warning_level__gt=WarningLevel.NONE)
    counts["none"] = rollups.set_level(reset, WarningLevel.NONE, None) + closed.update(
        warning_level=WarningLevel.NONE, warning_since=None
    )
    return counts


def create_alerts(now):
    """One ``Alert`` per (task, level, due date) for every open task at yellow
    or worse that has none yet: one INSERT … SELECT, safe to run twice or at
    once. Returns the number of alerts created."""
    alert = Alert._meta
    task = Task._meta
    qn = connection.ops.quote_name
    column = {f.name: qn(f.column) for f in alert.concrete_fields}
    task_column = {f.name: qn(f.column) for f in task.concrete_fields}
    sql = f"""
        INSERT INTO {qn(alert.db_table)}
            ({column["task"]}, {column["level"]}, {column["due_date"]}, {column["created_at"]}, {column["processed_at"]})
        SELECT t.{task_column["id"]}, t.{task_column["warning_level"]}, t.{task_column["due_date"]}, %s, NULL
        FROM {qn(task.db_table)} t
        WHERE NOT (t.{task_column["status"]} = %s)
          AND t.{task_column["warning_level"]} >= %s
          AND NOT EXISTS (
            SELECT 1 FROM {qn(alert.db_table)} a
            WHERE a.{column["task"]} = t.{task_column["id"]}
              AND a.{column["level"]} = t.{task_column["warning_level"]}
              AND a.{column["due_date"]} = t.{task_column["due_date"]}
          )
        ON CONFLICT DO NOTHING
    """
    params = [_db_datetime(now), TaskStatus.CLOSED.value, WarningLevel.YELLOW.value]
    # In a transaction of its own when called outside one: SET LOCAL lasts only as long as the transaction
    # (in autocommit it does nothing, and the quadratic plan below came back for such a caller).
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Never a nested loop: with an empty (or nearly empty) alert table the planner
            # would probe it by a sequential scan per task, and the scan grows with every
            # alert this very statement inserts: quadratic (a first sweep of a million
            # tasks ran for minutes). A hash or merge anti-join is linear whatever the statistics.
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        created = max(cursor.rowcount, 0)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_nestloop = on")
        return created


def policy_groups():
    """The effective policy of every (term, campaign), as a list of
    ``(term, Policy, batch filter)``; one query.

    Campaigns whose policy for a term equals another's share one group (and
    one OR branch in each UPDATE); tasks of campaigns with no policy for a
    term, or a policy equal to the default, fall in the default group.
    """
    rows = WarningPolicy.objects.filter(campaign__batches__isnull=False).values_list(
        "term", "window_days", "escalate_after_days", "explanation_grace_days", "campaign__batches__id"
    )
    explicit = defaultdict(lambda: defaultdict(list))  # term -> Policy -> [batch ids]
    for term, window, escalate, grace, batch_id in rows:
        explicit[term][Policy(window, escalate, grace)].append(batch_id)
    groups = []
    for term in Term.values:
        default = default_policy(term)
        other_batches = []
        for policy, batch_ids in explicit[term].items():
            if policy == default:
                continue
            groups.append((term, policy, Q(batch_id__in=sorted(batch_ids))))
            other_batches.extend(batch_ids)
        groups.append((term, default, ~Q(batch_id__in=sorted(other_batches)) if other_batches else Q()))
    return groups


def _other_level_q(level):
    """Tasks not at ``level``, written as two ranges so that an index on the level can serve it."""
    return Q(warning_level__lt=level) | Q(warning_level__gt=level)


def _bounds_q(level, groups, today):
    """``policy.bounds_q`` over the groups' policies."""
    return bounds_q(level, [policy for _term, policy, _batches in groups], today)


def _serialise_sweeps():
    """On PostgreSQL, make a concurrent sweep wait until this one commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def _db_datetime(value):
    """A datetime as the backend stores it (raw SQL bypasses the field's adaptation)."""
    from django.db.models import DateTimeField

    return DateTimeField().get_db_prep_value(value, connection)
