"""Requests told to the supervisors who decide them: a closing asked for, an
extension asked for, an overdue explanation to review.

The services call these after the request commits (``transaction.on_commit``).
They go to the supervision groups watching the task's unit (for the task's
campaign), never to the person who asked; the link opens the task, where the
evidence and the decision are.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from rectification.models import Notification, Task

from .base import REQUEST, addresses, build, save_new, task_url, unit_name
from .recipients import Audience


def _task(row):
    return Task.objects.select_related("unit", "batch").get(pk=row.task_id)


def notify_closing_requested(verification, queue_emails=None, queue_robots=None):
    # Requests go to the supervisors in person, not to the unit's group chat: ``queue_robots`` is unused.
    task = _task(verification)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "unit": unit_name(task.unit), "note": verification.note}
        title = _("Closing requested: %(task)s") % context
        body = _("%(unit)s asks to close the task “%(task)s”. Check the evidence on the task's page, "
                 "then close it or return it.\n%(note)s") % context  # fmt: skip
    return tell_supervisors(task, f"closing:{verification.pk}", title, body, verification.requested_by_id, queue_emails)


def notify_extension_requested(extension, queue_emails=None, queue_robots=None):
    # Requests go to the supervisors in person, not to the unit's group chat: ``queue_robots`` is unused.
    task = _task(extension)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "task": task.title, "unit": unit_name(task.unit), "reason": extension.reason,
            "old": extension.previous_due_date.isoformat(), "new": extension.requested_due_date.isoformat(),
        }  # fmt: skip
        title = _("Extension requested: %(task)s") % context
        body = _("%(unit)s asks to move the due date of “%(task)s” from %(old)s to %(new)s:\n%(reason)s") % context
    return tell_supervisors(task, f"extension-asked:{extension.pk}", title, body, extension.requested_by_id, queue_emails)


def notify_explanation_given(explanation, queue_emails=None, queue_robots=None):
    # Requests go to the supervisors in person, not to the unit's group chat: ``queue_robots`` is unused.
    task = _task(explanation)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "unit": unit_name(task.unit), "text": explanation.text}
        title = _("Explanation to review: %(task)s") % context
        body = _("%(unit)s explains why “%(task)s” is overdue:\n%(text)s") % context
    return tell_supervisors(task, f"explanation:{explanation.pk}", title, body, explanation.author_id, queue_emails)


def tell_supervisors(task, key, title, body, asked_by_id=None, queue_emails=None):
    """One notification per member and leader of the supervision groups watching
    the task's unit, once per ``key``, never to ``asked_by_id``. Returns how many were new."""
    recipients = Audience({task.unit}).supervisors(task.unit, task.batch.campaign_id) - {asked_by_id}
    made = save_new(
        build(recipients, addresses(recipients), task=task, kind=REQUEST, key=key, title=title[:200], body=body,
              url=task_url(task))
    )  # fmt: skip
    if queue_emails is not None and made:
        queue_emails(
            Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).values_list("pk", flat=True)
        )
    return made
