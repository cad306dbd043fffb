"""Time every page per role on the province data set (issue 10): see demo/bench.py and docs/benchmarks.md."""

import platform

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo import bench


class Command(BaseCommand):
    help = (
        "Request every page as the province's leader, a city and a district supervisor, a branch's staff "
        "(and the province's administrator for operations), N times each, on the data set of load_scale; "
        "print the median and 95th percentile server time and the queries of each."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30, help="Timed requests per page (default 30).")
        parser.add_argument("--role", action="append", choices=bench.ROLES, help="Only these roles (repeatable).")
        parser.add_argument("--page", action="append", help="Only these pages, by name (repeatable).")

    def handle(self, *args, requests, role, page, **options):
        if requests < 1:
            raise CommandError("--requests must be at least 1.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
            version = cursor.fetchone()[0].split(" on ")[0]
        self.stdout.write(f"database: {connection.vendor} {version}; Python {platform.python_version()}")
        self.stdout.write(f"load average at start: {bench.load_average()}")
        try:
            results = bench.run(requests=requests, roles=role or bench.ROLES, pages=page, say=self.stdout.write)
        except LookupError as error:
            raise CommandError(str(error)) from error
        if not results:
            raise CommandError("No page measured: check --role and --page.")
        missed = [r for r in results if r.p95_ms >= r.goal]
        self.stdout.write(f"load average at end: {bench.load_average()}")
        self.stdout.write(f"peak memory of this process (the web worker): {bench.peak_memory_mib():.0f} MiB")
        self.stdout.write(f"pages over their goal: {len(missed)} of {len(results)}")
        worst = max(results, key=lambda r: r.p95_ms)
        self.stdout.write(f"worst p95: {worst.p95_ms:.0f} ms ({worst.page}, {worst.role})")
        ratio = bench.dashboard_ratio(results)
        if ratio is not None:  # issue 11: the root dashboard against the live SQL of its per-child counts
            value, page_ms, sql_ms = ratio
            self.stdout.write(f"root dashboard median {page_ms:.1f} ms; live SQL of its per-child counts median {sql_ms:.1f} ms")
            self.stdout.write(f"ratio: {value:.2f}")
