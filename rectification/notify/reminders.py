"""Deadline reminders to the staff of tasks due soon, once per due date."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rectification.models import (
    Task,
    TaskStatus,
    Term,
    WarningPolicy,
)
from rectification.policy import reminder_days

from .base import BATCH_SIZE, REMINDER, addresses, build, save_new, task_url, unit_name
from .recipients import Audience
from .robots import robot_messages, robots_for, save_new_messages


def reminder_tasks(today):
    """Tasks in progress due between today and today + the term's reminder days
    (``policy.reminder_days``: the campaign's, or the term's default).

    A range, not one day, so that a missed run (beat down for a day) still
    reminds; the key ``reminder:<task>:<due>`` keeps it to once per due date.
    """
    query = Q(pk__in=[])
    customised = defaultdict(list)
    policies = WarningPolicy.objects.filter(reminder_days__gt=0).values_list("campaign_id", "term", "reminder_days")
    for campaign_id, term, days in policies:
        customised[term].append(campaign_id)
        last = today + datetime.timedelta(days=reminder_days(term, days))
        query |= Q(batch__campaign_id=campaign_id, term=term, due_date__range=(today, last))
    for term in Term.values:
        last = today + datetime.timedelta(days=reminder_days(term))
        query |= Q(term=term, due_date__range=(today, last)) & ~Q(batch__campaign_id__in=customised[term])
    return Task.objects.filter(query, status=TaskStatus.IN_PROGRESS).select_related("unit")


def make_deadline_reminders(today=None):
    today = today or timezone.localdate()
    tasks = reminder_tasks(today).order_by("pk")
    count = made = posted = 0
    last_pk = 0
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            chunk = list(tasks.filter(pk__gt=last_pk)[:BATCH_SIZE])
            if not chunk:
                break
            last_pk = chunk[-1].pk
            count += len(chunk)
            audience = Audience({task.unit for task in chunk})
            recipients = {task.pk: audience.staff(task.unit) for task in chunk}
            emails = addresses(set().union(*recipients.values()))
            robots = robots_for({task.unit for task in chunk})
            notifications = []
            messages = []
            for task in chunk:
                context = {
                    "task": task.title,
                    "unit": unit_name(task.unit),
                    "due": task.due_date.isoformat(),
                    "days": (task.due_date - today).days,
                }
                fields = dict(
                    task=task,
                    kind=REMINDER,
                    key=f"reminder:{task.pk}:{task.due_date.isoformat()}",
                    title=(_("Due on %(due)s: %(task)s") % context)[:200],
                    body=_(
                        "The task “%(task)s” of %(unit)s is due on %(due)s, in %(days)s day(s). "
                        "Report its progress and ask for verification when it is done."
                    )
                    % context,
                    url=task_url(task),
                )
                notifications += build(recipients[task.pk], emails, **fields)
                messages += robot_messages(robots[task.unit_id], **fields)
            made += save_new(notifications)
            posted += len(save_new_messages(messages))
    return {"tasks": count, "notifications": made, "robot_messages": posted}


