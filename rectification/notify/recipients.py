"""Who hears about what: the people of a unit, its leaders, its supervisors."""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Q

from campaign.models import Membership, Role, SupervisionGroup
from rectification.models import (
    WarningLevel,
)


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


