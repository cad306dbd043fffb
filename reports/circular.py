"""The overdue circular (督办通报): units ranked by their overdue tasks, the worst
named, their oldest overdue tasks with the explanations they gave and the urges
sent; a document number (文号) under the title, ready to print and send."""

from django.db.models import Count, Min, Prefetch

from campaign.models import Unit
from rectification.models import Explanation, Urge

from . import facts as facts_module
from .numbers import count, day

WORST = 3  # units named in the text
TASKS_PER_UNIT = 5


def context(unit, batch, as_of, number=""):
    tasks = facts_module._tasks(unit, batch, as_of)
    overdue = tasks.exclude(facts_module._closed_by(as_of)).filter(due_date__lt=as_of)
    ranking = list(
        overdue.order_by().values("unit_id").annotate(n=Count("pk"), oldest=Min("due_date")).order_by("-n", "oldest", "unit_id")
    )
    units = Unit.objects.in_bulk([row["unit_id"] for row in ranking])
    ranked = [
        {"unit": units[row["unit_id"]], "name": units[row["unit_id"]].short_name or units[row["unit_id"]].name,
         "overdue": row["n"], "oldest": day(row["oldest"]), "days": (as_of - row["oldest"]).days}
        for row in ranking
    ]
    worst = ranked[:WORST]
    details = []
    for row in worst:
        listed = (
            overdue.filter(unit=row["unit"])
            .order_by("due_date", "pk")
            .prefetch_related(
                Prefetch("explanations", queryset=Explanation.objects.order_by("-created_at")),
                Prefetch("urges", queryset=Urge.objects.order_by("-created_at")),
            )[:TASKS_PER_UNIT]
        )
        details.append({
            **row,
            "tasks": [
                {"task": task, "due": day(task.due_date), "days": (as_of - task.due_date).days,
                 "explanations": list(task.explanations.all())[:2], "urges": list(task.urges.all())[:2]}
                for task in listed
            ],
        })
    total = sum(row["overdue"] for row in ranked)
    title = f"关于{unit.short_name or unit.name}超期整改任务的督办通报"
    if ranked:
        names = "、".join(row["name"] for row in worst)
        lead = (
            f"截至{day(as_of)},{unit.short_name or unit.name}共有超期未完成整改任务{count(total)}项,"
            f"涉及{count(len(ranked))}个单位。其中{names}超期任务较多,现予以通报督办。"
        )
    else:
        lead = f"截至{day(as_of)},{unit.short_name or unit.name}没有超期未完成的整改任务。"
    return (
        {"title": title, "number": number, "issuer": unit.name, "date": day(as_of), "lead": lead,
         "ranked": ranked, "details": details},
        {"unit": unit.name, "batch": batch.name if batch else None, "as_of": as_of.isoformat(),
         "overdue": total, "units": len(ranked), "number": number},
    )
