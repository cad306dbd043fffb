"""Save every unit's figures for a day: ``manage.py snapshot_day`` (today, from the roll-ups,
as the daily job does) or ``manage.py snapshot_day --rebuild 2026-11-20`` (a past day, from
the tasks' history)."""

import datetime

from django.core.management.base import BaseCommand

from reports import snapshots


class Command(BaseCommand):
    help = "Save (or rebuild from the history) the daily snapshot of every unit."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", metavar="YYYY-MM-DD", help="rebuild this past day from the tasks' history")

    def handle(self, *args, rebuild=None, **options):
        if rebuild:
            day = datetime.date.fromisoformat(rebuild)
            count = snapshots.rebuild(day)
        else:
            day = None
            count = snapshots.take()
        self.stdout.write(f"snapshots: {count} units, {day or 'today'}")
