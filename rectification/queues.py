"""What a supervisor must decide or chase, as querysets over their supervision scope.

Who may decide is :mod:`campaign.permissions`' question (``restrict(user,
DECIDE)``: the supervision scope, minus what separation of duties keeps from
the user); these functions only choose the rows of each queue and what the
page shows of them. Lists read the scope's paths once per request and filter
one indexed prefix of ``Task.unit_path``: never a permission call per row.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from campaign import permissions
from campaign.permissions import DECIDE, SUPERVISE

from .models import Evidence, Explanation, ExtensionRequest, Task, Urge, Verification
from .models.decisions import Decision


def is_supervisor(user):
    return permissions.has_any(user, SUPERVISE)


def require_supervisor(user):
    if not is_supervisor(user):
        raise PermissionDenied


def supervised_tasks(user):
    """Tasks whose responsible unit lies in the user's supervision scope."""
    return Task.objects.restrict(user, SUPERVISE)


def _count_of(model, **outer):
    """A correlated COUNT(*) subquery: counts per row without a GROUP BY over every column."""
    rows = model.objects.filter(**{key: OuterRef(value) for key, value in outer.items()}).order_by()
    return Coalesce(Subquery(rows.values(*outer).annotate(n=Count("pk")).values("n")), 0)


def pending_verifications(user, detailed=True):
    """申请销号 the user may decide; ``detailed`` adds what the page shows."""
    rows = Verification.objects.restrict(user, DECIDE).filter(outcome=Verification.Outcome.PENDING)
    if not detailed:
        return rows
    return (
        rows.select_related("task", "task__unit", "requested_by")
        .annotate(evidence_count=_count_of(Evidence, task="task"))
        .order_by("requested_at", "pk")
    )


def pending_extensions(user, detailed=True):
    """延期申请 the user may decide."""
    rows = ExtensionRequest.objects.restrict(user, DECIDE).filter(decision=Decision.PENDING)
    if not detailed:
        return rows
    return rows.select_related("task", "task__unit", "requested_by").order_by("requested_at", "pk")


def unreviewed_explanations(user, detailed=True):
    """Overdue explanations the user may review."""
    rows = Explanation.objects.restrict(user, DECIDE).filter(reviewed_at__isnull=True)
    if not detailed:
        return rows
    return rows.select_related("task", "task__unit", "author").order_by("created_at", "pk")


def unexplained_overdue(user, detailed=True):
    """Overdue tasks in scope that nobody has explained yet, worst and oldest first."""
    rows = supervised_tasks(user).needing_explanation()
    if not detailed:
        return rows
    last_urge = Urge.objects.filter(task=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    return (
        rows.select_related("unit")
        .annotate(last_urged_at=Subquery(last_urge), urge_count=_count_of(Urge, task="pk"))
        .order_by("-warning_level", "due_date", "pk")
    )
