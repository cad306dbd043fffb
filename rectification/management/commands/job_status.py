import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from rectification.jobs import latest_runs, queue_counts


class Command(BaseCommand):
    help = "Show each background job's last run (when, how long, what it changed) and the notification queues."

    def handle(self, *args, **options):
        runs = list(latest_runs())
        if not runs:
            self.stdout.write("No job has run yet.")
        for run in runs:
            started = timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
            if run.finished_at is None:
                state = self.style.WARNING("running (or died without finishing)")
            elif run.ok:
                state = self.style.SUCCESS("ok")
            else:
                state = self.style.ERROR("FAILED")
            duration = f"{run.duration_ms / 1000:.2f} s" if run.duration_ms is not None else "-"
            self.stdout.write(f"{run.name}: {state}, started {started}, took {duration}")
            if run.changes:
                self.stdout.write(f"  changes: {json.dumps(run.changes, ensure_ascii=False, sort_keys=True)}")
            if not run.ok and run.finished_at is not None:
                last_line = run.error.strip().splitlines()[-1] if run.error.strip() else ""
                self.stdout.write(f"  error: {last_line}")
                last_ok = (
                    timezone.localtime(run.last_ok_at).strftime("%Y-%m-%d %H:%M:%S") if run.last_ok_at else "never"
                )
                self.stdout.write(f"  last success: {last_ok}")
        queues = queue_counts()
        self.stdout.write("Queues:")
        self.stdout.write(f"  alerts waiting for notifications: {queues['alerts_unprocessed']}")
        self.stdout.write(
            f"  e-mails pending: {queues['emails_pending']}, sending: {queues['emails_sending']}, "
            f"failed: {queues['emails_failed']}"
        )
        self.stdout.write(
            f"  group-chat messages pending: {queues['robot_messages_pending']}, "
            f"failed: {queues['robot_messages_failed']}"
        )
