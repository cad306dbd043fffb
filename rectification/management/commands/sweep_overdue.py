import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rectification.sweep import run_sweep


class Command(BaseCommand):
    help = "Recompute the warning level of every task and raise the missing alerts (the overdue sweep)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Sweep as of this moment (ISO 8601, e.g. 2026-11-29T08:00; without a zone: Asia/Shanghai). "
            "Default: the current time.",
        )

    def handle(self, *args, now=None, **options):
        counts = run_sweep(now=parse_moment(now) if now else None)
        self.stdout.write(f"Overdue sweep for {counts['today']}:")
        for key in ("yellow", "red", "escalated", "none"):
            self.stdout.write(f"  tasks now {key}: {counts[key]}")
        self.stdout.write(f"  alerts created: {counts['alerts_created']}")


def parse_moment(text):
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--now: not an ISO 8601 date and time: {text!r}") from exc
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
