"""Benchmark the overdue sweep against one hand-written UPDATE.

Run it on a scratch database, never on one with real tasks (the sweep
recomputes every task and raises alerts for them); see docs/benchmarks.md::

    createdb -h 127.0.0.1 -U postgres bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py bench_sweep --tasks 1000000

It builds N open tasks of its own campaign with due dates spread from 120
days ago to 240 days ahead (all three terms, some explained, some awaiting
verification, stored at level "none" as before a first sweep), then:

1. runs ``run_sweep()`` and times it (and its two phases: level UPDATEs,
   alert INSERT);
2. resets the same rows to level "none" (and deletes their alerts), and runs
   the same level changes as one hand-written
   ``UPDATE … SET warning_level = CASE … END`` and times it;
3. checks after each run that every task got the same level;
4. repeats 1–3 ``--rounds`` times, alternating who goes first;
5. runs the sweep of the next day (the daily case: few changes) and times it;
6. deletes everything it made.

Timings are wall-clock, each contestant committed on its own, with ``VACUUM
ANALYZE`` (PostgreSQL) or ``ANALYZE`` (SQLite) after each reset so that both
start from the same table state. The last line, ``ratio: X``, is the best
time of the sweep's level UPDATEs over the best time of the hand-written
UPDATE, which makes the same changes; the line before compares the whole
sweep (alerts and job record included) with that UPDATE.
"""

import datetime
import os
import platform
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from campaign.models import Batch, Campaign, Unit, UnitKind
from rectification.models import (
    Alert,
    JobRun,
    Notification,
    Problem,
    Task,
    TaskStatus,
    Term,
    WarningLevel,
    WarningPolicy,
)
from rectification.models.problems import ProblemSource
from rectification.sweep import JOB_NAME, create_alerts, run_sweep

MARK = "bench_sweep"
CAMPAIGN_NAME = f"{MARK} 基准测试活动(运行后自动删除)"
UNIT_NAME = f"{MARK} 基准测试单位"
FIRST_DAY, DAYS = -120, 361  # due dates from 120 days ago to 240 days ahead
STEP = 7919  # a prime: consecutive tasks get scattered due dates
CHUNK = 5000


class Command(BaseCommand):
    help = "Time the overdue sweep on N tasks of its own against one hand-written UPDATE (scratch database only)."

    def add_arguments(self, parser):
        parser.add_argument("--tasks", type=int, default=100_000, help="How many open tasks to build (default 100000).")
        parser.add_argument(
            "--rounds",
            type=int,
            default=3,
            help="Time each contestant this many times, alternating who goes first (default 3); "
            "the best and the median are reported.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though the database holds other tasks. The sweep then recomputes them too "
            "and raises their alerts: never on a database people use.",
        )

    def handle(self, *args, tasks, rounds, force, **options):
        if tasks < 1 or rounds < 1:
            raise CommandError("--tasks and --rounds must be at least 1.")
        self.remove_leftovers()
        others = Task.objects.count()
        if others and not force:
            raise CommandError(
                f"This database holds {others} tasks not made by the benchmark. The sweep touches every task, "
                "so run the benchmark on a scratch database (see docs/benchmarks.md), or pass --force."
            )
        self.describe_machine()
        now = timezone.now()
        batch = self.make_campaign()
        try:
            self.run(batch, tasks, now, rounds)
        finally:
            started = time.perf_counter()
            self.remove(batch.campaign, since=now)
            self.stdout.write(f"cleanup: {time.perf_counter() - started:.2f} s")

    # --- the measurement ----------------------------------------------------------

    def run(self, batch, n, now, rounds):
        started = time.perf_counter()
        self.build_tasks(batch, n, now)
        self.stdout.write(f"build {n} tasks: {time.perf_counter() - started:.2f} s")
        self.describe_table()

        results = {"sweep": [], "levels": [], "alerts": [], "hand": []}
        expected = None
        for number in range(rounds):
            # Alternate who goes first, so that neither always meets the table as the other left it.
            for contestant in ("sweep", "hand") if number % 2 == 0 else ("hand", "sweep"):
                self.reset(batch)
                hot_before = self.hot_updates()
                if contestant == "sweep":
                    timings = {}
                    started = time.perf_counter()
                    counts = run_sweep(now=now, timings=timings)
                    results["sweep"].append(time.perf_counter() - started)
                    results["levels"].append(timings["levels"])
                    results["alerts"].append(timings["alerts"])
                    changed = sum(counts[key] for key in ("yellow", "red", "escalated", "none"))
                    line = f"sweep {results['sweep'][-1]:.3f} s (level updates {timings['levels']:.3f} s, alerts {timings['alerts']:.3f} s); {counts}"
                else:
                    started = time.perf_counter()
                    with transaction.atomic():
                        changed = self.hand_written_update(batch, now)
                    results["hand"].append(time.perf_counter() - started)
                    line = f"hand-written CASE UPDATE {results['hand'][-1]:.3f} s; {changed} tasks changed"
                line += self.hot_share(hot_before)
                self.stdout.write(f"round {number + 1}: {line}")
                levels = (changed, self.fingerprint(batch))
                if expected is None:
                    expected = levels
                elif levels != expected:
                    raise CommandError("The sweep and the hand-written UPDATE disagree on the levels.")
        self.stdout.write("levels: identical after every run (tasks changed; count and id sum per level)")

        if contestant == "hand":
            create_alerts(now)  # the state a sweep leaves, before the next day's
        started = time.perf_counter()
        next_day = run_sweep(now=now + datetime.timedelta(days=1))
        self.stdout.write(f"next day's sweep (the daily case): {time.perf_counter() - started:.3f} s; {next_day}")

        for name, label in (
            ("sweep", "whole sweep"),
            ("levels", "sweep's level updates"),
            ("alerts", "sweep's alert insert"),
            ("hand", "hand-written CASE UPDATE"),
        ):
            values = results[name]
            self.stdout.write(f"{label}: best {min(values):.3f} s, median {statistics.median(values):.3f} s")
        self.stdout.write(
            f"whole sweep / hand-written UPDATE (best of each): {min(results['sweep']) / min(results['hand']):.2f}"
        )
        self.write_load()
        self.stdout.write(f"ratio: {min(results['levels']) / min(results['hand']):.2f}")

    def describe_table(self):
        """The task table's size, fill factor and indexes (PostgreSQL)."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_relation_size(c.oid), pg_indexes_size(c.oid), c.reloptions,"
                " (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) FROM pg_class c WHERE c.oid = %s::regclass",
                [Task._meta.db_table],
            )
            table, indexes, options, count = cursor.fetchone()
        self.stdout.write(
            f"task table: {table / 2**20:.0f} MiB, {count} indexes {indexes / 2**20:.0f} MiB, options {options or 'default'}"
        )

    @staticmethod
    def hot_updates():
        """(rows updated, of which HOT) in the task table so far (PostgreSQL; None elsewhere)."""
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # this backend's counts, flushed when idle
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = %s::regclass",
                [Task._meta.db_table],
            )
            return cursor.fetchone()

    def hot_share(self, before):
        """", n% of the updates HOT" since ``before`` (no index entry written for those rows)."""
        after = self.hot_updates()
        if before is None or after is None or after[0] == before[0]:
            return ""
        updated, hot = after[0] - before[0], after[1] - before[1]
        return f"; {hot / updated:.0%} of {updated} row updates HOT"

    def hand_written_update(self, batch, now):
        sql, params = self.hand_written_sql(batch, now)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def hand_written_sql(self, batch, now):
        """The same level rule as one UPDATE with a CASE expression, for this batch's campaign."""
        table = connection.ops.quote_name(Task._meta.db_table)
        today = timezone.localdate(now)
        day = datetime.timedelta(days=1)
        branches, params = [], []
        for term in Term.values:
            policy = WarningPolicy.objects.effective(batch.pk, term)
            branches.append(
                "WHEN term = %s THEN CASE"
                " WHEN due_date < %s THEN 3"
                " WHEN due_date < %s AND explained_at IS NULL THEN 3"
                " WHEN due_date < %s THEN 2"
                " WHEN due_date <= %s THEN 1"
                " ELSE 0 END"
            )
            params += [
                term,
                today - policy.escalate_after_days * day,
                today - policy.explanation_grace_days * day,
                today,
                today + policy.window_days * day,
            ]
        level = f"(CASE {' '.join(branches)} END)"
        sql = (
            f"UPDATE {table} SET warning_level = {level},"
            f" warning_since = CASE WHEN {level} = 0 THEN NULL ELSE %s END"
            f" WHERE NOT (status = %s) AND batch_id = %s AND warning_level <> {level}"
        )
        return sql, [*params, *params, self.db_now(now), TaskStatus.CLOSED.value, batch.pk, *params]

    def fingerprint(self, batch):
        """Per level: how many tasks and the sum of their ids."""
        rows = Task.objects.filter(batch=batch).values("warning_level").annotate(n=Count("pk"), ids=Sum("pk"))
        return {row["warning_level"]: (row["n"], row["ids"]) for row in rows}

    def reset(self, batch):
        """Back to the state before the first sweep: level none, no alerts; fresh statistics.

        On PostgreSQL, when every alert is the benchmark's, the alert table is emptied
        with TRUNCATE, so that it has no pages left, as in a new deployment: a table with
        the pages of deleted rows gets another plan (the one that hid the quadratic
        first sweep, see rectification.sweep.create_alerts)."""
        qn = connection.ops.quote_name
        alert = Alert._meta
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and self.owns_every_alert(batch):
                cursor.execute(f"TRUNCATE {qn(alert.db_table)}, {qn(Notification._meta.db_table)}")
            cursor.execute(
                f"DELETE FROM {qn(alert.db_table)} WHERE {qn(alert.get_field('task').column)} IN "
                f"(SELECT id FROM {qn(Task._meta.db_table)} WHERE batch_id = %s)",
                [batch.pk],
            )
        Task.objects.filter(batch=batch).exclude(warning_level=WarningLevel.NONE).update(
            warning_level=WarningLevel.NONE, warning_since=None
        )
        self.analyze()

    @staticmethod
    def owns_every_alert(batch):
        """No alert of another task and no notification at all: the tables may be emptied."""
        return not Notification.objects.exists() and not Alert.objects.exclude(task__batch=batch).exists()

    def analyze(self):
        table = connection.ops.quote_name(Task._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"VACUUM ANALYZE {table}")
            else:
                cursor.execute(f"ANALYZE {table}")

    # --- the data -----------------------------------------------------------------

    def make_campaign(self):
        with transaction.atomic():
            unit = Unit.objects.create(name=UNIT_NAME, short_name="基准", kind=UnitKind.CITY)
            today = timezone.localdate()
            campaign = Campaign.objects.create(name=CAMPAIGN_NAME, issuing_unit=unit, start_date=today)
            batch = Batch.objects.create(campaign=campaign, number=1, name="基准批次", start_date=today, end_date=today)
            # One term with a window of the campaign's own, so that the sweep's per-campaign branch is exercised.
            WarningPolicy.objects.create(campaign=campaign, term=Term.LONG, window_days=10)
        return batch

    def build_tasks(self, batch, n, now):
        unit = batch.campaign.issuing_unit
        (problem,) = Problem.objects.bulk_create(
            [
                Problem(
                    title="基准测试问题",
                    source=ProblemSource.SELF,
                    unit=unit,
                    batch=batch,
                    found_on=timezone.localdate(now),
                )
            ]
        )
        if connection.vendor == "postgresql":
            self.build_with_generate_series(batch, problem, unit, n, now)
        else:
            self.build_in_chunks(batch, problem, unit, n, now)

    def build_with_generate_series(self, batch, problem, unit, n, now):
        meta = Task._meta
        qn = connection.ops.quote_name
        today = timezone.localdate(now)
        values = {
            "problem": "%(problem)s",
            "batch": "%(batch)s",
            "title": "'基准测试任务 ' || g",
            "measures": "'制定方案,落实责任,按期完成'",
            "unit": "%(unit)s",
            "unit_path": "%(path)s",
            "leader_name": "'王书记'",
            "person_name": "'李干事'",
            "term": "(ARRAY['immediate', 'short', 'long'])[1 + g %% 3]",
            "start_date": "%(today)s::date - 150",
            "due_date": f"%(today)s::date + (({STEP}::bigint * g) %% {DAYS} + {FIRST_DAY})::int",
            "original_due_date": f"%(today)s::date + (({STEP}::bigint * g) %% {DAYS} + {FIRST_DAY})::int",
            "status": "CASE WHEN g %% 10 = 0 THEN 'pending_verification' ELSE 'in_progress' END",
            "progress": "g %% 100",
            "warning_level": "0",
            "explained_at": "CASE WHEN g %% 4 = 0 THEN %(now)s END",
            "version": "1",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        }
        columns = ", ".join(qn(meta.get_field(name).column) for name in values)
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({columns}) "
            f"SELECT {', '.join(values.values())} FROM generate_series(1, %(n)s) AS g"
        )
        params = {
            "problem": problem.pk,
            "batch": batch.pk,
            "unit": unit.pk,
            "path": unit.path,
            "today": today,
            "now": now,
            "n": n,
        }
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def build_in_chunks(self, batch, problem, unit, n, now):
        today = timezone.localdate(now)
        terms = Term.values
        for first in range(1, n + 1, CHUNK):
            rows = []
            for g in range(first, min(first + CHUNK, n + 1)):
                due = today + datetime.timedelta(days=(STEP * g) % DAYS + FIRST_DAY)
                rows.append(
                    Task(
                        problem=problem,
                        batch=batch,
                        unit=unit,
                        unit_path=unit.path,
                        title=f"基准测试任务 {g}",
                        measures="制定方案,落实责任,按期完成",
                        leader_name="王书记",
                        person_name="李干事",
                        term=terms[g % 3],
                        start_date=today - datetime.timedelta(days=150),
                        due_date=due,
                        original_due_date=due,
                        status=TaskStatus.PENDING_VERIFICATION if g % 10 == 0 else TaskStatus.IN_PROGRESS,
                        progress=g % 100,
                        explained_at=now if g % 4 == 0 else None,
                    )
                )
            Task.objects.bulk_create(rows)

    # --- cleaning up ----------------------------------------------------------------

    def remove_leftovers(self):
        """Rows of an earlier run that was killed before it could clean up."""
        for campaign in Campaign.objects.filter(name=CAMPAIGN_NAME):
            self.stdout.write("removing the rows of an earlier, unfinished benchmark run")
            self.remove(campaign)

    def remove(self, campaign, since=None):
        qn = connection.ops.quote_name
        problem = Problem._meta
        batch_ids = list(campaign.batches.values_list("pk", flat=True))
        with transaction.atomic():
            for batch_id in batch_ids:
                self.delete_tasks(batch_id)
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {qn(problem.db_table)} WHERE batch_id = %s", [batch_id])
            unit = campaign.issuing_unit
            campaign.delete()
            unit.delete()
            if since is not None:
                JobRun.objects.filter(name=JOB_NAME, started_at__gte=since).delete()

    def delete_tasks(self, batch_id):
        """Delete the batch's tasks and the alerts and notifications about them, by raw SQL
        (the ORM would load a million rows, and history would record each one).

        On PostgreSQL, each deleted task costs one foreign-key check per table
        that refers to tasks (a dozen; minutes for a million tasks). When this
        connection is a superuser's and no row anywhere refers to these tasks
        any more, the checks are switched off for this transaction only.
        """
        qn = connection.ops.quote_name
        tasks = f"(SELECT id FROM {qn(Task._meta.db_table)} WHERE batch_id = %s)"
        alert, notification = Alert._meta, Notification._meta
        alerts = f"(SELECT id FROM {qn(alert.db_table)} WHERE {qn(alert.get_field('task').column)} IN {tasks})"
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {qn(notification.db_table)} WHERE {qn(notification.get_field('task').column)} IN {tasks} "
                f"OR {qn(notification.get_field('alert').column)} IN {alerts}",
                [batch_id, batch_id],
            )
            cursor.execute(
                f"DELETE FROM {qn(alert.db_table)} WHERE {qn(alert.get_field('task').column)} IN {tasks}", [batch_id]
            )
            unchecked = connection.vendor == "postgresql" and self.is_superuser() and not self.referenced(batch_id)
            if unchecked:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(f"DELETE FROM {qn(Task._meta.db_table)} WHERE batch_id = %s", [batch_id])
            if unchecked:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    def referenced(self, batch_id):
        """Whether any row of any table refers to a task of the batch (one query)."""
        qn = connection.ops.quote_name
        tasks = f"(SELECT id FROM {qn(Task._meta.db_table)} WHERE batch_id = %s)"
        checks = [
            f"EXISTS (SELECT 1 FROM {qn(table)} WHERE {qn(column)} IN {tasks})" for table, column in task_references()
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {' OR '.join(checks)}", [batch_id] * len(checks))
            return bool(cursor.fetchone()[0])

    @staticmethod
    def is_superuser():
        with connection.cursor() as cursor:
            cursor.execute("SHOW is_superuser")
            return cursor.fetchone()[0] == "on"

    # --- helpers ----------------------------------------------------------------------

    def describe_machine(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
            (version,) = cursor.fetchone()
        self.stdout.write(f"database: {connection.vendor} {version.split(' on ')[0]}")
        self.stdout.write(f"machine: {platform.machine()}, {_cpu_count()} CPUs, Python {platform.python_version()}")
        self.write_load()

    def write_load(self):
        """Other processes skew timings: say how busy the machine was."""
        if hasattr(os, "getloadavg"):
            self.stdout.write("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))

    @staticmethod
    def db_now(now):
        from django.db.models import DateTimeField

        return DateTimeField().get_db_prep_value(now, connection)


def _cpu_count():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def task_references():
    """(table, column) of every foreign key that points at a task."""
    references = []
    for relation in Task._meta.related_objects:
        if relation.many_to_many:
            through = relation.through._meta
            column = next(f.column for f in through.concrete_fields if f.is_relation and f.related_model is Task)
            references.append((through.db_table, column))
        else:
            references.append((relation.related_model._meta.db_table, relation.field.column))
    for field in Task._meta.many_to_many:
        through = field.remote_field.through._meta
        references.append((through.db_table, through.get_field(field.m2m_field_name()).column))
    return references
