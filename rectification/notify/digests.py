"""The daily digest: what each supervisor should look at today, in their scope;
for a leader, the figures of theirs (instead of every community's warnings)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign.models import Unit
from campaign.permissions import DECIDE, OWN, SUPERVISE
from rectification.models import (
    Alert,
    CoordinationRequest,
    Notification,
    Task,
    TaskStatus,
    Verification,
    WarningLevel,
)

from .base import DIGEST, build, save_new, unit_name
from .recipients import leader_ids, supervisor_ids

DIGEST_ITEMS = 5


def digest_sections(user, since):
    """What a supervisor should look at today, in their supervision scope: a
    list of (heading, count, first items as text lines)."""
    tasks = Task.objects.restrict(user, SUPERVISE).open().select_related("unit")
    recent_alert = Alert.objects.filter(task=OuterRef("pk"), level__gte=WarningLevel.RED, created_at__gte=since)
    newly_overdue = tasks.filter(warning_level__gte=WarningLevel.RED).filter(
        Q(warning_since__gte=since) | Q(Exists(recent_alert))
    )
    unexplained = tasks.needing_explanation()
    # What waits for this supervisor's decision: not what separation of duties keeps from them.
    verifications = (
        Verification.objects.restrict(user, DECIDE)
        .filter(outcome=Verification.Outcome.PENDING)
        .select_related("task__unit")
    )
    supervised = Unit.objects.restrict(user, SUPERVISE)
    coordination = (
        CoordinationRequest.objects.filter(Q(from_unit__in=supervised) | Q(to_unit__in=supervised))
        .filter(status=CoordinationRequest.Status.OPEN)
        .select_related("from_unit", "to_unit")
    )

    today = timezone.localdate(since + datetime.timedelta(days=1))
    at_risk = tasks.at_risk(today)

    def task_line(task):
        context = {"task": task.title, "unit": unit_name(task.unit), "due": task.due_date.isoformat()}
        return _("%(task)s (%(unit)s, due %(due)s)") % context

    def request_line(request):
        context = {"subject": request.subject, "from": unit_name(request.from_unit), "to": unit_name(request.to_unit)}
        return _("%(subject)s (%(from)s → %(to)s)") % context

    sections = [
        (_("Newly overdue or escalated tasks"), newly_overdue.order_by("-warning_level", "due_date", "pk"), task_line),
        (_("Verification requests waiting"), verifications.order_by("requested_at", "pk"), lambda v: task_line(v.task)),
        (_("Overdue tasks without an explanation"), unexplained.order_by("due_date", "pk"), task_line),
        # Issue 11: progress lagging the time elapsed, before the task turns yellow.
        (_("Tasks at risk (progress lagging the time elapsed)"), at_risk.order_by("-lag", "due_date", "pk"), task_line),
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


def _task_line(task):
    context = {"task": task.title, "unit": unit_name(task.unit), "due": task.due_date.isoformat()}
    return _("%(task)s (%(unit)s, due %(due)s)") % context


def leader_sections(user, since):
    """What a leader reads each morning about the units they lead: tasks newly
    overdue or escalated, overdue tasks still unexplained (their staff are asked,
    not the leader), and tasks closed since yesterday."""
    tasks = Task.objects.restrict(user, OWN).select_related("unit")
    recent_alert = Alert.objects.filter(task=OuterRef("pk"), level__gte=WarningLevel.RED, created_at__gte=since)
    newly_overdue = tasks.open().filter(warning_level__gte=WarningLevel.RED).filter(
        Q(warning_since__gte=since) | Q(Exists(recent_alert))
    )
    sections = [
        (_("Newly overdue or escalated tasks"), newly_overdue.order_by("-warning_level", "due_date", "pk")),
        (_("Overdue tasks without an explanation"), tasks.open().needing_explanation().order_by("due_date", "pk")),
        (_("Tasks closed since yesterday"), tasks.filter(status=TaskStatus.CLOSED, closed_at__gte=since).order_by("-closed_at", "pk")),
    ]
    result = []
    for heading, queryset in sections:
        count = queryset.count()
        result.append((heading, count, [_task_line(task) for task in queryset[:DIGEST_ITEMS]] if count else []))
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
    """At most one digest per supervisor or leader per day (key ``digest:<date>``);
    a supervisor's says what waits for them (and wins for one who is both), a
    leader's gives the figures of their units; nothing for one with nothing to read."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = now - datetime.timedelta(days=1)
    key = f"digest:{today.isoformat()}"
    supervisors = supervisor_ids()
    people = (supervisors | leader_ids()) - set(Notification.objects.filter(key=key).values_list("user_id", flat=True))
    users = get_user_model().objects.filter(pk__in=people).order_by("pk")
    made = skipped = 0
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            supervises = user.pk in supervisors
            sections = digest_sections(user, since) if supervises else leader_sections(user, since)
            if not any(count for _heading, count, _items in sections):
                skipped += 1
                continue
            title, body = digest_text(today, sections)
            url = reverse("rectification:queue") if supervises else reverse("reports:home")
            made += save_new(
                build({user.pk}, {user.pk: (user.email or "").strip()}, kind=DIGEST, key=key, title=title,
                       body=body, url=url)
            )  # fmt: skip
    return {"digests": made, "empty": skipped}


