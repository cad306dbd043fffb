"""Warning levels of open tasks (DESIGN §3): the rule, in one pure function.

Due dates are dates in Asia/Shanghai: a task due today is not overdue until
that day has ended there, so callers pass ``timezone.localdate()``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    window_days: int
    escalate_after_days: int = 30
    explanation_grace_days: int = 3


DEFAULT_WINDOWS = {"immediate": 1, "short": 3, "long": 15}


def default_policy(term):
    return Policy(window_days=DEFAULT_WINDOWS.get(term, 3))


def policy_for(campaign_id, term):
    """The campaign's policy for a term, or the defaults when none is set."""
    from rectification.models import WarningPolicy

    if campaign_id is not None:
        row = WarningPolicy.objects.filter(campaign_id=campaign_id, term=term).first()
        if row is not None:
            return row.as_policy()
    return default_policy(term)


def warning_level(task, today, policy):
    """none, yellow (due within the window), red (past due), escalated (past due
    by more than ``escalate_after_days``, or unexplained for more than
    ``explanation_grace_days`` after the due date)."""
    from rectification.models import TaskStatus, WarningLevel

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
