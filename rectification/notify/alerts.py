"""Warnings raised by the sweep, announced once each (claimed by compare-and-set)."""


from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rectification.models import (
    Alert,
    WarningLevel,
)

from .base import ALERT, BATCH_SIZE, addresses, build, save_new, task_url, unit_name
from .recipients import Audience, alert_recipients
from .robots import robot_messages, robots_for, save_new_messages


def alert_text(alert):
    """(title, body) of an alert, in the active language."""
    task = alert.task
    context = {"task": task.title, "unit": unit_name(task.unit), "due": alert.due_date.isoformat()}
    if alert.level == WarningLevel.YELLOW:
        title = _("Due soon: %(task)s") % context
        body = _("The task “%(task)s” of %(unit)s is due on %(due)s. Finish it, or ask for more time before then.")
    elif alert.level == WarningLevel.RED:
        title = _("Overdue: %(task)s") % context
        body = _(
            "The task “%(task)s” of %(unit)s was due on %(due)s and is not closed. "
            "Give the reason for the delay on the task page."
        )
    else:
        title = _("Escalated: %(task)s") % context
        body = _(
            "The task “%(task)s” of %(unit)s was due on %(due)s and is still open; it is now supervised "
            "by the upper level (督办). The unit must explain the delay and report progress."
        )
    return title, body % context


def make_alert_notifications(now=None):
    """Announce every unprocessed alert once; returns counts.

    Each alert is claimed with ``UPDATE … WHERE processed_at IS NULL`` in the
    same transaction that writes its notifications: a concurrent run blocks
    on the row, then finds it processed and moves on; if writing fails, the
    claim rolls back with it and the next run tries again.
    """
    now = now or timezone.now()
    claimed = made = posted = 0
    last_pk = 0
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            alerts = list(
                Alert.objects.filter(processed_at__isnull=True, pk__gt=last_pk)
                .select_related("task__unit", "task__batch")
                .order_by("pk")[:BATCH_SIZE]
            )
            if not alerts:
                break
            last_pk = alerts[-1].pk
            audience = Audience({alert.task.unit for alert in alerts})
            recipients = {alert.pk: alert_recipients(audience, alert) for alert in alerts}
            robots = robots_for({alert.task.unit for alert in alerts})
            emails = addresses(set().union(*recipients.values()))
            for alert in alerts:
                with transaction.atomic():
                    if not Alert.objects.filter(pk=alert.pk, processed_at__isnull=True).update(processed_at=now):
                        continue  # another worker has it
                    claimed += 1
                    title, body = alert_text(alert)
                    fields = dict(task=alert.task, kind=ALERT, key=f"alert:{alert.pk}", title=title[:200], body=body,
                                  url=task_url(alert.task))  # fmt: skip
                    made += save_new(build(recipients[alert.pk], emails, alert=alert, **fields))
                    if recipients[alert.pk]:  # not for an alert gone stale before it was announced
                        posted += len(save_new_messages(robot_messages(robots[alert.task.unit_id], **fields)))
    return {"alerts": claimed, "notifications": made, "robot_messages": posted}


