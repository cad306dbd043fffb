"""What a supervisor must decide, as querysets over their supervision scope.

:func:`rectification.permissions.can_supervise` answers for one task; the
functions here answer the same question for whole lists, with the scope's
paths read once per request and one indexed prefix filter on ``Task.unit_path``
(never a permission call per row).

A user supervises the subtrees of the units where they hold the supervisor
role by membership, and of the units watched by the supervision groups they
belong to or lead. Superusers supervise everything.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import Membership, Role, Unit
from campaign.scoping import EVERYTHING, outermost, paths_q

from .models import Evidence, Explanation, ExtensionRequest, Task, Urge, Verification
from .models.decisions import Decision
from .permissions import can_supervise


def supervision_paths(user):
    """Tree paths whose subtrees ``user`` supervises; ``EVERYTHING`` for superusers.

    One query; cached on the user object for the request.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return EVERYTHING
    cached = getattr(user, "_supervision_paths", False)
    if cached is not False:
        return cached
    paths = Unit.objects.filter(
        Q(memberships__user=user, memberships__role=Role.SUPERVISOR)
        | Q(supervision_groups__members=user)
        | Q(supervision_groups__leader=user)
    ).values_list("path", flat=True)
    user._supervision_paths = outermost(set(paths))
    return user._supervision_paths


def role_paths(user, roles, with_groups=True):
    """Tree paths where ``user`` holds one of ``roles`` by membership (and, with
    ``with_groups``, the units of their supervision groups)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return EVERYTHING
    query = Q(memberships__user=user, memberships__role__in=list(roles))
    if with_groups:
        query |= Q(supervision_groups__members=user) | Q(supervision_groups__leader=user)
    return outermost(set(Unit.objects.filter(query).values_list("path", flat=True)))


def is_supervisor(user):
    paths = supervision_paths(user)
    return paths is EVERYTHING or bool(paths)


def require_supervisor(user):
    if not is_supervisor(user):
        raise PermissionDenied


def supervised_tasks(user):
    """Tasks whose responsible unit lies in the user's supervision scope."""
    return Task.objects.filter(paths_q(supervision_paths(user), "unit_path"))


def own_unit_ids(user):
    """Units the user belongs to: a supervisor may not verify those units' tasks
    (the same rule as :func:`rectification.permissions.can_verify`)."""
    return set(Membership.objects.filter(user=user).values_list("unit_id", flat=True))


def _in_scope(user, prefix="task__"):
    return paths_q(supervision_paths(user), f"{prefix}unit_path")


def _count_of(model, **outer):
    """A correlated COUNT(*) subquery: counts per row without a GROUP BY over every column."""
    rows = model.objects.filter(**{key: OuterRef(value) for key, value in outer.items()}).order_by()
    return Coalesce(Subquery(rows.values(*outer).annotate(n=Count("pk")).values("n")), 0)


def pending_verifications(user, detailed=True):
    """申请销号 waiting for a decision; ``detailed`` adds what the page shows."""
    rows = Verification.objects.filter(_in_scope(user), outcome=Verification.Outcome.PENDING)
    if not detailed:
        return rows
    return (
        rows.select_related("task", "task__unit", "requested_by")
        .annotate(evidence_count=_count_of(Evidence, task="task"))
        .order_by("requested_at", "pk")
    )


def pending_extensions(user, detailed=True):
    rows = ExtensionRequest.objects.filter(_in_scope(user), decision=Decision.PENDING)
    if not detailed:
        return rows
    return rows.select_related("task", "task__unit", "requested_by").order_by("requested_at", "pk")


def unreviewed_explanations(user, detailed=True):
    rows = Explanation.objects.filter(_in_scope(user), reviewed_at__isnull=True)
    if not detailed:
        return rows
    return rows.select_related("task", "task__unit", "author").order_by("created_at", "pk")


def unexplained_overdue(user, detailed=True):
    """Overdue tasks in scope that nobody has explained yet, worst and oldest first."""
    rows = supervised_tasks(user).overdue().filter(explained_at__isnull=True)
    if not detailed:
        return rows
    last_urge = Urge.objects.filter(task=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    return (
        rows.select_related("unit")
        .annotate(last_urged_at=Subquery(last_urge), urge_count=_count_of(Urge, task="pk"))
        .order_by("-warning_level", "due_date", "pk")
    )


def review_explanation(explanation, user, note=""):
    """Mark an overdue explanation as read by a supervisor, once."""
    from .services import TransitionRefused

    if not can_supervise(user, explanation.task):
        raise PermissionDenied
    updated = Explanation.objects.filter(pk=explanation.pk, reviewed_at__isnull=True).update(
        reviewed_by=user, reviewed_at=timezone.now(), review_note=note
    )
    if not updated:
        raise TransitionRefused(_("This explanation has already been reviewed."))

