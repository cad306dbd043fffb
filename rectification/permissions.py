"""Who may do what to a task. Views ask these; services enforce them too."""

from campaign.models import Membership, Role
from campaign.scoping import can_see_unit, roles_for_unit

EDITORS = {Role.STAFF, Role.ADMIN}


def can_view_task(user, task):
    if can_see_unit(user, task.unit):
        return True
    return any(can_see_unit(user, unit) for unit in task.co_units.all())


def can_edit_task(user, task):
    """Staff of the responsible unit (or above it) edit an open task."""
    return task.is_open and bool(EDITORS & roles_for_unit(user, task.unit))


def can_report_progress(user, task):
    """Staff of the responsible unit or of a co-responsible unit add progress."""
    if not task.is_open:
        return False
    if can_edit_task(user, task):
        return True
    return any(EDITORS & roles_for_unit(user, unit) for unit in task.co_units.all())


def can_supervise(user, task):
    """A supervisor whose scope covers the task's unit."""
    return Role.SUPERVISOR in roles_for_unit(user, task.unit)


def is_of_unit(user, unit):
    return Membership.objects.filter(user=user, unit=unit).exists()


def can_verify(user, task):
    """Close or return a task: a supervisor over it who is not of its own unit."""
    return can_supervise(user, task) and not is_of_unit(user, task.unit)
