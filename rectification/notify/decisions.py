"""Decisions and urges told to the unit concerned: closed, returned, extension decided, urged.

The services call these after the decision commits (``transaction.on_commit``),
passing ``queue_emails`` (``rectification.tasks.queue_email_delivery``) and
``queue_robots`` (``…queue_robot_delivery``) so that the e-mails and the group-chat
messages leave at once; without them they wait for the ``deliver_pending`` job.
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
from .robots import tell_robots, tell_unit_robots


def notify_urge(urge, queue_emails=None, queue_robots=None):
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
    return tell_unit_staff(task, URGE, f"urge:{urge.pk}", title, body, queue_emails, queue_robots)


def notify_verification_decided(verification, queue_emails=None, queue_robots=None):
    """Tell the task's unit that its request to close was approved or returned (with why)."""
    task = Task.objects.select_related("unit").get(pk=verification.task_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "reason": verification.reason}
        if verification.outcome == verification.Outcome.APPROVED:
            title, body = _("Closed: %(task)s") % context, _("The task “%(task)s” was verified and closed.") % context
        else:
            title = _("Returned: %(task)s") % context
            body = _("The request to close “%(task)s” was returned:\n%(reason)s") % context
    return tell_unit_staff(task, DECISION, f"verification:{verification.pk}", title, body, queue_emails, queue_robots)


def notify_extension_decided(extension, queue_emails=None, queue_robots=None):
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
    return tell_unit_staff(task, DECISION, f"extension:{extension.pk}", title, body, queue_emails, queue_robots)


def notify_explanation_reviewed(explanation, queue_emails=None, queue_robots=None):
    """Tell the task's unit how its overdue explanation was reviewed (认可 / 不予认可), with the note."""
    task = Task.objects.select_related("unit").get(pk=explanation.task_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "note": explanation.review_note or "—"}
        if explanation.accepted:
            title = _("Explanation accepted: %(task)s") % context
            body = _("The explanation of why “%(task)s” is overdue was accepted:\n%(note)s") % context
        else:
            title = _("Explanation not accepted, explain again: %(task)s") % context
            body = _(
                "The explanation of why “%(task)s” is overdue was not accepted; explain again:\n%(note)s"
            ) % context
    return tell_unit_staff(task, DECISION, f"explanation-review:{explanation.pk}", title, body, queue_emails, queue_robots)


def notify_accountability(record, queue_emails=None, queue_robots=None):
    """Tell the staff of the unit concerned of an accountability measure (问责), once per
    record: about each linked task (the notice opens the task), or the unit itself."""
    from campaign.models import Unit

    record = type(record).objects.select_related("unit", "deciding_unit").get(pk=record.pk)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "measure": record.get_measure_display(),
            "unit": unit_name(record.unit),
            "body": record.deciding_body or "—",
            "date": record.decided_on.isoformat(),
            "person": "、".join(part for part in (record.person_post, record.person_name) if part),
            "note": record.note,
        }
        title = _("Accountability: %(measure)s, %(unit)s") % context
        if context["person"]:
            body = _("%(body)s decided on %(date)s: %(measure)s for %(person)s of %(unit)s.") % context
        else:
            body = _("%(body)s decided on %(date)s: %(measure)s for %(unit)s.") % context
        if record.note:
            body += "\n" + record.note
    tasks = list(record.tasks.select_related("unit").order_by("pk"))
    made = 0
    if tasks:
        for task in tasks:
            made += tell_unit_staff(task, DECISION, f"accountability:{record.pk}:{task.pk}", title, body, queue_emails, queue_robots)
        return made
    return tell_staff_of(Unit.objects.get(pk=record.unit_id), DECISION, f"accountability:{record.pk}", title, body,
                         "", queue_emails, queue_robots)  # fmt: skip


def notify_spot_check_failed(finding, queue_emails=None, queue_robots=None):
    """Tell the task's unit at once that a spot check returned its task (退回重新整改), by when."""
    task = Task.objects.select_related("unit").get(pk=finding.task_id)
    check = finding.spot_check
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "group": check.group.name, "date": finding.new_due_date.isoformat(),
                   "note": finding.note}  # fmt: skip
        title = _("Spot check failed, returned for rectification again: %(task)s") % context
        body = _(
            "%(group)s checked “%(task)s” and found it failed; it is returned for rectification again, "
            "now due on %(date)s:\n%(note)s"
        ) % context
    return tell_unit_staff(task, DECISION, f"spotcheck:{finding.pk}", title, body, queue_emails, queue_robots)


def notify_unit_finding_failed(finding, queue_emails=None, queue_robots=None):
    """Tell a unit that a spot check found its 回头看 and rectification work wanting."""
    from campaign.models import Unit

    unit = Unit.objects.get(pk=finding.unit_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"group": finding.spot_check.group.name, "unit": unit_name(unit), "note": finding.note}
        title = _("Spot check failed: %(unit)s") % context
        body = _("%(group)s checked the look-back and rectification work of %(unit)s and found it failed:\n%(note)s") % context
    return tell_staff_of(unit, DECISION, f"spotcheck-unit:{finding.pk}", title, body, "", queue_emails, queue_robots)


def tell_staff_of(unit, kind, key, title, body, url="", queue_emails=None, queue_robots=None):
    """One notification per staff member of ``unit`` (or the nearest unit above with staff), once per
    ``key``, and one message per group-chat robot of the unit."""
    recipients = Audience({unit}).staff(unit)
    made = save_new(
        build(recipients, addresses(recipients), task=None, kind=kind, key=key, title=title[:200], body=body, url=url)
    )
    posted = tell_unit_robots(unit, kind, key, title, body, url)
    if queue_robots is not None and posted:
        queue_robots(posted)
    if queue_emails is not None:
        queue_emails(
            Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).values_list("pk", flat=True)
        )
    return made


def tell_unit_staff(task, kind, key, title, body, queue_emails=None, queue_robots=None):
    """One notification per staff member of the task's unit (or the nearest unit
    above with staff), once per ``key``, and one message per group-chat robot of
    the unit; ``queue_emails`` is given the ids of those whose e-mail waits,
    ``queue_robots`` those of the new robot messages. Returns how many
    notifications were new."""
    recipients = Audience({task.unit}).staff(task.unit)
    made = save_new(
        build(recipients, addresses(recipients), task=task, kind=kind, key=key, title=title[:200], body=body,
               url=task_url(task))
    )  # fmt: skip
    posted = tell_robots(task, kind, key, title, body, task_url(task))
    if queue_robots is not None and posted:
        queue_robots(posted)
    if queue_emails is not None:
        queue_emails(
            Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).values_list("pk", flat=True)
        )
    return made
