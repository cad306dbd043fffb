"""Who hears about what, and how it reaches them (DESIGN §4).

Every message is a ``Notification`` row, unique per (user, key): making the
same message twice adds nothing. Alerts are claimed by a compare-and-set on
``processed_at`` inside the transaction that writes their notifications, so
each alert is announced exactly once even with several workers; e-mails are
claimed the same way on ``email_status``.

Texts are composed in the site's language (``LANGUAGE_CODE``, Chinese) and
stored, so the list page and the e-mail say the same thing.
"""

import datetime
import logging
import smtplib
import socket
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import Membership, Role, SupervisionGroup
from campaign.people import person_name

from .models import (
    Alert,
    CoordinationRequest,
    Notification,
    Task,
    TaskStatus,
    Term,
    Verification,
    WarningLevel,
    WarningPolicy,
)

logger = logging.getLogger(__name__)

ALERT, REMINDER, DIGEST, URGE, DECISION = "alert", "reminder", "digest", "urge", "decision"
KIND_LABELS = {
    ALERT: gettext_lazy("Warning"),
    REMINDER: gettext_lazy("Deadline reminder"),
    DIGEST: gettext_lazy("Daily digest"),
    URGE: gettext_lazy("Urged"),
    DECISION: gettext_lazy("Decision"),
}

# Days before the due date a deadline reminder goes out, when the campaign's
# WarningPolicy for the term leaves ``reminder_days`` at 0 (not set).
DEFAULT_REMINDER_DAYS = {Term.IMMEDIATE: 1, Term.SHORT: 3, Term.LONG: 7}

# E-mail delivery: a claim older than this is taken to be a dead worker's.
STUCK_AFTER = datetime.timedelta(minutes=10)
# A pending e-mail claimed this recently is waiting for its own retry.
RETRY_AFTER = datetime.timedelta(minutes=5)
MAX_EMAIL_ATTEMPTS = 5
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, socket.timeout, OSError)
ERROR_MAX_CHARS = 2000

BATCH_SIZE = 200
DIGEST_ITEMS = 5


class TransientEmailError(Exception):
    """Sending failed for a reason that may pass (server down, timeout); try again later."""


# --- recipients ----------------------------------------------------------------


class Audience:
    """Staff, leaders and supervision groups over a set of units, loaded in a
    few queries, so that choosing recipients for many tasks is no query per task.

    "Nearest" walks from a unit up its path to the first unit that has people in
    the role: a community without its own staff is served by its street's.
    """

    def __init__(self, units):
        self._chains = {unit.pk: unit.ancestor_ids() for unit in units}
        self._unit_ids = set().union(*self._chains.values()) if self._chains else set()
        self._people = defaultdict(set)  # (unit id, role) -> user ids
        rows = Membership.objects.filter(
            unit_id__in=self._unit_ids, role__in=(Role.STAFF, Role.LEADER), user__is_active=True
        ).values_list("unit_id", "role", "user_id")
        for unit_id, role, user_id in rows:
            self._people[unit_id, role].add(user_id)
        self._groups = None

    def nearest(self, unit, role, above=False):
        """Users in ``role`` on ``unit`` or its nearest ancestor having any
        (strictly above ``unit`` when ``above``)."""
        chain = self._chains[unit.pk][:-1] if above else self._chains[unit.pk]
        for unit_id in reversed(chain):
            users = self._people.get((unit_id, role))
            if users:
                return set(users)
        return set()

    def staff(self, unit):
        return self.nearest(unit, Role.STAFF)

    def leaders(self, unit):
        return self.nearest(unit, Role.LEADER)

    def upper_leaders(self, unit):
        """Leaders of the upper unit (the parent, or the nearest ancestor with leaders)."""
        return self.nearest(unit, Role.LEADER, above=True)

    def supervisors(self, unit, campaign_id):
        """Members and leaders of the campaign's supervision groups whose
        supervised units contain ``unit`` in their subtree."""
        if self._groups is None:
            self._load_groups()
        users = set()
        for unit_id in self._chains[unit.pk]:
            for group_campaign, people in self._groups.get(unit_id, ()):
                if campaign_id is None or group_campaign == campaign_id:
                    users |= people
        return users

    def _load_groups(self):
        through = SupervisionGroup.units.through
        links = list(
            through.objects.filter(unit_id__in=self._unit_ids).values_list(
                "unit_id", "supervisiongroup_id", "supervisiongroup__campaign_id", "supervisiongroup__leader_id"
            )
        )
        people = defaultdict(set)
        for _unit_id, group_id, _campaign_id, leader_id in links:
            if leader_id:
                people[group_id].add(leader_id)
        members = SupervisionGroup.members.through.objects.filter(
            supervisiongroup_id__in={link[1] for link in links}
        ).values_list("supervisiongroup_id", "user_id")
        for group_id, user_id in members:
            people[group_id].add(user_id)
        self._groups = defaultdict(list)
        for unit_id, group_id, campaign_id, _leader_id in links:
            self._groups[unit_id].append((campaign_id, people[group_id]))


def alert_recipients(audience, alert):
    """yellow/red → the unit's staff; red → also its leaders; escalated → also
    the supervising groups and the upper unit's leaders. Nobody for an alert
    gone stale before it was announced (task closed, or due date moved)."""
    task = alert.task
    unit = task.unit
    users = set()
    if not task.is_open or task.due_date != alert.due_date:
        return users
    if alert.level >= WarningLevel.YELLOW:
        users |= audience.staff(unit)
    if alert.level >= WarningLevel.RED:
        users |= audience.leaders(unit)
    if alert.level >= WarningLevel.ESCALATED:
        users |= audience.supervisors(unit, task.batch.campaign_id)
        users |= audience.upper_leaders(unit)
    return users


def _addresses(user_ids):
    """{user id: e-mail address or ""} of the active users among ``user_ids``."""
    if not user_ids:
        return {}
    rows = get_user_model().objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "email")
    return {pk: (email or "").strip() for pk, email in rows}


def _build(user_ids, addresses, **fields):
    """Unsaved notifications for the active users among ``user_ids``."""
    return [
        Notification(
            user_id=user_id,
            email_status=Notification.Email.PENDING if addresses[user_id] else Notification.Email.NONE,
            **fields,
        )
        for user_id in sorted(user_ids)
        if user_id in addresses
    ]


def _save_new(notifications):
    """Insert the notifications whose (user, key) is not taken yet; return how
    many were new. The unique constraint settles races with a concurrent run."""
    if not notifications:
        return 0
    keys = {n.key for n in notifications}
    taken = set(
        Notification.objects.filter(key__in=keys, user_id__in={n.user_id for n in notifications}).values_list(
            "user_id", "key"
        )
    )
    new = [n for n in notifications if (n.user_id, n.key) not in taken]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _task_url(task):
    return reverse("rectification:task_detail", args=[task.pk])


def _unit_name(unit):
    return unit.display_name


# --- alerts --------------------------------------------------------------------


def alert_text(alert):
    """(title, body) of an alert, in the active language."""
    task = alert.task
    context = {"task": task.title, "unit": _unit_name(task.unit), "due": alert.due_date.isoformat()}
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
    claimed = made = 0
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
            addresses = _addresses(set().union(*recipients.values()))
            for alert in alerts:
                with transaction.atomic():
                    if not Alert.objects.filter(pk=alert.pk, processed_at__isnull=True).update(processed_at=now):
                        continue  # another worker has it
                    claimed += 1
                    title, body = alert_text(alert)
                    made += _save_new(
                        _build(
                            recipients[alert.pk],
                            addresses,
                            alert=alert,
                            task=alert.task,
                            kind=ALERT,
                            key=f"alert:{alert.pk}",
                            title=title[:200],
                            body=body,
                            url=_task_url(alert.task),
                        )
                    )
    return {"alerts": claimed, "notifications": made}


# --- deadline reminders ---------------------------------------------------------


def reminder_tasks(today):
    """Tasks in progress due between today and today + the term's reminder days.

    A range, not one day, so that a missed run (beat down for a day) still
    reminds; the key ``reminder:<task>:<due>`` keeps it to once per due date.
    """
    query = Q(pk__in=[])
    customised = defaultdict(list)
    policies = WarningPolicy.objects.filter(reminder_days__gt=0).values_list("campaign_id", "term", "reminder_days")
    for campaign_id, term, days in policies:
        customised[term].append(campaign_id)
        last = today + datetime.timedelta(days=days)
        query |= Q(batch__campaign_id=campaign_id, term=term, due_date__range=(today, last))
    for term, days in DEFAULT_REMINDER_DAYS.items():
        last = today + datetime.timedelta(days=days)
        query |= Q(term=term, due_date__range=(today, last)) & ~Q(batch__campaign_id__in=customised[term])
    return Task.objects.filter(query, status=TaskStatus.IN_PROGRESS).select_related("unit")


def make_deadline_reminders(today=None):
    today = today or timezone.localdate()
    tasks = reminder_tasks(today).order_by("pk")
    count = made = 0
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
            addresses = _addresses(set().union(*recipients.values()))
            notifications = []
            for task in chunk:
                context = {
                    "task": task.title,
                    "unit": _unit_name(task.unit),
                    "due": task.due_date.isoformat(),
                    "days": (task.due_date - today).days,
                }
                notifications += _build(
                    recipients[task.pk],
                    addresses,
                    task=task,
                    kind=REMINDER,
                    key=f"reminder:{task.pk}:{task.due_date.isoformat()}",
                    title=(_("Due on %(due)s: %(task)s") % context)[:200],
                    body=_(
                        "The task “%(task)s” of %(unit)s is due on %(due)s, in %(days)s day(s). "
                        "Report its progress and ask for verification when it is done."
                    )
                    % context,
                    url=_task_url(task),
                )
            made += _save_new(notifications)
    return {"tasks": count, "notifications": made}


# --- daily digests ---------------------------------------------------------------


def supervisor_ids():
    """Active users who supervise: by a supervisor membership or a supervision group."""
    users = get_user_model().objects.filter(is_active=True)
    return set(
        users.filter(
            Q(memberships__role=Role.SUPERVISOR)
            | Q(supervision_groups__isnull=False)
            | Q(led_supervision_groups__isnull=False)
        ).values_list("pk", flat=True)
    )


def digest_sections(user, since):
    """What a supervisor should look at today, in their supervision scope: a
    list of (heading, count, first items as text lines)."""
    from .queues import paths_q, supervised_tasks, supervision_paths

    tasks = supervised_tasks(user).open().select_related("unit")
    recent_alert = Alert.objects.filter(task=OuterRef("pk"), level__gte=WarningLevel.RED, created_at__gte=since)
    newly_overdue = tasks.filter(warning_level__gte=WarningLevel.RED).filter(
        Q(warning_since__gte=since) | Q(Exists(recent_alert))
    )
    unexplained = tasks.overdue().filter(explained_at__isnull=True)
    verifications = Verification.objects.filter(
        outcome=Verification.Outcome.PENDING, task__in=supervised_tasks(user)
    ).select_related("task__unit")
    paths = supervision_paths(user)
    coordination = (
        CoordinationRequest.objects.filter(paths_q(paths, "from_unit__path") | paths_q(paths, "to_unit__path"))
        .filter(status=CoordinationRequest.Status.OPEN)
        .select_related("from_unit", "to_unit")
    )

    def task_line(task):
        context = {"task": task.title, "unit": _unit_name(task.unit), "due": task.due_date.isoformat()}
        return _("%(task)s (%(unit)s, due %(due)s)") % context

    def request_line(request):
        context = {"subject": request.subject, "from": _unit_name(request.from_unit), "to": _unit_name(request.to_unit)}
        return _("%(subject)s (%(from)s → %(to)s)") % context

    sections = [
        (_("Newly overdue or escalated tasks"), newly_overdue.order_by("-warning_level", "due_date", "pk"), task_line),
        (_("Verification requests waiting"), verifications.order_by("requested_at", "pk"), lambda v: task_line(v.task)),
        (_("Overdue tasks without an explanation"), unexplained.order_by("due_date", "pk"), task_line),
        (
            _("Coordination requests not answered"),
            coordination.order_by("created_at", "pk"),
            request_line,
        ),
    ]
    result = []
    for heading, queryset, line in sections:
        count = queryset.count()
        items = [line(row) for row in queryset[:DIGEST_ITEMS]] if count else []
        result.append((heading, count, items))
    return result


def digest_text(today, sections):
    title = _("Daily digest for %(date)s") % {"date": today.isoformat()}
    parts = []
    for heading, count, items in sections:
        if not count:
            continue
        lines = [_("%(heading)s: %(count)s") % {"heading": heading, "count": count}]
        lines += [f"- {item}" for item in items]
        if count > len(items):
            lines.append(_("… and %(count)s more") % {"count": count - len(items)})
        parts.append("\n".join(lines))
    return title, "\n\n".join(parts)


def make_daily_digests(now=None):
    """At most one digest per supervisor per day (key ``digest:<date>``);
    nothing for a supervisor with nothing to look at."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = now - datetime.timedelta(days=1)
    key = f"digest:{today.isoformat()}"
    people = supervisor_ids() - set(Notification.objects.filter(key=key).values_list("user_id", flat=True))
    users = get_user_model().objects.filter(pk__in=people).order_by("pk")
    made = skipped = 0
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            sections = digest_sections(user, since)
            if not any(count for _heading, count, _items in sections):
                skipped += 1
                continue
            title, body = digest_text(today, sections)
            made += _save_new(
                _build({user.pk}, {user.pk: (user.email or "").strip()}, kind=DIGEST, key=key, title=title,
                       body=body, url=reverse("rectification:queue"))
            )  # fmt: skip
    return {"digests": made, "empty": skipped}


# --- urges -------------------------------------------------------------------------


def notify_urge(urge):
    """Tell the staff of the urged task's unit (催办); returns how many were told.

    Call it right after ``services.urge`` in the same request: the e-mails are
    queued when the transaction commits.
    """
    task = Task.objects.select_related("unit").get(pk=urge.task_id)
    author = person_name(urge.author) if urge.author_id else ""
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "unit": _unit_name(task.unit), "author": author, "message": urge.message}
        title = _("Urged: %(task)s") % context
        if author:
            body = _("%(author)s urges %(unit)s to act on the task “%(task)s”:\n%(message)s") % context
        else:
            body = _("%(unit)s is urged to act on the task “%(task)s”:\n%(message)s") % context
    return tell_unit_staff(task, URGE, f"urge:{urge.pk}", title, body)


def notify_verification_decided(verification):
    """Tell the task's unit that its request to close was approved or returned (with why)."""
    task = Task.objects.select_related("unit").get(pk=verification.task_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"task": task.title, "reason": verification.reason}
        if verification.outcome == verification.Outcome.APPROVED:
            title, body = _("Closed: %(task)s") % context, _("The task “%(task)s” was verified and closed.") % context
        else:
            title = _("Returned: %(task)s") % context
            body = _("The request to close “%(task)s” was returned:\n%(reason)s") % context
    return tell_unit_staff(task, DECISION, f"verification:{verification.pk}", title, body)


def notify_extension_decided(extension):
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
    return tell_unit_staff(task, DECISION, f"extension:{extension.pk}", title, body)


def tell_unit_staff(task, kind, key, title, body):
    """One notification per staff member of the task's unit (or the nearest unit
    above with staff), once per ``key``; the e-mails are queued on commit."""
    recipients = Audience({task.unit}).staff(task.unit)
    made = _save_new(
        _build(recipients, _addresses(recipients), task=task, kind=kind, key=key, title=title[:200], body=body,
               url=_task_url(task))
    )  # fmt: skip
    from .tasks import queue_email_delivery

    queue_email_delivery(
        Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).values_list("pk", flat=True)
    )
    return made


# --- in-app reading -----------------------------------------------------------------


def mark_read(user, notification_id):
    """Mark one of the user's own notifications read; True when it was unread."""
    return bool(
        Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(read_at=timezone.now())
    )


def mark_all_read(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- e-mail delivery -----------------------------------------------------------------


def deliverable(now=None):
    """Notifications whose e-mail should be (re)tried now: pending and not
    claimed within RETRY_AFTER, or stuck in 'sending' longer than STUCK_AFTER."""
    now = now or timezone.now()
    return Notification.objects.filter(
        Q(email_status=Notification.Email.PENDING)
        & (Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - RETRY_AFTER))
        | Q(email_status=Notification.Email.SENDING, email_claimed_at__lt=now - STUCK_AFTER)
    )


def deliver_email(notification_id):
    """Send one notification's e-mail, at most once; returns what happened.

    The claim is a compare-and-set from 'pending' (or 'sending' left by a dead
    worker for over STUCK_AFTER) to 'sending'; only the claimer sends, and it
    marks the row 'sent' right after, long before a claim could go stale.
    A transient failure puts the row back to 'pending' and raises
    :class:`TransientEmailError` for the task to retry; after
    MAX_EMAIL_ATTEMPTS the row is 'failed'.
    """
    now = timezone.now()
    claimable = Q(email_status=Notification.Email.PENDING) | Q(
        email_status=Notification.Email.SENDING, email_claimed_at__lt=now - STUCK_AFTER
    )
    claimed = Notification.objects.filter(claimable, pk=notification_id).update(
        email_status=Notification.Email.SENDING, email_claimed_at=now, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return "not claimed"
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    mine = Notification.objects.filter(pk=notification_id, email_status=Notification.Email.SENDING, email_claimed_at=now)
    address = (notification.user.email or "").strip()
    if not address or not notification.user.is_active:
        mine.update(email_status=Notification.Email.NONE)
        return "no address"
    subject, body = email_text(notification)
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except TRANSIENT_EMAIL_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
        if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
            mine.update(email_status=Notification.Email.FAILED, email_error=error)
            logger.warning("e-mail of notification %s failed for good: %s", notification_id, error)
            return "failed"
        mine.update(email_status=Notification.Email.PENDING, email_error=error)
        raise TransientEmailError(error) from exc
    except Exception as exc:
        mine.update(email_status=Notification.Email.FAILED, email_error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS])
        raise
    mine.update(email_status=Notification.Email.SENT, email_sent_at=timezone.now(), email_error="")
    return "sent"


def email_text(notification):
    """(subject, body) of a notification's e-mail, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Rectification tracker] %(title)s") % {"title": notification.title}
        parts = [notification.body] if notification.body else []
        if notification.url:
            # SITE_URL (e.g. https://campaign.example.org), when the settings have it, makes the link absolute.
            link = getattr(settings, "SITE_URL", "").rstrip("/") + notification.url
            parts.append(_("Open it in the rectification tracker: %(link)s") % {"link": link})
        parts.append(_("You receive this because of your role in the campaign's units or supervision groups."))
    return " ".join(subject.splitlines()), "\n\n".join(parts)
