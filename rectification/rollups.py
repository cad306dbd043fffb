"""Per-unit roll-ups of the tasks (issue 10, DESIGN §8): the figures of any unit's
subtree are read, not counted.

Reading (the home page, the dashboards of issue 11, the PDF reports of issue 12)::

    figures(unit, campaign=None, batch=None, today=None)        -> Figures
    child_figures(unit, campaign=None, batch=None, today=None)  -> [Figures], one per child unit
    figures_for(units, campaign=None, batch=None, today=None)   -> {unit id: Figures}
    scope_figures(user, campaign=None, batch=None, today=None)  -> Figures of everything the user sees

and, for what the roll-ups do not keep (a task's term, its problem's category, its start
date: the dashboard's phase, term and category filters), the same Figures counted live::

    counted_figures(tasks, units, today=None)                   -> {unit id: Figures}, one aggregate

A :class:`Figures` holds the tasks of the unit's whole subtree (the unit
itself included; sub-tasks count as tasks) by status, open tasks by warning
level, overdue tasks without an explanation, tasks closed on time (by the
current and by the original due date), extended tasks and the summed progress
of open tasks, with rates derived from them; and the ages of the overdue work
on ``today``: open tasks past due in the buckets 1–7, 8–30, 31–90 and over 90
days, and the oldest due date among them. Every reader costs two queries
whatever the size of the subtree, and ``figures_for`` two for any number of
units. Tasks of co-responsible units count with their own unit only.

Keeping them (DESIGN: "kept current by the services and the sweep"):

- ``Task.save()`` (hence every service) and a task's deletion record the
  difference between the task as it was loaded and as it is saved;
- :func:`tasks_added` records tasks created in bulk (the ledger import);
- :func:`unit_moved` moves a unit's figures from its old upper units to its
  new ones;
- the sweep records its level changes (:func:`record_level_changes`) and
  folds the pending changes in (:func:`compact`);
- :func:`rebuild` (``manage.py rebuild_rollups``) recomputes everything from
  the tasks; tests check that the kept figures equal it after every kind of
  change.

A change is one row per unit from the root down to the task's unit in
``RollupChange``: an INSERT, which never waits for another writer (the root's
row would otherwise be a queue for every task change of the province).
Readers add the pending rows to the folded ones; :func:`compact` folds them.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from campaign import rollups as shared
from campaign.permissions import VIEW, ancestor_ids

from .models import DueRollup, RollupChange, Task, TaskRollup, TaskStatus, WarningLevel
from .models.rollups import COUNTERS

# Overdue ages: (name, first day, last day or None).
AGE_BUCKETS = (("1-7", 1, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("91+", 91, None))
LEVEL_COUNTERS = {
    WarningLevel.NONE: "level_none",
    WarningLevel.YELLOW: "level_yellow",
    WarningLevel.RED: "level_red",
    WarningLevel.ESCALATED: "level_escalated",
}
# pg_advisory lock key shared with the sweep: compaction and rebuilds never overlap.
LOCK_KEY = 0x5357454550


# --- how one task counts ------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """What of a task the roll-ups depend on."""

    unit_path: str
    batch_id: int
    status: str
    warning_level: int
    explained: bool
    due_date: datetime.date
    original_due_date: datetime.date
    closed_on: datetime.date | None
    progress: int

    @property
    def is_open(self):
        return self.status != TaskStatus.CLOSED

    def counters(self):
        """{counter: value} of this task; the same rule as :func:`_counter_expressions` in SQL."""
        is_open = self.is_open
        values = {
            "tasks": 1,
            "in_progress": int(self.status == TaskStatus.IN_PROGRESS),
            "pending": int(self.status == TaskStatus.PENDING_VERIFICATION),
            "closed": int(not is_open),
            "unexplained": int(is_open and self.warning_level >= WarningLevel.RED and not self.explained),
            "closed_on_time": int(not is_open and self.closed_on is not None and self.closed_on <= self.due_date),
            "closed_by_original": int(
                not is_open and self.closed_on is not None and self.closed_on <= self.original_due_date
            ),
            "extended": int(self.due_date != self.original_due_date),
            "progress_sum": self.progress if is_open else 0,
        }
        for level, name in LEVEL_COUNTERS.items():
            values[name] = int(is_open and self.warning_level == level)
        return values


TRACKED_FIELDS = (
    "unit_path",
    "batch_id",
    "status",
    "warning_level",
    "explained_at",
    "due_date",
    "original_due_date",
    "closed_at",
    "progress",
)


def counted(values):
    """A :class:`Counted` from a task or a dict of its TRACKED_FIELDS."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    closed_at = get("closed_at")
    return Counted(
        unit_path=get("unit_path"),
        batch_id=get("batch_id"),
        status=get("status"),
        warning_level=get("warning_level"),
        explained=get("explained_at") is not None,
        due_date=get("due_date"),
        original_due_date=get("original_due_date"),
        closed_on=timezone.localdate(closed_at) if closed_at is not None else None,
        progress=get("progress"),
    )


def _counter_expressions():
    """{counter: aggregate} over tasks: the rule of :meth:`Counted.counters` in SQL."""
    is_open = ~Q(status=TaskStatus.CLOSED)
    closed = Q(status=TaskStatus.CLOSED)
    expressions = {
        "tasks": Count("pk"),
        "in_progress": Count("pk", filter=Q(status=TaskStatus.IN_PROGRESS)),
        "pending": Count("pk", filter=Q(status=TaskStatus.PENDING_VERIFICATION)),
        "closed": Count("pk", filter=closed),
        "unexplained": Count(
            "pk", filter=is_open & Q(warning_level__gte=WarningLevel.RED, explained_at__isnull=True)
        ),
        "closed_on_time": Count("pk", filter=closed & Q(closed_at__date__lte=F("due_date"))),
        "closed_by_original": Count("pk", filter=closed & Q(closed_at__date__lte=F("original_due_date"))),
        "extended": Count("pk", filter=~Q(due_date=F("original_due_date"))),
        "progress_sum": Sum("progress", filter=is_open, default=0),
    }
    for level, name in LEVEL_COUNTERS.items():
        expressions[name] = Count("pk", filter=is_open & Q(warning_level=level))
    return expressions


# --- keeping them: one task -------------------------------------------------------------------


def loaded_state(task):
    """The task as the database holds it, read (and locked) just before ``task`` is
    saved over it; None for a new task. ``Task.save()`` calls it inside its transaction."""
    if task._state.adding or task.pk is None:
        return None
    row = Task.objects.select_for_update().filter(pk=task.pk).values(*TRACKED_FIELDS).first()
    return counted(row) if row else None


def task_saving(sender, instance, **kwargs):
    """pre_save of a task: remember it as the database holds it (:func:`loaded_state`)."""
    instance._rollup_before = loaded_state(instance)


def task_saved_signal(sender, instance, update_fields=None, **kwargs):
    """post_save of a task: record the difference with what :func:`task_saving` remembered."""
    task_saved(instance, getattr(instance, "_rollup_before", None), update_fields)
    instance._rollup_before = None


def task_saved(task, before, update_fields=None):
    """Record the difference between ``before`` (:func:`loaded_state`) and the saved task."""
    if update_fields is not None:
        row = Task.objects.filter(pk=task.pk).values(*TRACKED_FIELDS).first()
        after = counted(row)
    else:
        after = counted(task)
    record(before, after)


def task_deleted(sender, instance, **kwargs):
    """A task was deleted (post_delete): take it out."""
    record(counted(instance), None)


def record(before, after):
    """Append the change from ``before`` to ``after`` (Counted or None) for every unit above."""
    rows = {}  # (unit id, batch id, due date or None) -> {column: delta}
    for sign, state in ((-1, before), (1, after)):
        if state is None:
            continue
        values = state.counters()
        for unit_id in ancestor_ids(state.unit_path):
            row = rows.setdefault((unit_id, state.batch_id, None), defaultdict(int))
            for name, value in values.items():
                row[name] += sign * value
            if state.is_open:
                rows.setdefault((unit_id, state.batch_id, state.due_date), defaultdict(int))["open_due"] += sign
    changes = []
    for (unit_id, batch_id, due_date), delta in rows.items():
        delta = {name: value for name, value in delta.items() if value}
        if delta:
            changes.append(RollupChange(unit_id=unit_id, batch_id=batch_id, due_date=due_date, **delta))
    if changes:
        RollupChange.objects.bulk_create(changes)
    return len(changes)


# --- keeping them: many tasks at once --------------------------------------------------------


def tasks_added(tasks):
    """Record new tasks created without ``Task.save()`` (bulk_create): a queryset of them."""
    _insert_counters(RollupChange, tasks, {"due_date": "NULL", "open_due": "0"})
    _insert_dues(RollupChange, tasks, "open_due", dict.fromkeys(COUNTERS, "0"))


def unit_moved(sender=None, old_path="", new_path="", **kwargs):
    """A unit moved: take its subtree's figures from the units above its old place
    and give them to the units above its new place (its own rows stay as they are)."""
    unit_id = ancestor_ids(new_path)[-1]
    old_above, new_above = ancestor_ids(old_path)[:-1], ancestor_ids(new_path)[:-1]
    if old_above == new_above:
        return
    counters, dues = _pending_and_folded([unit_id])
    changes = []
    for sign, above in ((-1, old_above), (1, new_above)):
        for ancestor in above:
            for (_unit, batch_id), values in counters.items():
                changes.append(
                    RollupChange(unit_id=ancestor, batch_id=batch_id, **{k: sign * v for k, v in values.items()})
                )
            for (_unit, batch_id, due_date), count in dues.items():
                changes.append(
                    RollupChange(unit_id=ancestor, batch_id=batch_id, due_date=due_date, open_due=sign * count)
                )
    RollupChange.objects.bulk_create(changes, batch_size=5000)


def _pending_and_folded(unit_ids):
    """{(unit, batch): {counter: value}} and {(unit, batch, due date): open tasks} of these units."""
    counters = defaultdict(lambda: defaultdict(int))
    dues = defaultdict(int)
    for model in (TaskRollup, RollupChange):
        for row in model.objects.filter(unit_id__in=unit_ids).values("unit_id", "batch_id", *COUNTERS):
            target = counters[(row["unit_id"], row["batch_id"])]
            for name in COUNTERS:
                target[name] += row[name]
    for row in DueRollup.objects.filter(unit_id__in=unit_ids).values_list("unit_id", "batch_id", "due_date", "open_tasks"):
        dues[row[:3]] += row[3]
    pending = RollupChange.objects.filter(unit_id__in=unit_ids, due_date__isnull=False)
    for row in pending.values_list("unit_id", "batch_id", "due_date", "open_due"):
        dues[row[:3]] += row[3]
    return counters, {key: count for key, count in dues.items() if count}


def set_level(tasks, level, since):
    """UPDATE the open ``tasks`` to ``level`` (the sweep) and record the change; returns how many.

    The change recorded is the one made (the level each row had). On PostgreSQL that is one
    statement (:func:`_set_level_sql`): UPDATE … RETURNING the levels replaced, and the
    roll-up changes of every unit above, summed in SQL; nothing comes back to Python but
    the count. Elsewhere the changed rows are locked and read first."""
    if connection.vendor == "postgresql":
        return _set_level_sql(tasks, level, since)
    rows = list(tasks.select_for_update().values_list("unit_path", "batch_id", "warning_level", "explained_at"))
    if not rows:
        return 0
    changed = tasks.update(warning_level=level, warning_since=since if level else None)
    record_level_changes((path, batch_id, before, level, explained is not None) for path, batch_id, before, explained in rows)
    return changed


LEVEL_CHANGE_COUNTERS = (*LEVEL_COUNTERS.values(), "unexplained")


def _set_level_sql(tasks, level, since):
    """:func:`set_level` as one statement (PostgreSQL): at a million tasks the first sweep
    changes a third of them, and reading them into Python cost over a minute.

    The levels replaced are read in the same statement (``old``) and the UPDATE changes only
    the rows still at the level read: a task another transaction changed meanwhile is
    re-checked on its new version (PostgreSQL's EvalPlanQual), and one whose level moved is
    left to the next sweep. So the change recorded is always the one made, without locking
    every row first (a lock is a write of every row: it doubled the cost)."""
    task = Task._meta
    table = _qn(task.db_table)
    t = {name: _qn(task.get_field(name).column) for name in ("id", "warning_level", "warning_since", "unit_path", "batch", "explained_at")}
    query = tasks.order_by().query
    compiler = query.get_compiler(connection=connection)
    where_sql, where_params = compiler.compile(query.where)
    if any(count for alias, count in query.alias_refcount.items() if alias != task.db_table):
        raise ValueError("set_level takes tasks filtered on their own columns only (no joins)")
    deltas = ", ".join(
        f"g.n * ({int(level == value)} - (g.before = {int(value)})::int) AS {name}" for value, name in LEVEL_COUNTERS.items()
    )
    overdue = int(level >= WarningLevel.RED)
    inner = (
        f"SELECT g.unit_path, g.batch_id, {deltas},"
        f" CASE WHEN g.explained THEN 0 ELSE g.n * ({overdue} - (g.before >= {int(WarningLevel.RED)})::int) END AS unexplained"
        " FROM grouped g"
    )
    others = [name for name in COUNTERS if name not in LEVEL_CHANGE_COUNTERS]
    c = _columns(RollupChange, ["unit", "batch", "due_date", "open_due", *COUNTERS])
    target = ", ".join(c[name] for name in ("unit", "batch", *LEVEL_CHANGE_COUNTERS, *others, "open_due", "due_date"))
    spread = shared.expansion(inner, list(LEVEL_CHANGE_COUNTERS))
    constants = ", ".join(["0"] * (len(others) + 1) + ["NULL"])
    nonzero = " OR ".join(f"x.s{i} <> 0" for i in range(len(LEVEL_CHANGE_COUNTERS)))
    names = ", ".join(["unit_id", "batch_id", *(f"s{i}" for i in range(len(LEVEL_CHANGE_COUNTERS)))])
    sql = f"""
        WITH old AS MATERIALIZED (
            SELECT {table}.{t["id"]} AS id, {table}.{t["warning_level"]} AS before FROM {table} WHERE {where_sql}
        ),
        changed AS (
            UPDATE {table} SET {t["warning_level"]} = %s, {t["warning_since"]} = %s
            FROM old WHERE {table}.{t["id"]} = old.id AND {table}.{t["warning_level"]} = old.before AND ({where_sql})
            RETURNING {table}.{t["unit_path"]} AS unit_path, {table}.{t["batch"]} AS batch_id,
                      old.before, {table}.{t["explained_at"]} IS NOT NULL AS explained
        ),
        grouped AS (
            SELECT unit_path, batch_id, before, explained, COUNT(*) AS n FROM changed GROUP BY 1, 2, 3, 4
        ),
        written AS (
            INSERT INTO {_qn(RollupChange._meta.db_table)} ({target})
            SELECT x.*, {constants} FROM ({spread}) AS x ({names}) WHERE {nonzero}
        )
        SELECT COALESCE(SUM(n), 0) FROM grouped
    """
    params = [*where_params, int(level), _db_value(since if level else None), *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def _db_value(value):
    from django.db.models import DateTimeField

    return None if value is None else DateTimeField().get_db_prep_value(value, connection)


def record_level_changes(rows):
    """The sweep's level changes: ``rows`` of (unit path, batch id, level before, level after,
    explained), one per task changed (any iterable; tasks in the same unit may repeat)."""
    grouped = defaultdict(int)
    for unit_path, batch_id, before, after, explained in rows:
        grouped[(unit_path, batch_id, before, after, explained)] += 1
    totals = defaultdict(lambda: defaultdict(int))
    for (unit_path, batch_id, before, after, explained), count in grouped.items():
        delta = defaultdict(int)
        delta[LEVEL_COUNTERS[before]] -= count
        delta[LEVEL_COUNTERS[after]] += count
        if not explained:
            delta["unexplained"] += count * (int(after >= WarningLevel.RED) - int(before >= WarningLevel.RED))
        for unit_id in ancestor_ids(unit_path):
            for name, value in delta.items():
                totals[(unit_id, batch_id)][name] += value
    changes = []
    for (unit_id, batch_id), delta in totals.items():
        delta = {name: value for name, value in delta.items() if value}
        if delta:
            changes.append(RollupChange(unit_id=unit_id, batch_id=batch_id, **delta))
    RollupChange.objects.bulk_create(changes, batch_size=5000)
    return len(changes)


# --- folding in and rebuilding ---------------------------------------------------------------


_qn = shared.qn
_columns = shared.columns


def compact():
    """Fold the pending changes into the roll-ups; returns how many were folded.

    Runs inside the caller's transaction (the sweep's, which holds the lock
    that keeps two compactions apart)."""
    change, state, due = RollupChange._meta, TaskRollup._meta, DueRollup._meta
    c = _columns(RollupChange, ["unit", "batch", "due_date", "open_due", "id", *COUNTERS])
    s = _columns(TaskRollup, ["unit", "batch", *COUNTERS])
    d = _columns(DueRollup, ["unit", "batch", "due_date", "open_tasks"])
    counter_list = ", ".join(s[name] for name in COUNTERS)
    counter_sums = ", ".join(f"SUM({c[name]})" for name in COUNTERS)
    counter_updates = ", ".join(f"{s[name]} = {_qn(state.db_table)}.{s[name]} + excluded.{s[name]}" for name in COUNTERS)
    due_update = f"{d['open_tasks']} = {_qn(due.db_table)}.{d['open_tasks']} + excluded.{d['open_tasks']}"
    if connection.vendor == "postgresql":
        sql = f"""
            WITH moved AS (DELETE FROM {_qn(change.db_table)} RETURNING *),
            counters AS (
                INSERT INTO {_qn(state.db_table)} ({s["unit"]}, {s["batch"]}, {counter_list})
                SELECT {c["unit"]}, {c["batch"]}, {counter_sums} FROM moved GROUP BY {c["unit"]}, {c["batch"]}
                ON CONFLICT ({s["unit"]}, {s["batch"]}) DO UPDATE SET {counter_updates}
                RETURNING 1
            ), dues AS (
                INSERT INTO {_qn(due.db_table)} ({d["unit"]}, {d["batch"]}, {d["due_date"]}, {d["open_tasks"]})
                SELECT {c["unit"]}, {c["batch"]}, {c["due_date"]}, SUM({c["open_due"]}) FROM moved
                WHERE {c["due_date"]} IS NOT NULL
                GROUP BY {c["unit"]}, {c["batch"]}, {c["due_date"]} HAVING SUM({c["open_due"]}) <> 0
                ON CONFLICT ({d["unit"]}, {d["batch"]}, {d["due_date"]}) DO UPDATE SET {due_update}
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM counters), (SELECT count(*) FROM dues)
        """
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]
    # SQLite: this transaction holds the only write lock, so nothing is added between the two statements.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({c['id']}), COUNT(*) FROM {_qn(change.db_table)}")
        last, count = cursor.fetchone()
        if not count:
            return 0
        cursor.execute(
            f"""INSERT INTO {_qn(state.db_table)} ({s["unit"]}, {s["batch"]}, {counter_list})
            SELECT {c["unit"]}, {c["batch"]}, {counter_sums} FROM {_qn(change.db_table)} WHERE {c["id"]} <= %s
            GROUP BY {c["unit"]}, {c["batch"]}
            ON CONFLICT ({s["unit"]}, {s["batch"]}) DO UPDATE SET {counter_updates}""",
            [last],
        )
        cursor.execute(
            f"""INSERT INTO {_qn(due.db_table)} ({d["unit"]}, {d["batch"]}, {d["due_date"]}, {d["open_tasks"]})
            SELECT {c["unit"]}, {c["batch"]}, {c["due_date"]}, SUM({c["open_due"]}) FROM {_qn(change.db_table)}
            WHERE {c["id"]} <= %s AND {c["due_date"]} IS NOT NULL
            GROUP BY {c["unit"]}, {c["batch"]}, {c["due_date"]} HAVING SUM({c["open_due"]}) <> 0
            ON CONFLICT ({d["unit"]}, {d["batch"]}, {d["due_date"]}) DO UPDATE SET {due_update}""",
            [last],
        )
        cursor.execute(f"DELETE FROM {_qn(change.db_table)} WHERE {c['id']} <= %s", [last])
        return count


def rebuild():
    """Recompute every roll-up from the tasks, in one transaction; returns the rows written.

    On PostgreSQL the transaction reads one snapshot (REPEATABLE READ) after
    taking the sweep's lock, so that a task changed meanwhile is counted once:
    either in the rebuilt rows or in a pending change that survives it."""
    if connection.vendor == "postgresql":
        outermost = not connection.in_atomic_block  # inside a caller's transaction (tests), its snapshot rules
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            with transaction.atomic():
                if outermost:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return _rebuild()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    with transaction.atomic():
        return _rebuild()


def _rebuild():
    RollupChange.objects.all().delete()
    TaskRollup.objects.all().delete()
    DueRollup.objects.all().delete()
    written = _insert_counters(TaskRollup, Task.objects.all())
    written += _insert_dues(DueRollup, Task.objects.all(), "open_tasks")
    return written


def _counter_rows(tasks):
    inner = tasks.order_by().values("unit_path", "batch_id").annotate(**_counter_expressions())
    inner_sql, params = inner.query.sql_with_params()
    return shared.expansion(inner_sql, COUNTERS), params


def _due_rows(tasks):
    inner = tasks.open().order_by().values("unit_path", "batch_id", "due_date").annotate(n=Count("pk"))
    inner_sql, params = inner.query.sql_with_params()
    return shared.expansion(inner_sql, ["n"], ("due_date",)), params


def _insert_counters(model, tasks, constants=None):
    """The counters of ``tasks``, summed for every unit above them, into ``model``'s table."""
    select_sql, params = _counter_rows(tasks)
    return shared.insert(model, ["unit", "batch", *COUNTERS], select_sql, params, constants)


def _insert_dues(model, tasks, count_field, constants=None):
    select_sql, params = _due_rows(tasks)
    return shared.insert(model, ["unit", "batch", "due_date", count_field], select_sql, params, constants)


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """The figures of one unit's subtree (or of a user's scope), see the module's docstring."""

    unit: object = None
    today: datetime.date | None = None
    tasks: int = 0
    in_progress: int = 0
    pending: int = 0
    closed: int = 0
    level_none: int = 0
    level_yellow: int = 0
    level_red: int = 0
    level_escalated: int = 0
    unexplained: int = 0
    closed_on_time: int = 0
    closed_by_original: int = 0
    extended: int = 0
    progress_sum: int = 0
    ages: dict = field(default_factory=lambda: {name: 0 for name, _first, _last in AGE_BUCKETS})
    oldest_overdue: datetime.date | None = None

    @property
    def open(self):
        return self.in_progress + self.pending

    @property
    def overdue(self):
        """Open tasks at red or escalated (the stored levels, as the sweep last set them)."""
        return self.level_red + self.level_escalated

    @property
    def completion_rate(self):
        """Percent of tasks closed, one decimal; None without tasks."""
        return round(100 * self.closed / self.tasks, 1) if self.tasks else None

    @property
    def on_time_rate(self):
        """Percent of closed tasks closed by their due date; None when none is closed."""
        return round(100 * self.closed_on_time / self.closed, 1) if self.closed else None

    @property
    def mean_progress(self):
        return round(self.progress_sum / self.open, 1) if self.open else None

    @property
    def oldest_overdue_days(self):
        if self.oldest_overdue is None or self.today is None:
            return None
        return (self.today - self.oldest_overdue).days

    def by_level(self):
        return {level: getattr(self, name) for level, name in LEVEL_COUNTERS.items()}

    def as_counts(self):
        """The keys of ``TaskQuerySet.counts()``, for templates written against it."""
        counts = {
            "total": self.tasks,
            f"status_{TaskStatus.IN_PROGRESS}": self.in_progress,
            f"status_{TaskStatus.PENDING_VERIFICATION}": self.pending,
            f"status_{TaskStatus.CLOSED}": self.closed,
            "overdue": self.overdue,
            "closed_rate": self.completion_rate,
        }
        for level, name in LEVEL_COUNTERS.items():
            counts[f"level_{level}"] = getattr(self, name)
        return counts

    @classmethod
    def total(cls, many, today=None):
        """The sum of several :class:`Figures` (of units that do not overlap)."""
        result = cls(today=today)
        for figures in many:
            result.today = result.today or figures.today
            result.add(figures)
        return result

    def add(self, other):
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in self.ages:
            self.ages[name] += other.ages[name]
        if other.oldest_overdue is not None and (self.oldest_overdue is None or other.oldest_overdue < self.oldest_overdue):
            self.oldest_overdue = other.oldest_overdue
        return self


def _batch_ids(campaign, batch):
    if batch is not None:
        return [batch.pk]
    if campaign is not None:
        return list(campaign.batches.values_list("pk", flat=True))
    return None


def figures_for(units, *, campaign=None, batch=None, today=None):
    """{unit id: Figures} for ``units`` (Unit instances or ids), in two queries."""
    today = today or timezone.localdate()
    units = list(units)
    ids = [getattr(unit, "pk", unit) for unit in units]
    result = {pk: Figures(unit=unit if hasattr(unit, "pk") else None, today=today) for pk, unit in zip(ids, units)}
    if not ids:
        return result
    batch_ids = _batch_ids(campaign, batch)
    if batch_ids == []:
        return result
    for unit_id, values in _read_counters(ids, batch_ids).items():
        for name, value in zip(COUNTERS, values):
            setattr(result[unit_id], name, int(value or 0))
    for unit_id, due_date, count in _read_overdue(ids, batch_ids, today):
        figures = result[unit_id]
        days = (today - due_date).days
        for name, first, last in AGE_BUCKETS:
            if days >= first and (last is None or days <= last):
                figures.ages[name] += int(count)
        if figures.oldest_overdue is None or due_date < figures.oldest_overdue:
            figures.oldest_overdue = due_date
    return result


def figures(unit, *, campaign=None, batch=None, today=None):
    return figures_for([unit], campaign=campaign, batch=batch, today=today)[unit.pk]


def child_figures(unit, *, campaign=None, batch=None, today=None, children=None):
    """Figures of each child of ``unit`` (or of ``children``), in the tree's order."""
    children = list(children if children is not None else unit.children.order_by("path"))
    found = figures_for(children, campaign=campaign, batch=batch, today=today)
    return [found[child.pk] for child in children]


def scope_units(user, action=VIEW):
    """The outermost units under which the user may do ``action`` (every root for a
    superuser's own actions), as ids: campaign.permissions.outermost_unit_ids."""
    from campaign.permissions import outermost_unit_ids

    return outermost_unit_ids(user, action)


def figures_sum(units, *, campaign=None, batch=None, today=None):
    """The figures of ``units``' subtrees added up (units that do not overlap)."""
    found = figures_for(units, campaign=campaign, batch=batch, today=today)
    return Figures.total(found.values(), today=today or timezone.localdate())


def scope_figures(user, *, campaign=None, batch=None, today=None, action=VIEW):
    """The figures of everything the user may see (or do ``action`` on): tasks of the
    units of their scope; tasks they see only as a co-responsible unit are not in them."""
    return figures_sum(scope_units(user, action), campaign=campaign, batch=batch, today=today)


def counted_figures(tasks, units, *, today=None):
    """{unit id: Figures} of ``units`` counted from the rows of ``tasks`` (a queryset the
    caller filtered and scoped) in ONE grouped aggregate, by the rule the roll-ups keep
    (:func:`_counter_expressions`), ages and oldest overdue date included.

    For filters the roll-ups have no dimension for (term, problem category, start date);
    it reads every matching task of the subtrees, so it costs what the roll-ups save:
    see docs/benchmarks.md. ``units`` may nest (a unit and its children): a task counts
    for every unit of ``units`` above it (through its own unit's path, as in the roll-ups);
    a task under none of them is left out."""
    from django.db.models import Case, IntegerField, Min, Value, When

    today = today or timezone.localdate()
    units = list(units)
    result = {unit.pk: Figures(unit=unit, today=today) for unit in units}
    if not units:
        return result
    # Each task is counted once, in the deepest of ``units`` above it; the sums go up after.
    deepest = sorted(units, key=lambda unit: len(unit.path), reverse=True)
    bucket = Case(*[When(unit_path__startswith=unit.path, then=Value(unit.pk)) for unit in deepest],
                  default=None, output_field=IntegerField())  # fmt: skip
    overdue = ~Q(status=TaskStatus.CLOSED) & Q(due_date__lt=today)
    ages = {}
    for name, first, last in AGE_BUCKETS:
        window = overdue & Q(due_date__lte=today - datetime.timedelta(days=first))
        if last is not None:
            window &= Q(due_date__gte=today - datetime.timedelta(days=last))
        ages[f"age_{name}"] = Count("pk", filter=window)
    rows = (
        tasks.order_by()
        .annotate(dashboard_bucket=bucket)
        .filter(dashboard_bucket__isnull=False)
        .values("dashboard_bucket")
        .annotate(**_counter_expressions(), **ages, oldest_overdue=Min("due_date", filter=overdue))
    )
    found = {}
    for row in rows:
        figures = Figures(today=today)
        for name in COUNTERS:
            setattr(figures, name, int(row[name] or 0))
        for name, _first, _last in AGE_BUCKETS:
            figures.ages[name] = row[f"age_{name}"]
        figures.oldest_overdue = row["oldest_overdue"]
        found[row["dashboard_bucket"]] = figures
    paths = {unit.pk: unit.path for unit in units}
    for unit in units:
        for pk, figures in found.items():
            if paths[pk].startswith(unit.path):
                result[unit.pk].add(figures)
    return result


def _where(model, ids, batch_ids, params):
    columns = _columns(model, ["unit", "batch"])
    sql = f"{columns['unit']} IN ({', '.join(['%s'] * len(ids))})"
    params.extend(ids)
    if batch_ids is not None:
        sql += f" AND {columns['batch']} IN ({', '.join(['%s'] * len(batch_ids))})"
        params.extend(batch_ids)
    return sql


def _read_counters(ids, batch_ids):
    params = []
    parts = []
    for model in (TaskRollup, RollupChange):
        columns = _columns(model, ["unit", *COUNTERS])
        select = ", ".join(columns[name] for name in ("unit", *COUNTERS))
        parts.append(f"SELECT {select} FROM {_qn(model._meta.db_table)} WHERE {_where(model, ids, batch_ids, params)}")
    unit = _columns(TaskRollup, ["unit"])["unit"]
    sums = ", ".join(f"SUM({_columns(TaskRollup, [name])[name]})" for name in COUNTERS)
    sql = f"SELECT {unit}, {sums} FROM ({' UNION ALL '.join(parts)}) x GROUP BY {unit}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _read_overdue(ids, batch_ids, today):
    """(unit id, due date, open tasks) for every due date before ``today`` with open tasks."""
    params = []
    due = _columns(DueRollup, ["unit", "due_date", "open_tasks"])
    change = _columns(RollupChange, ["unit", "due_date", "open_due"])
    first = (
        f"SELECT {due['unit']} AS u, {due['due_date']} AS d, {due['open_tasks']} AS n FROM {_qn(DueRollup._meta.db_table)}"
        f" WHERE {_where(DueRollup, ids, batch_ids, params)} AND {due['due_date']} < %s"
    )
    params.append(today)
    second = (
        f"SELECT {change['unit']}, {change['due_date']}, {change['open_due']} FROM {_qn(RollupChange._meta.db_table)}"
        f" WHERE {_where(RollupChange, ids, batch_ids, params)} AND {change['due_date']} < %s"
    )
    params.append(today)
    sql = f"SELECT u, d, SUM(n) FROM ({first} UNION ALL {second}) x GROUP BY u, d HAVING SUM(n) <> 0"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(unit_id, _as_date(day), count) for unit_id, day, count in rows]


def _as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def visible_task_count(user, within=None, batch=None):
    """How many tasks a list of ``Task.objects.visible_to(user)`` holds, within a unit's
    subtree and/or a batch, from the roll-ups: exact for a unit's subtree; for the
    whole scope, plus the tasks seen only as a co-responsible unit's (counted, capped)."""
    from campaign import permissions
    from campaign.paging import Tally, capped_count

    if within is not None:
        return Tally(figures(within, batch=batch).tasks)
    beyond = permissions.beyond_own_subtrees(Task.objects.all(), user)
    if batch is not None:
        beyond = beyond.filter(batch=batch)
    extra = capped_count(beyond)
    return Tally(scope_figures(user, batch=batch).tasks + extra.value, extra.capped)
