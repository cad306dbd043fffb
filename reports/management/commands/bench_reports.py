"""Benchmarks of the reports (figures for docs/benchmarks.md):

    python manage.py bench_reports                    # every case, each in its own process
    python manage.py bench_reports --case summary     # the demo city's summary (乌海市)
    python manage.py bench_reports --case ledger --tasks 2000
    python manage.py bench_reports --case circular
    python manage.py bench_reports --case district --unit UNIT   # a district's summary (province data set)

Each case prints the seconds of a first render in a fresh process (fonts loaded
and subset, as a worker's first job), of a second one (a warm worker) and the
process's peak memory (ru_maxrss). The ledger case makes its tasks inside a
transaction that is rolled back: nothing is left behind.
"""

import datetime
import resource
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campaign.models import Unit
from reports import documents

CASES = ("summary", "ledger", "circular")


class Rollback(Exception):
    pass


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Time the reports' rendering and print the worker's peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--case", choices=(*CASES, "district"))
        parser.add_argument("--unit", default="乌海市", help="full name, short name or code")
        parser.add_argument("--tasks", type=int, default=2000, help="tasks of the ledger case")

    def handle(self, *args, case, unit, tasks, **options):
        if case is None:
            for name in CASES:
                command = [sys.executable, sys.argv[0], "bench_reports", "--case", name, "--unit", unit, "--tasks", str(tasks)]
                subprocess.run(command, check=True)
            return
        from reports.management.commands.render_report import find_unit

        target = find_unit(unit)
        if case == "ledger":
            try:
                with transaction.atomic():
                    target = self.ledger_scope(target, tasks)
                    self.time("ledger", target, f"{tasks} tasks")
                    raise Rollback
            except Rollback:
                pass
        else:
            kind = "summary" if case == "district" else case
            self.time(kind, target, target.name)

    def time(self, kind, unit, label):
        figures = []
        for _ in range(2):
            started = time.perf_counter()
            rendered, _figures = documents.make(kind, unit)
            figures.append(time.perf_counter() - started)
        self.stdout.write(
            f"{kind:9} {label}: first {figures[0]:.2f} s, second {figures[1]:.2f} s, "
            f"{rendered.pages} pages, {len(rendered.pdf) // 1024} KiB, peak memory {peak_mb():.0f} MB"
        )

    def ledger_scope(self, parent, count):
        """A new unit under ``parent`` with ``count`` tasks over count/2 problems (two measures each)."""
        from rectification.models import Problem, Task

        batch = parent.campaigns.first().batches.order_by("number").first() if parent.campaigns.exists() else None
        if batch is None:
            raise CommandError(f"{parent.name} issues no campaign: choose the unit of a campaign.")
        unit = Unit.objects.create(parent=parent, name="基准测试单位党委", short_name="基准测试单位", kind="department")
        problems = Problem.objects.bulk_create(
            Problem(title=f"基准问题{n}:群众反映办事难、来回跑,窗口服务态度生硬", source="public", unit=unit, batch=batch,
                    found_on=datetime.date(2026, 3, 1))
            for n in range(count // 2)
        )
        due = datetime.date(2026, 12, 31)
        Task.objects.bulk_create(
            Task(problem=problems[n // 2], batch=batch, title=f"基准任务{n}", unit=unit, unit_path=unit.path,
                 measures=f"一是梳理办事流程,压缩办理时限;二是推行一次性告知和首问负责制;三是每月通报窗口服务情况({n})。",
                 leader_name="王建国", person_name="李晓明", term="short", start_date=datetime.date(2026, 3, 1),
                 due_date=due, original_due_date=due, progress=50)
            for n in range(count)
        )
        return unit
