"""Record every run of a background job as a ``JobRun`` row.

Use the context manager when the job computes its changes as it goes::

    with job_run("overdue_sweep") as run:
        counts = do_the_work()
        run.changes = counts

or the decorator when the job function returns its changes as a dict::

    @shared_task
    @recorded("notifications.send_alerts")
    def send_alert_notifications():
        ...
        return {"sent": 12}

The row is written when the job starts (so a job that hangs shows up as
started and never finished) and completed when it ends, with its duration,
its changes and either ``ok=True`` or the error's traceback. An exception is
recorded and then raised again: recording never swallows a failure.

Run a job outside ``transaction.atomic()``: inside one, a failure that rolls
the transaction back also rolls back the record of the failure.
"""

import functools
import logging
import time
import traceback
from contextlib import contextmanager

from django.utils import timezone

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 10_000


@contextmanager
def job_run(name):
    """Yield the started ``JobRun``; set ``.changes`` (a JSON-able dict) on it."""
    from rectification.models import JobRun

    run = JobRun.objects.create(name=name, started_at=timezone.now())
    started = time.monotonic()
    try:
        yield run
    except BaseException as exc:
        _finish(run, started, ok=False, error=_describe(exc))
        raise
    else:
        _finish(run, started, ok=True, error="")


def recorded(name=None):
    """Decorate a job function: each call is a ``JobRun``; a dict result is its changes."""

    def decorate(func):
        job_name = name or f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with job_run(job_name) as run:
                result = func(*args, **kwargs)
                if isinstance(result, dict):
                    run.changes = result
                return result

        return wrapper

    return decorate


def _finish(run, started, ok, error):
    from rectification.models import JobRun

    run.finished_at = timezone.now()
    run.duration_ms = round((time.monotonic() - started) * 1000)
    run.ok = ok
    run.error = error
    try:
        JobRun.objects.filter(pk=run.pk).update(
            finished_at=run.finished_at,
            duration_ms=run.duration_ms,
            changes=run.changes,
            ok=ok,
            error=error,
        )
    except Exception:
        if ok:
            raise
        # The job already failed (e.g. its connection is broken): keep its error, not ours.
        logger.exception("could not record the failure of job run %s (%s)", run.pk, run.name)


def _describe(exc):
    text = "".join(traceback.format_exception(exc))
    return text[-ERROR_MAX_CHARS:]


def latest_runs():
    """The last run of each job, by name, each with ``last_ok_at`` (when a run
    of that job last succeeded, None if never).

    Three queries whatever the number of runs recorded: two aggregates by
    name, then the newest rows themselves; no subquery runs once per row.
    """
    from django.db.models import Max, Q

    from rectification.models import JobRun

    newest = dict(JobRun.objects.order_by().values_list("name").annotate(at=Max("started_at")))
    if not newest:
        return []
    last_ok = dict(JobRun.objects.filter(ok=True).order_by().values_list("name").annotate(at=Max("finished_at")))
    matches = Q()
    for name, started_at in newest.items():
        matches |= Q(name=name, started_at=started_at)
    runs = {}
    for run in JobRun.objects.filter(matches).order_by("name", "pk"):
        run.last_ok_at = last_ok.get(run.name)
        runs[run.name] = run  # two runs started at the same instant: the later row wins
    return list(runs.values())


def queue_counts():
    """What waits for the notification jobs: alerts not yet turned into
    notifications, notifications whose e-mail is waiting or has failed, and
    group-chat robot messages waiting or failed. One query per table."""
    from django.db.models import Count, Q

    from rectification.models import Alert, Notification, RobotMessage

    alerts = Alert.objects.aggregate(unprocessed=Count("pk", filter=Q(processed_at__isnull=True)))
    emails = Notification.objects.aggregate(
        pending=Count("pk", filter=Q(email_status=Notification.Email.PENDING)),
        sending=Count("pk", filter=Q(email_status=Notification.Email.SENDING)),
        failed=Count("pk", filter=Q(email_status=Notification.Email.FAILED)),
    )
    robots = RobotMessage.objects.aggregate(
        pending=Count("pk", filter=Q(status=RobotMessage.Status.PENDING)),
        failed=Count("pk", filter=Q(status=RobotMessage.Status.FAILED)),
    )
    return {
        "alerts_unprocessed": alerts["unprocessed"],
        "emails_pending": emails["pending"],
        "emails_sending": emails["sending"],
        "emails_failed": emails["failed"],
        "robot_messages_pending": robots["pending"],
        "robot_messages_failed": robots["failed"],
    }
