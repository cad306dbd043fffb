"""Who hears about what: the people of a unit, its leaders, its supervisors."""



from campaign import permissions
from campaign.models import Role
from rectification.models import (
    WarningLevel,
)


class Audience:
    """Staff, leaders and supervision groups over a set of units, loaded in a
    few queries, so that choosing recipients for many tasks is no query per task.
    Who holds which role where is read through campaign.permissions.

    "Nearest" walks from a unit up its path to the first unit that has people in
    the role: a community without its own staff is served by its street's.
    """

    def __init__(self, units):
        self._chains = {unit.pk: unit.ancestor_ids() for unit in units}
        self._unit_ids = set().union(*self._chains.values()) if self._chains else set()
        self._people = permissions.people_by_unit(self._unit_ids, (Role.STAFF, Role.LEADER))
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
            self._groups = permissions.groups_by_unit(self._unit_ids)
        users = set()
        for unit_id in self._chains[unit.pk]:
            for group_campaign, people in self._groups.get(unit_id, ()):
                if campaign_id is None or group_campaign == campaign_id:
                    users |= people
        return users


def alert_recipients(audience, alert):
    """Every level → the unit's staff, who finish the task or explain the delay;
    escalated → also the supervising groups, who now follow it (督办). Leaders
    are not asked to explain a unit's task: the overdue and escalated tasks of
    their scope reach them in their daily digest (notify.digests). Nobody for
    an alert gone stale before it was announced (task closed, or due date moved)."""
    task = alert.task
    unit = task.unit
    users = set()
    if not task.is_open or task.due_date != alert.due_date:
        return users
    if alert.level >= WarningLevel.YELLOW:
        users |= audience.staff(unit)
    if alert.level >= WarningLevel.ESCALATED:
        users |= audience.supervisors(unit, task.batch.campaign_id)
    return users



def supervisor_ids():
    """Active users who supervise: by a supervisor membership or a supervision group."""
    return permissions.supervisor_ids()


def leader_ids():
    """Active users who lead a unit."""
    return permissions.leader_ids()
