"""The public results board (公开栏): the tasks the campaign office marks public, by district."""

from django.db import transaction
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import Unit
from campaign.permissions import ADMINISTER
from rectification.models import Task

from .models import PublicTask


def mark(task, user, public=True):
    """Show ``task`` on the board (or take it off): administrators over its unit, i.e. the office."""
    permissions.require(user, ADMINISTER, task)
    with transaction.atomic():
        if public:
            PublicTask.objects.get_or_create(task=task, defaults={"marked_by": user})
        else:
            PublicTask.objects.filter(task=task).delete()


def board(campaign):
    """[(district name, [task rows])] of the campaign's public tasks; rows carry no person's name."""
    root = campaign.issuing_unit
    tasks = (
        Task.objects.filter(public_entry__isnull=False, batch__campaign=campaign)
        .select_related("unit")
        .order_by("unit_path", "due_date", "pk")
    )
    rows = list(tasks.values("pk", "title", "measures", "progress", "status", "due_date", "unit_path", "unit__name"))
    # the district (first level below the issuing unit) of each task, read off the path
    depth = root.path.count("/") - 1
    district_ids = set()
    for row in rows:
        parts = row["unit_path"].strip("/").split("/")
        row["district_id"] = int(parts[depth]) if len(parts) > depth else int(parts[-1])
        district_ids.add(row["district_id"])
        row["status_label"] = Task(status=row["status"]).get_status_display()
    names = dict(Unit.objects.filter(pk__in=district_ids).values_list("pk", "name"))
    grouped = {}
    for row in rows:
        grouped.setdefault(row["district_id"], []).append(row)
    ordered = sorted(grouped.items(), key=lambda item: item[1][0]["unit_path"])
    return [(names.get(district_id, _("Other")), items) for district_id, items in ordered]


def markable_tasks(user, campaign):
    """Tasks of the campaign the user may put on the board, with whether they are on it."""
    return (
        Task.objects.restrict(user, ADMINISTER)
        .filter(batch__campaign=campaign, parent__isnull=True)
        .select_related("unit", "public_entry")
        .order_by("unit_path", "due_date", "pk")
    )
