"""Decisions and urges told to the unit concerned: closed, returned, extension decided, urged.

The services call these after the decision commits (``transaction.on_commit``),
passing ``queue_emails`` (``rectification.tasks.queue_email_delivery``) so that
the e-mails leave at once; without it they wait for the ``deliver_pending`` job.
"""


from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from campaign.people import person_name
from rectification.models import (
    Notification,
    Task,
)

from .base import DECISION, URGE, addresses, build, save_new, task_url, unit_name
from .recipients import Audience


def notify_urge(urge, queue_emails=None):
    """Tell the staff of the urged task's unit (催办); returns how many were told."""
    task = Task.objects.select_related("unit").get(pk=urge.task_id)
    author = person_name(urge.author) if urge.author_id else ""
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "unit": unit_name(task.unit), "author": author, "message": urge.message}
        title = _("Urged: %(task)s") % context
        if author:
            body = _("%(author)s urges %(unit)s to act on the task “%(task)s”:\n%(message)s") % context
        else:
            body = _("%(unit)s is urged to act on the task “%(task)s”:\n%(message)s") % context
        if urge.reply_by:
            body += "\n" + _("Reply by %(day)s.") % {"day": urge.reply_by.isoformat()}
    return tell_unit_staff(task, URGE, f"urge:{urge.pk}", title, body, queue_emails)


def notify_verification_decided(verification, queue_emails=None):
    """Tell the task's unit that its request to close was approved or returned (with why)."""
    task = Task.objects.select_related("unit").get(pk=verification.task_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "reason": verification.reason}
        if verification.outcome == verification.Outcome.APPROVED:
            title, body = _("Closed: %(task)s") % context, _("The task “%(task)s” was verified and closed.") % context
        else:
            title = _("Returned: %(task)s") % context
            body = _("The request to close “%(task)s” was returned:\n%(reason)s") % context
    return tell_unit_staff(task, DECISION, f"verification:{verification.pk}", title, body, queue_emails)


def notify_extension_decided(extension, queue_emails=None):
    """Tell the task's unit whether its new due date was granted."""
    task = Task.objects.select_related("unit").get(pk=extension.task_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "date": extension.requested_due_date.isoformat(), "note": extension.decision_note}
        if extension.decision == "approved":
            title = _("Extension granted: %(task)s") % context
            body = _("“%(task)s” is now due on %(date)s.") % context
        else:
            title = _("Extension refused: %(task)s") % context
            body = _("The extension of “%(task)s” to %(date)s was refused:\n%(note)s") % context
    return tell_unit_staff(task, DECISION, f"extension:{extension.pk}", title, body, queue_emails)


def tell_unit_staff(task, kind, key, title, body, queue_emails=None):
    """One notification per staff member of the task's unit (or the nearest unit
    above with staff), once per ``key``; ``queue_emails`` is given the ids of
    those whose e-mail waits. Returns how many notifications were new."""
    recipients = Audience({task.unit}).staff(task.unit)
    made = save_new(
        build(recipients, addresses(recipients), task=task, kind=kind, key=key, title=title[:200], body=body,
               url=task_url(task))
    )  # fmt: skip
    if queue_emails is not None:
        queue_emails(
            Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).values_list("pk", flat=True)
        )
    return made
