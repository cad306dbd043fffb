"""Celery tasks of the overdue engine (DESIGN §4).

Thin: each task calls a function of ``sweep`` or ``notify`` and returns its
counts (JSON). Tasks take ids, never model instances, and are idempotent:
running one twice, or two at once, changes nothing more than running it once.
The schedule is data in ``settings.CELERY_BEAT_SCHEDULE``.
"""

from celery import shared_task
from django.conf import settings

from . import notify
from .jobs import recorded

DELIVERY_BATCH = 1000


def retry_countdown(retries):
    """Seconds before retry number ``retries + 1`` of an e-mail: 30 s, 60 s,
    120 s … capped at an hour. ``NOTIFICATION_RETRY_SECONDS`` (a setting,
    default 30) sets the first step."""
    first = getattr(settings, "NOTIFICATION_RETRY_SECONDS", 30)
    return min(first * 2**retries, 3600)


def queue_email_delivery(notification_ids):
    """Queue one delivery task per notification when the current transaction
    commits (at once outside a transaction). Returns how many were queued."""
    count = 0
    for notification_id in notification_ids:
        deliver_notification.delay_on_commit(notification_id)
        count += 1
    return count


def queue_robot_delivery(message_ids):
    """Queue one delivery task per group-chat robot message when the current transaction commits."""
    count = 0
    for message_id in message_ids:
        deliver_robot_message.delay_on_commit(message_id)
        count += 1
    return count


def queue_deliverable():
    """Queue the e-mails and group-chat messages waiting to go (new, due for a retry, or stuck);
    returns how many were queued."""
    ids = list(notify.deliverable().order_by("pk").values_list("pk", flat=True)[:DELIVERY_BATCH])
    messages = list(notify.deliverable_messages().order_by("pk").values_list("pk", flat=True)[:DELIVERY_BATCH])
    return queue_email_delivery(ids) + queue_robot_delivery(messages)


@shared_task
@recorded("rectification.sweep_overdue")
def sweep_overdue():
    """The hourly sweep: levels and alerts, then notifications, then e-mails."""
    from .sweep import run_sweep

    swept = run_sweep()
    made = notify.make_alert_notifications()
    return {**swept, **{f"notified_{key}": value for key, value in made.items()}, "queued": queue_deliverable()}


@shared_task(bind=True, max_retries=notify.MAX_EMAIL_ATTEMPTS)
def deliver_notification(self, notification_id):
    """Send one notification's e-mail at most once; retry transient failures with backoff."""
    try:
        return notify.deliver_email(notification_id)
    except notify.TransientEmailError as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


@shared_task(bind=True, max_retries=notify.MAX_EMAIL_ATTEMPTS)
def deliver_robot_message(self, message_id):
    """Post one message to its group-chat robot at most once; retry transient failures with backoff."""
    try:
        return notify.deliver_robot_message(message_id)
    except notify.Deferred as exc:  # the robot's messages per minute: later, not counted as a retry
        raise self.retry(exc=exc, countdown=exc.seconds, max_retries=None) from exc
    except notify.TransientDeliveryError as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


@shared_task
@recorded("rectification.deliver_pending")
def deliver_pending():
    """Every few minutes: queue the e-mails and group-chat messages that no delivery task is handling."""
    return {"queued": queue_deliverable()}


@shared_task
@recorded("rectification.send_deadline_reminders")
def send_deadline_reminders():
    made = notify.make_deadline_reminders()
    return {**made, "queued": queue_deliverable()}


@shared_task
@recorded("rectification.send_daily_digests")
def send_daily_digests():
    made = notify.make_daily_digests()
    return {**made, "queued": queue_deliverable()}


@shared_task
@recorded("campaign.prune_exports")
def prune_exports():
    """Daily: delete the background exports (records and files) older than EXPORT_RETENTION_DAYS."""
    from campaign import background

    return {"deleted": background.prune()}

