"""The warning policy (DESIGN §3), in one place: when an open task turns yellow
(预警), red (超期) or escalated (督办), when its staff are reminded of its due
date, the defaults of each term, and what a campaign may set instead.

Everything here is plain values: no query, no model. The models store the
level this rule gives (``Task.save``), the sweep stores it for every task at
once with filters built here (:func:`level_q`, :func:`bounds_q`), the
reminders read :func:`reminder_days`, and ``WarningPolicy.clean()`` (the admin)
and the operations page's form check a campaign's values with :func:`validate`.

Due dates are dates in Asia/Shanghai: a task due today is not overdue until
that day has ended there, so callers pass ``timezone.localdate()``. An approved
extension moves ``due_date`` (the original date is kept apart) and clears
``explained_at``, so the rule counts the new date and a new clock.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext as _

from rectification.choices import TaskStatus, Term, WarningLevel

# --- the defaults --------------------------------------------------------------------

# A task turns yellow this many days before its due date, by term.
DEFAULT_WINDOW_DAYS = {Term.IMMEDIATE: 1, Term.SHORT: 3, Term.LONG: 15}
# Overdue by more than this many days: escalated, explained or not.
ESCALATE_AFTER_DAYS = 30
# Overdue and still unexplained after this many days: escalated.
EXPLANATION_GRACE_DAYS = 3
# Deadline reminders go out this many days before the due date, by term, when a
# campaign's policy leaves ``reminder_days`` at 0 (not set).
DEFAULT_REMINDER_DAYS = {Term.IMMEDIATE: 1, Term.SHORT: 3, Term.LONG: 7}

# The largest value a campaign may set, by field (the smallest is 0).
LIMITS = {"window_days": 365, "escalate_after_days": 3650, "explanation_grace_days": 3650, "reminder_days": 365}


@dataclass(frozen=True)
class Policy:
    """The thresholds of one term in one campaign: what the level depends on."""

    window_days: int
    escalate_after_days: int = ESCALATE_AFTER_DAYS
    explanation_grace_days: int = EXPLANATION_GRACE_DAYS


def default_policy(term):
    return Policy(window_days=DEFAULT_WINDOW_DAYS[term])


def for_term(term, stored=None):
    """The policy of ``term``: the campaign's own (``stored``, a ``WarningPolicy``
    row or anything with its three fields), or the default when it has none."""
    if stored is None:
        return default_policy(term)
    return Policy(stored.window_days, stored.escalate_after_days, stored.explanation_grace_days)


def reminder_days(term, stored=0):
    """Days before the due date that a task's staff are reminded: the campaign's
    ``reminder_days`` for the term, or the term's default when it is 0 (not set)."""
    return stored or DEFAULT_REMINDER_DAYS[term]


def validate(values):
    """Check a campaign's values for one term (a dict by field name; missing
    fields are not checked). Raises ``ValidationError`` with the messages by field."""
    errors = {}
    for name, limit in LIMITS.items():
        value = values.get(name)
        if value is None:
            continue
        for validator in (MinValueValidator(0), MaxValueValidator(limit)):
            try:
                validator(value)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.error_list)
    grace, escalate = values.get("explanation_grace_days"), values.get("escalate_after_days")
    if grace is not None and escalate is not None and grace > escalate:
        message = _("Cannot be longer than the days overdue after which every task is escalated.")
        errors.setdefault("explanation_grace_days", []).append(ValidationError(message, code="grace_too_long"))
    if errors:
        raise ValidationError(errors)


# --- the rule ------------------------------------------------------------------------


def warning_level(task, today, policy):
    """The level of ``task`` (anything with ``status``, ``due_date`` and
    ``explained_at``) on ``today`` under ``policy``:

    - none: closed, or due later than ``window_days`` from today;
    - yellow: open and due between today and today + ``window_days``;
    - red: open and past due;
    - escalated: past due by more than ``escalate_after_days``, or by more than
      ``explanation_grace_days`` with no explanation for the current due date.
    """
    if task.status == TaskStatus.CLOSED or task.due_date is None:
        return WarningLevel.NONE
    days_left = (task.due_date - today).days
    if days_left < 0:
        days_over = -days_left
        if days_over > policy.escalate_after_days:
            return WarningLevel.ESCALATED
        if days_over > policy.explanation_grace_days and task.explained_at is None:
            return WarningLevel.ESCALATED
        return WarningLevel.RED
    if days_left <= policy.window_days:
        return WarningLevel.YELLOW
    return WarningLevel.NONE


def level_q(level, policy, today):
    """The same rule as a filter: open tasks at ``level`` under ``policy`` on
    ``today``, on ``due_date`` and ``explained_at`` (the caller adds "open" and
    which tasks the policy applies to)."""
    day = datetime.timedelta(days=1)
    if level == WarningLevel.NONE:
        return Q(due_date__gt=today + policy.window_days * day)
    if level == WarningLevel.YELLOW:
        return Q(due_date__gte=today, due_date__lte=today + policy.window_days * day)
    escalate_before = today - policy.escalate_after_days * day
    unexplained_before = today - policy.explanation_grace_days * day
    if level == WarningLevel.RED:
        return Q(due_date__lt=today, due_date__gte=escalate_before) & (
            Q(explained_at__isnull=False) | Q(due_date__gte=unexplained_before)
        )
    return Q(due_date__lt=escalate_before) | Q(due_date__lt=unexplained_before, explained_at__isnull=True)


def bounds_q(level, policies, today):
    """One due-date range that holds ``level_q(level, p, today)`` for every
    policy in ``policies``: a looser filter that an index on the due date can
    serve before the exact per-policy conditions."""
    day = datetime.timedelta(days=1)
    if level == WarningLevel.NONE:
        return Q(due_date__gt=today + min(p.window_days for p in policies) * day)
    if level == WarningLevel.YELLOW:
        return Q(due_date__gte=today, due_date__lte=today + max(p.window_days for p in policies) * day)
    if level == WarningLevel.RED:
        return Q(due_date__lt=today, due_date__gte=today - max(p.escalate_after_days for p in policies) * day)
    return Q(due_date__lt=today - min(min(p.escalate_after_days, p.explanation_grace_days) for p in policies) * day)
