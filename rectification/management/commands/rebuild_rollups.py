"""Recompute every unit's roll-ups from the tasks (rectification.rollups.rebuild)."""

import time

from django.core.management.base import BaseCommand

from rectification import rollups


class Command(BaseCommand):
    help = "Recompute the per-unit roll-ups (figures of every unit's subtree) from the tasks and participation."

    def handle(self, *args, **options):
        started = time.perf_counter()
        written = rollups.rebuild()
        self.stdout.write(f"{written} roll-up rows written in {time.perf_counter() - started:.1f} s")
