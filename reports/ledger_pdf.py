"""The ledger (整改台账) of a scope as a PDF in the office layout: landscape A4, the
header row on every page, rows never split, one problem's cells merged over its
measures (rowspan). Fixed column widths keep the layout fast for thousands of rows."""


from . import ledger
from .numbers import day

HEADERS = ("序号", "问题描述", "整改措施", "责任领导", "责任单位", "责任人", "整改时限", "完成情况", "备注")


def tasks_of(unit, batch, as_of):
    """The tasks of ``unit``'s subtree (and batch), one problem's tasks together."""
    from rectification.models import Task as T

    tasks = T.objects.filter(unit_path__startswith=unit.path, start_date__lte=as_of)
    if batch is not None:
        tasks = tasks.filter(batch=batch)
    return tasks


def rows(tasks):
    """Groups [{problem, rows: [cells]}] in the office order (problem by problem)."""
    from django.db.models import OuterRef, Subquery

    from rectification.models import ProgressUpdate

    latest = ProgressUpdate.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk").values("text")[:1]
    tasks = (
        tasks.select_related("unit", "problem")
        .annotate(latest_progress=Subquery(latest))
        .order_by("problem__unit__path", "problem_id", "due_date", "pk")
    )
    groups = []
    for task in tasks:
        if not groups or groups[-1]["problem"].pk != task.problem_id:
            groups.append({"problem": task.problem, "tasks": []})
        groups[-1]["tasks"].append(
            {
                "measures": task.measures,
                "leader": task.leader_name,
                "unit": task.unit.short_name or task.unit.name,
                "person": task.person_name,
                "due": day(task.due_date),
                "done": ledger.completion(task),
                "remarks": ledger.remarks(task),
            }
        )
    return groups


def context(unit, batch, as_of):
    groups = rows(tasks_of(unit, batch, as_of))
    title = (unit.name) + (batch.name if batch else "") + "整改台账"
    count = sum(len(g["tasks"]) for g in groups)
    return (
        {"title": title, "date": day(as_of), "groups": groups, "headers": HEADERS},
        {"unit": unit.name, "batch": batch.name if batch else None, "as_of": as_of.isoformat(),
         "problems": len(groups), "tasks": count},
    )
