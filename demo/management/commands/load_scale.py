"""Fill an empty PostgreSQL database with a province (issue 10): see demo/scale.py and docs/benchmarks.md."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo import scale


class Command(BaseCommand):
    help = (
        "Build a province-sized data set (100,000 units, a million tasks, five million progress entries by "
        "default) in an empty PostgreSQL database of its own, for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=100_000)
        parser.add_argument("--tasks", type=int, default=1_000_000)
        parser.add_argument("--progress", type=int, default=5_000_000)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Empty the database first, if the only data it holds is an earlier load_scale's province.",
        )

    def handle(self, *args, units, tasks, progress, replace, **options):
        if units < 2000 or tasks < 1 or progress < 0:
            raise CommandError("--units must be at least 2000, --tasks at least 1, --progress at least 0.")
        if replace and connection.vendor == "postgresql" and scale.is_scale_database():
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(scale.app_tables())} RESTART IDENTITY CASCADE")
            self.stdout.write("emptied the earlier province")
        reason = scale.refusal()
        if reason:
            raise CommandError(reason)
        loader = scale.ScaleLoader(units=units, tasks=tasks, progress=progress, say=self.stdout.write)
        loader.run()
        self.stdout.write(f"Logins (password {loader.password_hint}):")
        for username, role, unit in loader.logins:
            self.stdout.write(f"  {username:<20} {role:<10} {unit}")
