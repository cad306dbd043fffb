"""What a user may see: the one place that decides it.

A user sees the subtrees of the units they belong to (any role), and a
supervisor also the subtrees of the units their supervision groups watch.
Superusers see everything. Every query that lists or fetches units, or
anything that belongs to a unit, filters through :func:`unit_q`.
"""

from django.db.models import Q

EVERYTHING = None


def scope_paths(user):
    """Tree paths whose subtrees ``user`` may see; ``EVERYTHING`` for superusers.

    The result is cached on the user object for the request.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return EVERYTHING
    cached = getattr(user, "_scope_paths", False)
    if cached is not False:
        return cached
    from campaign.models import Membership, Unit

    member_paths = Membership.objects.filter(user=user).values_list("unit__path", flat=True)
    group_paths = Unit.objects.filter(
        Q(supervision_groups__members=user) | Q(supervision_groups__leader=user)
    ).values_list("path", flat=True)
    paths = outermost(set(member_paths) | set(group_paths))
    user._scope_paths = paths
    return paths


def outermost(paths):
    """Drop paths that lie inside another path of the set."""
    kept = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept


def unit_q(user, prefix=""):
    """A filter for rows whose unit (reached through ``prefix``) ``user`` may see.

    ``unit_q(user)`` filters units; ``unit_q(user, "unit__")`` filters rows
    with a ``unit`` foreign key; tables that copy a unit's path (a task's
    ``unit_path``) pass ``"unit_"``.
    """
    return paths_q(scope_paths(user), f"{prefix}path")


def paths_q(paths, field):
    """A filter for rows whose ``field`` (a tree path) lies under one of ``paths``.

    ``EVERYTHING`` gives an always-true filter (an empty ``Q()`` would vanish
    when OR-ed with another filter); no paths give an always-false one.
    """
    if paths is EVERYTHING:
        return Q(pk__isnull=False)
    if not paths:
        return Q(pk__in=[])
    query = Q()
    for path in paths:
        query |= Q(**{f"{field}__startswith": path})
    return query


def can_see_unit(user, unit):
    paths = scope_paths(user)
    if paths is EVERYTHING:
        return True
    return any(unit.path.startswith(path) for path in paths)


def roles_for_unit(user, unit):
    """Roles ``user`` holds over ``unit``: through a membership of the unit or an
    ancestor, and "supervisor" through a supervision group watching it."""
    from campaign.models import Membership, Role, SupervisionGroup

    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(Role.values)
    ancestor_ids = unit.ancestor_ids()
    roles = set(
        Membership.objects.filter(user=user, unit_id__in=ancestor_ids).values_list("role", flat=True)
    )
    if SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user), units__in=ancestor_ids).exists():
        roles.add(Role.SUPERVISOR)
    return roles


def user_roles(user):
    """Every role the user holds anywhere."""
    from campaign.models import Membership, Role

    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(Role.values)
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if user.supervision_groups.exists() or user.led_supervision_groups.exists():
        roles.add(Role.SUPERVISOR)
    return roles


def is_administrator(user):
    from campaign.models import Role

    return Role.ADMIN in user_roles(user)
