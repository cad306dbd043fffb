"""Who may see and do what: the one place that decides it (DESIGN §8).

A user reaches units in two ways:

- a **membership** (``Membership``) gives a role over a unit's whole subtree:
  staff 填报员, leader 领导, administrator 管理员 or supervisor 督导员;
- a **supervision group** (督导组) the user belongs to or leads supervises the
  subtrees of the units the group watches.

Every question "may this user do ACTION here" is answered from those, read
once per request (:func:`access`), by the table below. A model says where its
rows sit in the tree with a :class:`UnitScope`; its QuerySet (a
:class:`RestrictedQuerySet`) then offers ``restrict(user, action)`` and
``visible_to(user)``, in the spirit of NetBox's ``RestrictedQuerySet``:

==========  ===========================================================  ===========================================
action      who, over the unit of the row (its subtree)                   used for
==========  ===========================================================  ===========================================
VIEW        any membership role, or a supervision group; superusers      seeing anything of the unit
OWN         any membership role (not through a supervision group)        "my units' tasks"
EDIT        staff or administrator; superusers                           problems, tasks, closing and extension
                                                                         requests, ledger import
REPORT      EDIT over the unit or over a co-responsible unit             progress, explanations, coordination
EXPLAIN     staff of the task's own unit                                 the demand to explain overdue tasks
SUPERVISE   supervisor (membership or group)                             the queue, urging (催办), digests
DECIDE      SUPERVISE, with separation of duties (below)                 closing (销号) and returning (退回),
                                                                         extensions, explanation reviews,
                                                                         spot-check findings, accountability
OVERSEE     supervisor, administrator or leader; superusers              reading accountability records
ADMINISTER  administrator; superusers                                    unit import, warning policies
OPERATE     superusers, and administrators of a top-level unit           the operations page and the sweep
REVIEW      staff, administrator or leader of a unit ABOVE the row's     reviewing a unit's rectification plan (审核)
            unit, with separation of duties (below)
INSTRUCT    leader                                                       a leader's instruction (领导批示) on a unit
                                                                         or a task (issue 11)
==========  ===========================================================  ===========================================

The public's side (public/) asks the same table: the opinions queue is EDIT
over the opinion's unit (its staff, and those of the units above it), opening
a satisfaction survey round is SUPERVISE over every unit rated, marking a task
for the public results board is ADMINISTER over its unit. The contact details
the public leaves are read only by the staff and administrators *of the unit
concerned itself* (:func:`sees_contact_details`), never by the units above it.

**Review of a plan** (REVIEW): the reviewer holds a role in a unit above the
plan's unit, none in the plan's unit itself, did not submit the plan, and
shares no unit with whoever submitted it.

**Separation of duties** (every DECIDE): the decider is never the person who
asked; holds no staff or administrator role over the task's unit or any unit
above it; holds no role at all in the task's own unit; and shares no unit
with the person who asked (a colleague does not approve a colleague's
request). A superuser administers, but decides only as a supervisor who
passes the same rule: superusers get no supervision from being superusers.
:func:`refusal` says in the user's language why a decision is not theirs.

Coordination threads (需上级部门协调) have two sides: :func:`coordination_side`
says for which one a user may speak.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q
from django.utils.translation import gettext as _

VIEW = "view"
OWN = "own"
EDIT = "edit"
REPORT = "report"
EXPLAIN = "explain"
SUPERVISE = "supervise"
DECIDE = "decide"
OVERSEE = "oversee"
ADMINISTER = "administer"
OPERATE = "operate"
REVIEW = "review"
INSTRUCT = "instruct"
ACTIONS = (VIEW, OWN, EDIT, REPORT, EXPLAIN, SUPERVISE, DECIDE, OVERSEE, ADMINISTER, OPERATE, REVIEW, INSTRUCT)

# Roles (campaign.models.Role values) that grant each action through a membership.
STAFF, LEADER, ADMIN, SUPERVISOR = "staff", "leader", "admin", "supervisor"
ALL_ROLES = (STAFF, LEADER, ADMIN, SUPERVISOR)
ROLES = {
    VIEW: ALL_ROLES,
    OWN: ALL_ROLES,
    EDIT: (STAFF, ADMIN),
    REPORT: (STAFF, ADMIN),
    EXPLAIN: (STAFF,),
    SUPERVISE: (SUPERVISOR,),
    DECIDE: (SUPERVISOR,),
    OVERSEE: (SUPERVISOR, ADMIN, LEADER),
    ADMINISTER: (ADMIN,),
    REVIEW: (STAFF, ADMIN, LEADER),
    INSTRUCT: (LEADER,),
}
# Actions that supervision groups grant, besides memberships.
THROUGH_GROUPS = {VIEW, SUPERVISE, DECIDE, OVERSEE}
# Actions a superuser holds everywhere by being one.
SUPERUSER_ACTIONS = {VIEW, EDIT, REPORT, OVERSEE, ADMINISTER, OPERATE}

EVERYTHING = None  # "every path": what a superuser's paths are for SUPERUSER_ACTIONS


def _model(name):
    return apps.get_model("campaign", name)


# --- paths ------------------------------------------------------------------------


def outermost(paths):
    """Drop paths that lie inside another path of the set."""
    kept = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept


def paths_q(paths, field):
    """Rows whose ``field`` (a tree path) lies under one of ``paths``.

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


def under(path, paths):
    """Whether ``path`` lies under one of ``paths`` (``EVERYTHING``: always)."""
    if paths is EVERYTHING:
        return True
    return any(path.startswith(outer) for outer in paths)


def ancestor_ids(path):
    """Unit ids from the root down to the unit of ``path``, read off the path."""
    return [int(part) for part in path.strip("/").split("/") if part]


# --- what one user holds ---------------------------------------------------------------


class Access:
    """A user's memberships and supervision groups, read in two queries, and the
    paths each action reaches. Made once per request by :func:`access`."""

    def __init__(self, user):
        self.user = user
        self.active = bool(getattr(user, "is_authenticated", False) and user.is_active)
        self.superuser = self.active and user.is_superuser
        self.memberships = []  # (unit id, unit path, role)
        self.group_paths = []  # paths of the units the user's supervision groups watch
        self.group_ids = set()
        if self.active:
            self.memberships = list(
                _model("Membership").objects.filter(user=user).values_list("unit_id", "unit__path", "role")
            )
            groups = (
                _model("SupervisionGroup")
                .objects.filter(Q(members=user) | Q(leader=user))
                .values_list("pk", "units__path")
                .distinct()
            )
            for group_id, path in groups:
                self.group_ids.add(group_id)
                if path:
                    self.group_paths.append(path)
        self._paths = {}
        self._colleagues = {}

    # paths per action

    def paths(self, action):
        """Paths under which the user may do ``action``; ``EVERYTHING`` for a superuser's own actions."""
        if action not in self._paths:
            self._paths[action] = self._compute(action)
        return self._paths[action]

    def _compute(self, action):
        if not self.active:
            return []
        if self.superuser and action in SUPERUSER_ACTIONS:
            return EVERYTHING
        if action == OPERATE:
            return EVERYTHING if self.operates() else []
        if action == REPORT:
            return self.paths(EDIT)
        roles = ROLES[action]
        found = [path for _unit_id, path, role in self.memberships if role in roles]
        if action in THROUGH_GROUPS:
            found += self.group_paths
        return outermost(found)

    def role_paths(self, *roles):
        """Paths of the user's memberships in ``roles`` (not outermost-reduced: each unit)."""
        return [path for _unit_id, path, role in self.memberships if role in roles]

    @property
    def member_unit_ids(self):
        return {unit_id for unit_id, _path, _role in self.memberships}

    def roles_over(self, path):
        """Membership roles the user holds over the unit at ``path`` (at it or above it)."""
        return {role for _unit_id, member_path, role in self.memberships if path.startswith(member_path)}

    def supervises(self):
        """Whether the user supervises anything (the supervisors' pages belong in their menu)."""
        return bool(self.paths(SUPERVISE))

    def operates(self):
        """Superusers and administrators of a top-level unit run the whole installation's jobs."""
        if self.superuser:
            return True
        return any(role == ADMIN and path.count("/") == 2 for _unit_id, path, role in self.memberships)

    def administers(self):
        paths = self.paths(ADMINISTER)
        return paths is EVERYTHING or bool(paths)

    def colleague_ids(self, roles=(STAFF, ADMIN)):
        """Users holding one of ``roles`` in a unit where this user holds any role (one query)."""
        key = tuple(roles)
        if key not in self._colleagues:
            self._colleagues[key] = set(
                _model("Membership")
                .objects.filter(unit_id__in=self.member_unit_ids, role__in=roles)
                .exclude(user=self.user)
                .values_list("user_id", flat=True)
            ) if self.member_unit_ids else set()
        return self._colleagues[key]

    def shared_unit_with(self, other_user_id):
        """A unit where both hold a role, the other as staff or administrator; None if none (one query)."""
        if not other_user_id or not self.member_unit_ids:
            return None
        return (
            _model("Unit")
            .objects.filter(
                pk__in=self.member_unit_ids, memberships__user_id=other_user_id, memberships__role__in=(STAFF, ADMIN)
            )
            .order_by("-depth")
            .first()
        )


def access(user):
    """The user's :class:`Access`, cached on the user object for the request."""
    cached = getattr(user, "_access", None)
    if cached is None:
        cached = Access(user)
        try:
            user._access = cached
        except AttributeError:  # AnonymousUser allows it too; be safe for other objects
            pass
    return cached


def forget(user):
    """Drop the cached access (after the user's memberships changed in this request)."""
    if hasattr(user, "_access"):
        del user._access


# --- where a model's rows sit in the tree ----------------------------------------------


@dataclass(frozen=True)
class UnitScope:
    """Where the rows of a model sit in the unit tree, for :class:`RestrictedQuerySet`.

    ``path``: the lookup of the row's unit path (``"unit_path"``, ``"unit__path"``,
    ``"task__unit_path"``). ``co_units``: for rows that co-responsible units share,
    the lookup of the m2m of those units (``"co_units"``, ``"task__co_units"``).
    ``also_visible``: further path lookups that let users *see* the row
    (a problem's root unit, the department asked for coordination).
    ``unit``: the lookup of the row's unit (for "a role in the unit itself").
    ``requester``: the field of the user who asked for what is decided.
    ``author``: a field whose user always sees the row (who asked coordination).
    ``seen_from_below``: the lookup of a unit id whose rows are also seen by the
    users of the units below it (a campaign issued by the city).
    ``seen_through``: a reverse relation whose visible rows make this row visible
    too (a problem is seen by whoever sees one of its tasks).
    """

    path: str
    co_units: str | None = None
    also_visible: tuple = ()
    unit: str | None = None
    requester: str | None = None
    author: str | None = None
    seen_from_below: str | None = None
    seen_through: str | None = None


class _EqualsAny(Expression):
    """``lhs = ANY(array)`` (PostgreSQL), with the array an ``ArraySubquery``."""

    output_field = BooleanField()

    def __init__(self, lhs, array):
        super().__init__()
        self.lhs, self.array = lhs, array

    def get_source_expressions(self):
        return [self.lhs, self.array]

    def set_source_expressions(self, expressions):
        self.lhs, self.array = expressions

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        array, array_params = compiler.compile(self.array)
        return f"{lhs} = ANY({array})", [*lhs_params, *array_params]


def _co_units_q(queryset, scope, paths):
    """Rows with a co-responsible unit under ``paths``: one EXISTS, never a join that doubles rows."""
    if not scope.co_units or not paths:
        return Q(pk__in=[])
    if paths is EVERYTHING:
        return Q(pk__isnull=False)
    *through, m2m = scope.co_units.split("__")
    model = queryset.model
    for name in through:
        model = model._meta.get_field(name).related_model
    outer = "__".join([*through, "pk"]) if through else "pk"
    if connection.vendor == "postgresql":
        # ``pk = ANY(ARRAY(SELECT …))``: the ids are read once (an InitPlan), and the
        # planner can OR an index scan on them with one on the path. An EXISTS OR-ed
        # with the path filter would be a subplan run for every row of a full scan.
        # Only rows outside ``paths`` are listed: the path filter finds the others.
        field = model._meta.get_field(m2m)
        links = field.remote_field.through.objects.filter(
            paths_q(paths, f"{field.m2m_reverse_field_name()}__path")
        ).exclude(paths_q(paths, f"{field.m2m_field_name()}__{model.unit_scope.path}"))
        return Q(_EqualsAny(F(outer), ArraySubquery(links.values(field.m2m_field_name()))))
    related_query_name = model._meta.get_field(m2m).related_query_name()
    units = _model("Unit").objects.filter(paths_q(paths, "path"), **{related_query_name: OuterRef(outer)})
    return Q(Exists(units))


def restrict(queryset, user, action):
    """The rows of ``queryset`` on which ``user`` may do ``action``."""
    scope = queryset.model.unit_scope
    me = access(user)
    if not me.active:
        return queryset.none()
    if action == OPERATE:
        return queryset if me.operates() else queryset.none()
    paths = me.paths(EDIT if action == REPORT else action)
    if paths is EVERYTHING:
        queryset = queryset.all()
    else:
        query = paths_q(paths, scope.path)
        if action in (VIEW, OWN, REPORT):
            query |= _co_units_q(queryset, scope, paths)
        if action == VIEW:
            for lookup in scope.also_visible:
                query |= paths_q(paths, lookup)
            if scope.author:
                query |= Q(**{scope.author: user})
            if scope.seen_from_below:
                above = {unit_id for path in paths for unit_id in ancestor_ids(path)}
                query |= Q(**{f"{scope.seen_from_below}__in": above})
            if scope.seen_through:
                relation = queryset.model._meta.get_field(scope.seen_through)
                related = relation.related_model.objects.visible_to(user)
                query |= Q(Exists(related.filter(**{relation.field.name: OuterRef("pk")})))
        queryset = queryset.filter(query)
    if action == DECIDE:
        queryset = _separation_of_duties(queryset, scope, me)
    if action == REVIEW:
        queryset = _review_separation(queryset, scope, me)
    return queryset


def _review_separation(queryset, scope, me):
    """A plan is reviewed from above: not by a member of its own unit, nor by who submitted it or a colleague."""
    if scope.unit and me.member_unit_ids:
        queryset = queryset.exclude(**{f"{scope.unit}__in": me.member_unit_ids})
    if scope.requester:
        queryset = queryset.exclude(**{scope.requester: me.user})
        colleagues = me.colleague_ids(ALL_ROLES)
        if colleagues:
            queryset = queryset.exclude(**{f"{scope.requester}__in": colleagues})
    return queryset


def _separation_of_duties(queryset, scope, me):
    """Drop the rows whose decision is not the user's to take (see the module's rule)."""
    ledger_keeper = outermost(me.role_paths(STAFF, ADMIN))
    if ledger_keeper:
        queryset = queryset.exclude(paths_q(ledger_keeper, scope.path))
    if scope.unit and me.member_unit_ids:
        queryset = queryset.exclude(**{f"{scope.unit}__in": me.member_unit_ids})
    if scope.requester:
        queryset = queryset.exclude(**{scope.requester: me.user})
        colleagues = me.colleague_ids()
        if colleagues:
            queryset = queryset.exclude(**{f"{scope.requester}__in": colleagues})
    return queryset


class RestrictedQuerySet(models.QuerySet):
    """``restrict(user, action)`` and ``visible_to(user)`` for a model with a ``unit_scope``."""

    def restrict(self, user, action=VIEW):
        return restrict(self, user, action)

    def visible_to(self, user):
        return self.restrict(user, VIEW)

    def within(self, unit):
        """The rows of ``unit``'s subtree (a scope the user chose, inside what they may see)."""
        return self.filter(**{f"{self.model.unit_scope.path}__startswith": unit.path})


def outermost_unit_ids(user, action=VIEW):
    """Ids of the outermost units under which the user may do ``action``: the roots of
    their scope, whose roll-ups add up to it (every root unit for a superuser's own actions)."""
    paths = access(user).paths(EDIT if action == REPORT else action)
    if paths is EVERYTHING:
        return list(_model("Unit").objects.filter(parent__isnull=True).values_list("pk", flat=True))
    return [ancestor_ids(path)[-1] for path in paths]


def beyond_own_subtrees(queryset, user, action=VIEW):
    """The rows of ``queryset`` the user may ``action`` only through a co-responsible unit
    (outside the subtrees of their own units and groups): the lists add these to roll-up counts."""
    me = access(user)
    paths = me.paths(EDIT if action == REPORT else action)
    scope = queryset.model.unit_scope
    if not me.active or paths is EVERYTHING or not paths or action not in (VIEW, OWN, REPORT) or not scope.co_units:
        return queryset.none()
    # Only the co-responsible arm of restrict(): on PostgreSQL an id list of the rows
    # outside ``paths``, found through the link table, never a scan of the whole table.
    return queryset.filter(_co_units_q(queryset, scope, paths)).exclude(paths_q(paths, scope.path))


# --- one object ----------------------------------------------------------------------------


def _follow(obj, lookup):
    """The value at the end of a ``__`` lookup on an instance (``task__unit_path``)."""
    value = obj
    for name in lookup.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def _co_unit_paths(obj, scope):
    if not scope.co_units:
        return []
    manager = _follow(obj, scope.co_units)
    return [unit.path for unit in manager.all()] if manager is not None else []


def may(user, action, obj, *, requested_by=None):
    """Whether ``user`` may do ``action`` on ``obj`` (an instance of a scoped model)."""
    return refusal(user, action, obj, requested_by=requested_by) is None


def refusal(user, action, obj, *, requested_by=None):
    """Why ``user`` may not do ``action`` on ``obj``, in the user's language; None when they may.

    ``requested_by`` names who asked for what is decided (a user or an id) when
    ``obj`` is the task and not the request itself.
    """
    scope = type(obj).unit_scope
    me = access(user)
    if not me.active:
        return _("Log in first.")
    if action == OPERATE:
        return None if me.operates() else _("Only the administrators of the whole tree run its background jobs.")
    path = _follow(obj, scope.path)
    base = EDIT if action == REPORT else action
    paths = me.paths(base)
    allowed = under(path, paths)
    if not allowed and action in (VIEW, OWN, REPORT):
        allowed = any(under(co_path, paths) for co_path in _co_unit_paths(obj, scope))
    if not allowed and action == VIEW:
        allowed = any(
            (value := _follow(obj, lookup)) is not None and under(value, paths) for lookup in scope.also_visible
        ) or bool(scope.author and _follow(obj, f"{scope.author}_id") == getattr(user, "pk", None))
        if not allowed and scope.seen_from_below and paths is not EVERYTHING:
            unit_id = _follow(obj, scope.seen_from_below)
            allowed = any(unit_id in ancestor_ids(outer) for outer in paths)
        if not allowed and scope.seen_through:
            allowed = getattr(obj, scope.seen_through).visible_to(user).exists()
    if not allowed:
        return _not_allowed_message(action, me)
    if action == DECIDE:
        if requested_by is None and scope.requester:
            requested_by = _follow(obj, f"{scope.requester}_id")
        unit_id = _follow(obj, scope.unit) if scope.unit else None
        return decision_refusal(user, path, unit_id=unit_id, requested_by=requested_by)
    if action == REVIEW:
        if requested_by is None and scope.requester:
            requested_by = _follow(obj, f"{scope.requester}_id")
        return _review_refusal(me, _follow(obj, scope.unit) if scope.unit else None, requested_by)
    return None


def _review_refusal(me, unit_id, requested_by):
    requester_id = getattr(requested_by, "pk", requested_by)
    if unit_id is not None and unit_id in me.member_unit_ids:
        return _("You belong to this plan's unit: the unit above it reviews the plan.")
    if requester_id is not None and requester_id == me.user.pk:
        return _("You submitted this plan yourself: someone else of the unit above must review it.")
    if requester_id is not None and requester_id in me.colleague_ids(ALL_ROLES):
        return _("You work in the same unit as the person who submitted this plan: someone else must review it.")
    return None


def _not_allowed_message(action, me):
    if action in (SUPERVISE, DECIDE):
        if me.superuser:
            return _("Administrators do not decide on tasks: a supervisor over the unit does.")
        return _("You do not supervise this unit's work.")
    if action in (EDIT, REPORT, EXPLAIN):
        return _("Only the office staff of this unit (or of a unit above it) may do this.")
    if action == ADMINISTER:
        return _("Only an administrator of this unit or of a unit above it may do this.")
    if action == REVIEW:
        return _("Only the unit above this plan's unit reviews it.")
    if action == INSTRUCT:
        return _("Only a leader of this unit or of a unit above it writes instructions on it.")
    return _("You may not see this.")


def decision_refusal(user, path, *, unit_id=None, requested_by=None):
    """Why ``user`` may not decide on a task at ``path`` asked for by ``requested_by``;
    None when the decision is theirs (they supervise it and separation of duties holds)."""
    me = access(user)
    if not under(path, me.paths(DECIDE)):
        return _not_allowed_message(DECIDE, me)
    requester_id = getattr(requested_by, "pk", requested_by)
    if requester_id is not None and requester_id == user.pk:
        return _("You asked for this yourself: another supervisor must decide.")
    if {STAFF, ADMIN} & me.roles_over(path):
        return _(
            "You keep the ledger of this task's unit or of a unit above it: a supervisor from outside must decide."
        )
    if unit_id is not None and unit_id in me.member_unit_ids:
        return _("You belong to this task's unit: a supervisor from outside it must decide.")
    if requester_id is not None and requester_id in me.colleague_ids():
        shared = me.shared_unit_with(requester_id)
        name = shared.display_name if shared is not None else ""
        return _("You work in %(unit)s, like the person who asked: someone from outside it must decide.") % {
            "unit": name
        }
    return None


class Refused(PermissionDenied):
    """A step the user may not take, with the reason in the user's language."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def require(user, action, obj, *, requested_by=None):
    """Raise :class:`Refused` (a ``PermissionDenied``) with the reason when ``user`` may not."""
    reason = refusal(user, action, obj, requested_by=requested_by)
    if reason is not None:
        raise Refused(reason)


# --- questions about users, not objects ----------------------------------------------------


def has_any(user, action):
    """Whether ``user`` may do ``action`` anywhere (a menu entry, a page's button)."""
    me = access(user)
    if action == OPERATE:
        return me.operates()
    paths = me.paths(EDIT if action == REPORT else action)
    return paths is EVERYTHING or bool(paths)


def require_any(user, action):
    """Raise :class:`Refused`, with the reason, unless ``user`` may do ``action`` somewhere."""
    if has_any(user, action):
        return
    me = access(user)
    if action == OPERATE:
        raise Refused(_("Only the administrators of the whole tree run its background jobs."))
    raise Refused(_not_allowed_message(action, me))


def sees_contact_details(user, obj):
    """Whether ``user`` may read the contact details the public left on ``obj`` (an opinion):
    staff or administrators of the unit concerned itself, and nobody else (not the units
    above it, not superusers: DESIGN §8)."""
    me = access(user)
    if not me.active:
        return False
    unit_id = _follow(obj, type(obj).unit_scope.unit)
    return any(member_unit == unit_id and role in (STAFF, ADMIN) for member_unit, _path, role in me.memberships)


def contact_unit_ids(user):
    """Ids of the units whose public contact details ``user`` reads (see :func:`sees_contact_details`)."""
    me = access(user)
    return {unit_id for unit_id, _path, role in me.memberships if role in (STAFF, ADMIN)}


# --- accounts: whom an administrator manages --------------------------------------------------


def managed_people(user):
    """Accounts with a membership in a unit ``user`` administers (everyone, for a superuser)."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.all()
    paths = access(user).paths(ADMINISTER)
    if paths is EVERYTHING:
        return people
    return people.filter(pk__in=_model("Membership").objects.filter(paths_q(paths, "unit__path")).values("user_id"))


def manageable_person_ids(user, people):
    """The ids among ``people`` whose password ``user`` may reset, whom they may deactivate or unlock.

    Only when every unit the person belongs to lies in what ``user`` administers:
    a district administrator does not reset the password of a city leader who also
    sits in the district. Nobody manages themselves (their own password has its own
    page), and only a superuser manages a superuser or someone without any unit.
    Two queries at most."""
    people = [person for person in people if person.pk != getattr(user, "pk", None)]
    paths = access(user).paths(ADMINISTER)
    if paths is EVERYTHING:
        return {person.pk for person in people}
    if not paths:
        return set()
    unit_paths = {}
    rows = _model("Membership").objects.filter(user__in=people).values_list("user_id", "unit__path")
    for user_id, path in rows:
        unit_paths.setdefault(user_id, []).append(path)
    return {
        person.pk
        for person in people
        if not person.is_superuser
        and unit_paths.get(person.pk)
        and all(under(path, paths) for path in unit_paths[person.pk])
    }


def may_manage_person(user, person):
    return person.pk in manageable_person_ids(user, [person])


def may_add_top_level_unit(user):
    """A new root of the tree (a province, a city) is set up by a superuser only."""
    return access(user).superuser


def units(user, action=VIEW):
    """The units where ``user`` may do ``action``: ``Unit.objects.restrict(user, action)``."""
    return _model("Unit").objects.restrict(user, action)


def recording_groups(user):
    """Supervision groups for which ``user`` records spot checks: the groups they
    belong to or lead, and, for a supervisor by membership, the groups watching
    a unit inside that supervision (one query)."""
    me = access(user)
    group_model = _model("SupervisionGroup")
    if not me.active:
        return group_model.objects.none()
    query = Q(pk__in=me.group_ids)
    member_paths = outermost(me.role_paths(SUPERVISOR))
    if member_paths:
        query |= paths_q(member_paths, "units__path")
    return group_model.objects.filter(pk__in=group_model.objects.filter(query).values("pk"))


def people_by_unit(unit_ids, roles):
    """{(unit id, role): {user ids}} of the active users holding ``roles`` in ``unit_ids`` (one query)."""
    found = {}
    rows = _model("Membership").objects.filter(unit_id__in=unit_ids, role__in=roles, user__is_active=True)
    for unit_id, role, user_id in rows.values_list("unit_id", "role", "user_id"):
        found.setdefault((unit_id, role), set()).add(user_id)
    return found


def groups_by_unit(unit_ids):
    """{unit id: [(campaign id, {member and leader user ids})]} of the supervision groups
    watching ``unit_ids`` (two queries)."""
    group_model = _model("SupervisionGroup")
    links = list(
        group_model.units.through.objects.filter(unit_id__in=unit_ids).values_list(
            "unit_id", "supervisiongroup_id", "supervisiongroup__campaign_id", "supervisiongroup__leader_id"
        )
    )
    people = {}
    for _unit_id, group_id, _campaign_id, leader_id in links:
        people.setdefault(group_id, set())
        if leader_id:
            people[group_id].add(leader_id)
    members = group_model.members.through.objects.filter(supervisiongroup_id__in=people).values_list(
        "supervisiongroup_id", "user_id"
    )
    for group_id, user_id in members:
        people[group_id].add(user_id)
    found = {}
    for unit_id, group_id, campaign_id, _leader_id in links:
        found.setdefault(unit_id, []).append((campaign_id, people[group_id]))
    return found


def supervisor_ids():
    """Active users who supervise: by a supervisor membership or a supervision group (one query)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    return set(
        users.filter(
            Q(memberships__role=SUPERVISOR) | Q(supervision_groups__isnull=False) | Q(led_supervision_groups__isnull=False)
        ).values_list("pk", flat=True)
    )


def leader_ids():
    """Active users who lead a unit (a leader membership): they read figures, and get a daily digest (one query)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True, memberships__role=LEADER)
    return set(users.values_list("pk", flat=True))


# --- coordination threads ------------------------------------------------------------------


def coordination_side(user, request):
    """The unit ``user`` speaks for in a coordination thread, or None.

    The department asked (``to_unit``) is spoken for by its own members (any
    role) and by the staff and administrators of the units above it; the
    asking unit (``from_unit``) by the staff and administrators of it and of
    the units above it, and by whoever asked. Someone who may speak for both
    speaks for the one they belong to most closely (the department asked on a
    tie). A superuser speaks for neither side: replies are the units' own.
    """
    me = access(user)
    if not me.active:
        return None
    asked, asking = request.to_unit, request.from_unit
    for_asked = asked.pk in me.member_unit_ids or bool({STAFF, ADMIN} & me.roles_over(asked.path))
    for_asking = bool({STAFF, ADMIN} & me.roles_over(asking.path)) or request.created_by_id == user.pk
    if for_asked and for_asking:
        return asked if _closeness(me, asked) >= _closeness(me, asking) else asking
    if for_asked:
        return asked
    if for_asking:
        return asking
    return None


def _closeness(me, unit):
    """How deep the user's closest membership over ``unit`` sits (deeper is closer)."""
    return max((path.count("/") for _unit_id, path, _role in me.memberships if unit.path.startswith(path)), default=0)


# --- background exports: the requester's own ---------------------------------------------------


def export_jobs(user):
    """The background exports ``user`` may follow and download: the ones they asked for.

    An export holds what its requester may see, so nobody else reads it, a superuser
    included (another user's job is "not found")."""
    jobs = _model("ExportJob").objects.all()
    if not user.is_authenticated or not user.is_active:
        return jobs.none()
    return jobs.filter(created_by=user)


def own_import_runs(user, runs):
    """Of ``runs`` (a queryset of background imports, campaign.models.ImportRun), the ones
    ``user`` may follow: the ones they uploaded. A run lists problems in what its uploader
    may see, so nobody else reads it, a superuser included (another's run is "not found")."""
    if not user.is_authenticated or not user.is_active:
        return runs.none()
    return runs.filter(created_by=user)


def unit_import_runs(user):
    """The background unit imports ``user`` may follow: the ones they uploaded, while they
    still administer units."""
    runs = _model("UnitImportRun").objects.all()
    if not user.is_authenticated or not user.is_active or not has_any(user, ADMINISTER):
        return runs.none()
    return runs.filter(created_by=user)
