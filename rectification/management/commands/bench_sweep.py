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

1. runs ``run_sweep()`` and times it (and its two phases);
2. resets the same rows to level "none", and runs the same level changes as
   one hand-written ``UPDATE … SET warning_level = CASE … END`` and times it;
3. checks that both gave every task the same level;
4. runs the sweep of the next day (the daily case: few changes) and times it;
5. deletes everything it made.

Timings are wall-clock, each step committed on its own, with ``VACUUM
ANALYZE`` (PostgreSQL) or ``ANALYZE`` (SQLite) after each bulk change so
that both contestants start from the same table state.
"""

import datetime
import platform
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from campaign.models import Batch, Campaign, Unit, UnitKind
from rectification.models import Alert, JobRun, Problem, Task, TaskStatus, Term, WarningLevel, WarningPolicy
from rectification.models.problems import ProblemSource
from rectification.sweep import JOB_NAME, run_sweep
from rectification.warnings import policy_for

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
            "--force",
            action="store_true",
            help="Run even though the database holds other tasks. The sweep then recomputes them too "
            "and raises their alerts: never on a database people use.",
        )

    def handle(self, *args, tasks, force, **options):
        if tasks < 1:
            raise CommandError("--tasks must be at least 1.")
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
            self.run(batch, tasks, now)
        finally:
            started = time.perf_counter()
            self.remove(batch.campaign, since=now)
            self.stdout.write(f"cleanup: {time.perf_counter() - started:.2f} s")

    # --- the measurement ----------------------------------------------------------

    def run(self, batch, n, now):
        started = time.perf_counter()
        self.build_tasks(batch, n, now)
        self.stdout.write(f"build {n} tasks: {time.perf_counter() - started:.2f} s")
        self.analyze()

        timings = {}
        started = time.perf_counter()
        counts = run_sweep(now=now, timings=timings)
        sweep = time.perf_counter() - started
        swept = self.fingerprint(batch)
        changed = sum(counts[key] for key in ("yellow", "red", "escalated", "none"))
        self.stdout.write(
            f"sweep: {sweep:.3f} s (level updates {timings['levels']:.3f} s, alerts {timings['alerts']:.3f} s); "
            f"{changed} tasks changed, {counts['alerts_created']} alerts; {counts}"
        )

        self.reset_levels(batch)
        self.analyze()
        started = time.perf_counter()
        with transaction.atomic():
            hand_changed = self.hand_written_update(batch, now)
        hand = time.perf_counter() - started
        self.stdout.write(f"hand-written CASE UPDATE: {hand:.3f} s; {hand_changed} tasks changed")
        if self.fingerprint(batch) != swept or hand_changed != changed:
            raise CommandError("The sweep and the hand-written UPDATE disagree on the levels: the sweep is wrong.")
        self.stdout.write("levels: identical (count and id sum per level)")

        started = time.perf_counter()
        next_day = run_sweep(now=now + datetime.timedelta(days=1))
        daily = time.perf_counter() - started
        self.stdout.write(f"next day's sweep (the daily case): {daily:.3f} s; {next_day}")

        self.stdout.write(f"whole sweep / hand-written UPDATE: {sweep / hand:.2f}")
        self.stdout.write(f"ratio: {timings['levels'] / hand:.2f}")

    def hand_written_update(self, batch, now):
        """The same level rule as one UPDATE with a CASE expression, for this batch's campaign."""
        table = connection.ops.quote_name(Task._meta.db_table)
        today = timezone.localdate(now)
        day = datetime.timedelta(days=1)
        branches, params = [], []
        for term in Term.values:
            policy = policy_for(batch.campaign_id, term)
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
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *params, self.db_now(now), TaskStatus.CLOSED.value, batch.pk, *params])
            return cursor.rowcount

    def fingerprint(self, batch):
        """Per level: how many tasks and the sum of their ids."""
        rows = Task.objects.filter(batch=batch).values("warning_level").annotate(n=Count("pk"), ids=Sum("pk"))
        return {row["warning_level"]: (row["n"], row["ids"]) for row in rows}

    def reset_levels(self, batch):
        Task.objects.filter(batch=batch).update(warning_level=WarningLevel.NONE, warning_since=None)

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
            [Problem(title="基准测试问题", source=ProblemSource.SELF, unit=unit, batch=batch, found_on=timezone.localdate(now))]
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
        task, alert, problem = Task._meta, Alert._meta, Problem._meta
        batch_ids = list(campaign.batches.values_list("pk", flat=True))
        with transaction.atomic(), connection.cursor() as cursor:
            for batch_id in batch_ids:
                cursor.execute(
                    f"DELETE FROM {qn(alert.db_table)} WHERE {qn(alert.get_field('task').column)} IN "
                    f"(SELECT id FROM {qn(task.db_table)} WHERE batch_id = %s)",
                    [batch_id],
                )
                # Raw deletes: the ORM would load a million rows, and history would record each.
                cursor.execute(f"DELETE FROM {qn(task.db_table)} WHERE batch_id = %s", [batch_id])
                cursor.execute(f"DELETE FROM {qn(problem.db_table)} WHERE batch_id = %s", [batch_id])
            unit = campaign.issuing_unit
            campaign.delete()
            unit.delete()
            if since is not None:
                JobRun.objects.filter(name=JOB_NAME, started_at__gte=since).delete()

    # --- helpers ----------------------------------------------------------------------

    def describe_machine(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
            (version,) = cursor.fetchone()
        self.stdout.write(f"database: {connection.vendor} {version.split(' on ')[0]}")
        self.stdout.write(f"machine: {platform.machine()}, {_cpu_count()} CPUs, Python {platform.python_version()}")

    @staticmethod
    def db_now(now):
        from django.db.models import DateTimeField

        return DateTimeField().get_db_prep_value(now, connection)


def _cpu_count():
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
