"""The facts of a report: every figure of a scope (a unit's subtree), a batch (or all)
and an as-of date, read from the data (issue 12, shared/REPORT-SAMPLE.md).

:func:`facts` returns a :class:`Facts`: a dict of figures by name, each a number,
or ``None`` when nothing behind it was entered (no indicator value, no survey, no
participation figures): such a figure is never printed as 0 or blank, its
sentence is left out and it is listed on the check page (:attr:`Facts.missing`).

Tasks count as they stood on the as-of date: those started by then; closed if
closed by then; overdue if open then and past their due date. Participation and
indicators are the roll-ups (campaign.rollups); they have no date. The warning
level 督办 is the stored one (today's): for an earlier date, tasks overdue by more
than 30 days then count as escalated.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign import rollups as campaign_rollups
from campaign.models import Batch, Campaign, SupervisionGroup, Unit
from public.models.surveys import SurveyTarget
from rectification.models import (
    AccountabilityRecord,
    CoordinationRequest,
    Explanation,
    ExtensionRequest,
    Problem,
    SpotCheck,
    Task,
    TaskStatus,
    Urge,
    WarningLevel,
)
from rectification.models.decisions import Decision

ESCALATION_DAYS = 30
SATISFIED_THRESHOLD = Decimal("90")
# Indicators the summary quotes, by code (demo/data/campaign.yaml; an office adds its own).
INDICATOR_CODES = ("funds", "venues", "instructors", "liaisons", "counsellors", "applications", "new_members")

# What each figure is, for the check page (a figure that is None is listed with its label).
LABELS = {
    "makeup": _("Members in make-up classes (补课)"),
    "transformed": _("Members educated and transformed (教育转化)"),
    "handled": _("Members handled organisationally (组织处理)"),
    "funds": _("Party-building funds (万元)"),
    "venues": _("Investment in activity venues (万元)"),
    "instructors": _("Party-building instructors sent"),
    "liaisons": _("Party-building liaisons sent"),
    "counsellors": _("Campaign counsellors sent"),
    "applications": _("Applications to join the Party"),
    "new_members": _("New Party members"),
    "rate_closed": _("Completion rate"),
    "rate_on_time": _("On-time rate"),
    "avg_coordination_days": _("Average days to resolve a coordination request"),
    "survey": _("Satisfaction survey results"),
}


@dataclass
class Facts:
    unit: Unit
    campaign: Campaign | None
    batch: Batch | None
    as_of: datetime.date
    values: dict = field(default_factory=dict)
    districts: list = field(default_factory=list)  # rows of the completion table, one per child unit
    overdue: list = field(default_factory=list)  # the oldest overdue tasks (appendix 2)
    surveys: list = field(default_factory=list)  # rated units (appendix 3)
    batches: list = field(default_factory=list)  # completion by batch (a report of all batches)
    closed_by_week: list = field(default_factory=list)  # (date, tasks closed by then), for the chart

    def __getitem__(self, name):
        return self.values[name]

    def get(self, name, default=None):
        return self.values.get(name, default)

    @property
    def missing(self):
        """[(name, label)] of the figures without data, in LABELS' order."""
        return [(name, LABELS[name]) for name in LABELS if self.values.get(name, 0) is None]

    def as_json(self):
        """The figures as kept on a run (numbers as strings where Decimal)."""
        def plain(value):
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return {
            "unit": self.unit.name,
            "batch": self.batch.name if self.batch else None,
            "as_of": self.as_of.isoformat(),
            "values": plain(self.values),
            "districts": [plain(row) for row in self.districts],
        }


def campaign_of(unit, batch=None):
    """The campaign a report on ``unit`` speaks of: the batch's, else the latest issued at or above it."""
    if batch is not None:
        return batch.campaign
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    return Campaign.objects.filter(issuing_unit_id__in=ids).order_by("-start_date", "-pk").first()


def rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _tasks(unit, batch, as_of):
    tasks = Task.objects.filter(unit_path__startswith=unit.path, start_date__lte=as_of)
    return tasks.filter(batch=batch) if batch is not None else tasks


def _closed_by(as_of):
    end = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time()))
    return Q(status=TaskStatus.CLOSED, closed_at__lt=end)


def task_counts(tasks, as_of, grouped=False):
    """One aggregate over ``tasks``: totals, by term, closed, on time, overdue and escalated on ``as_of``;
    with ``grouped``, ``tasks`` is a ``values()`` queryset and a list of such dicts comes back, one a group."""
    closed = _closed_by(as_of)
    open_then = ~closed
    overdue = open_then & Q(due_date__lt=as_of)
    if as_of >= timezone.localdate():
        escalated = overdue & Q(warning_level=WarningLevel.ESCALATED)
    else:
        escalated = overdue & Q(due_date__lt=as_of - datetime.timedelta(days=ESCALATION_DAYS))
    method = tasks.annotate if grouped else tasks.aggregate
    found = method(
        tasks=Count("pk"),
        immediate=Count("pk", filter=Q(term="immediate")),
        short=Count("pk", filter=Q(term="short")),
        long=Count("pk", filter=Q(term="long")),
        closed=Count("pk", filter=closed),
        on_time=Count("pk", filter=closed & Q(closed_at__date__lte=F("due_date"))),
        overdue=Count("pk", filter=overdue),
        escalated=Count("pk", filter=escalated),
    )
    rows = list(found) if grouped else [found]
    for row in rows:
        row["rate_closed"] = rate(row["closed"], row["tasks"])
        row["rate_on_time"] = rate(row["on_time"], row["closed"])
    return rows if grouped else found


def facts(unit, *, batch=None, as_of=None):
    """The :class:`Facts` of ``unit``'s subtree, ``batch`` (None: all) on ``as_of`` (today)."""
    as_of = as_of or timezone.localdate()
    campaign = campaign_of(unit, batch)
    result = Facts(unit=unit, campaign=campaign, batch=batch, as_of=as_of)
    v = result.values
    batch_q = {"batch": batch} if batch is not None else ({"batch__campaign": campaign} if campaign else {})

    # Problems and where they came from.
    problems = Problem.objects.filter(unit__path__startswith=unit.path, found_on__lte=as_of, **batch_q)
    by_source = dict(problems.order_by().values_list("source").annotate(n=Count("pk")))
    v["problems"] = sum(by_source.values())
    for source in ("public", "self", "supervision", "above", "cross_batch"):
        v[f"source_{source}"] = by_source.get(source, 0)

    # Tasks.
    tasks = _tasks(unit, batch, as_of)
    if campaign is not None and batch is None:
        tasks = tasks.filter(batch__campaign=campaign)
    v.update(task_counts(tasks, as_of))

    # Completion by batch (when the report covers all of them).
    result.batches = []
    if batch is None and campaign is not None:
        for each in campaign.batches.order_by("number"):
            counts = task_counts(tasks.filter(batch=each), as_of)
            if counts["tasks"]:
                result.batches.append({"batch": each.name, **counts})

    # Supervision: groups, spot checks, units checked, explanations, extensions, urges, accountability.
    end = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time()))
    checks = SpotCheck.objects.filter(units__path__startswith=unit.path, checked_on__lte=as_of)
    if campaign is not None:
        checks = checks.filter(group__campaign=campaign)
    v["spot_checks"] = checks.values("pk").distinct().count()
    # 共组建督导组n个: the groups formed for the campaign that watch a unit of the scope or were
    # formed by one (the city's groups for the city, the group watching a district for it).
    groups = SupervisionGroup.objects.filter(
        Q(units__path__startswith=unit.path) | Q(organising_unit__path__startswith=unit.path)
    )
    if campaign is not None:
        groups = groups.filter(campaign=campaign)
    v["groups"] = groups.values("pk").distinct().count()
    v["units_checked"] = (
        Unit.objects.filter(path__startswith=unit.path, spot_checks__in=checks.values("pk")).distinct().count()
    )
    explained = Explanation.objects.filter(task__in=tasks, created_at__lt=end)
    v["units_explained"] = explained.values("task__unit").distinct().count()
    v["explanations"] = explained.count()
    v["extensions_approved"] = ExtensionRequest.objects.filter(
        task__in=tasks, decision=Decision.APPROVED, decided_at__lt=end
    ).count()
    v["urges"] = Urge.objects.filter(task__in=tasks, created_at__lt=end).count()
    records = AccountabilityRecord.objects.filter(unit__path__startswith=unit.path, decided_on__lte=as_of)
    v["accountability"] = records.count()
    v["accountability_units"] = records.values("unit").distinct().count()

    # Coordination with upper departments.
    requests = CoordinationRequest.objects.filter(task__in=tasks, created_at__lt=end)
    v["coordination"] = requests.count()
    resolved = requests.filter(status=CoordinationRequest.Status.RESOLVED, resolved_at__lt=end)
    found = resolved.aggregate(
        n=Count("pk"), mean=Avg(ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()))
    )
    v["coordination_resolved"] = found["n"]
    v["avg_coordination_days"] = (
        round(found["mean"].total_seconds() / 86400, 1) if found["mean"] is not None else None
    )
    if not v["coordination"]:
        v["avg_coordination_days"] = 0  # no request: nothing to average, nothing missing

    # Problems across the batches (两批互动).
    cross = problems.filter(Q(source="cross_batch") | Q(related_problem__isnull=False))
    cross_tasks = tasks.filter(problem__in=cross)
    v["cross_batch"] = cross.count()
    v["cross_batch_tasks"] = cross_tasks.count()
    v["cross_batch_closed"] = cross_tasks.filter(_closed_by(as_of)).count()

    # Participation and the look-back (五查五看): None when nothing was entered.
    participation = campaign_rollups.participation_totals([unit], batch=batch)
    entered = bool(participation["units"])
    for name, key in (("makeup", "makeup_members"), ("transformed", "members_transformed"), ("handled", "members_handled")):
        v[name] = participation[key] if entered else None
    v["members_expected"] = participation["members_expected"] if entered else None
    v["members_participated"] = participation["members_participated"] if entered else None
    v["participating_units"] = participation["units"]
    v["rate_participated"] = (
        rate(participation["members_participated"], participation["members_expected"]) if entered else None
    )

    # Indicators rolled up the tree.
    indicators = {indicator.code: value for indicator, value in campaign_rollups.indicator_totals([unit], batch=batch)
                  if campaign is None or indicator.campaign_id == campaign.pk}
    for code in INDICATOR_CODES:
        v[code] = indicators.get(code)

    # Satisfaction surveys (closed rounds: their figures are counted when a round closes).
    targets = SurveyTarget.objects.filter(
        unit__path__startswith=unit.path, answers__isnull=False, round__closed_at__lt=end
    ).select_related("unit", "round")
    if campaign is not None:
        targets = targets.filter(round__campaign=campaign)
    targets = list(targets.order_by("unit__path", "round_id"))
    if targets:
        answers = sum(t.answers or 0 for t in targets)
        content = sum((t.satisfied or 0) + (t.fairly or 0) for t in targets)
        v["survey"] = True
        v["survey_rounds"] = len({t.round_id for t in targets})
        v["survey_answers"] = answers
        v["rate_satisfied"] = rate(content, answers)
        rates = [(t, rate((t.satisfied or 0) + (t.fairly or 0), t.answers or 0)) for t in targets]
        threshold = lambda t: t.round.threshold if t.round.threshold is not None else SATISFIED_THRESHOLD  # noqa: E731
        v["units_over_threshold"] = sum(1 for t, r in rates if r is not None and r >= threshold(t))
        v["units_under_threshold"] = sum(1 for t, r in rates if r is not None and r < threshold(t))
        result.surveys = [{"unit": t.unit.name, "round": t.round.title, "answers": t.answers, "rate": r} for t, r in rates]
    else:
        v["survey"] = None

    # Appendix 1: completion by child unit (the districts of a city): one grouped aggregate,
    # the tasks grouped by the first steps of their path (a child's path, all of one length).
    children = list(unit.children.order_by("path"))
    if children:
        length = len(children[0].path)
        grouped = {
            row.pop("prefix"): row
            for row in task_counts(
                tasks.filter(unit_path__startswith=unit.path).exclude(unit_path=unit.path)
                .annotate(prefix=Substr("unit_path", 1, length)).order_by().values("prefix"),
                as_of,
                grouped=True,
            )
        }
        for child in children:
            counts = grouped.get(child.path)
            if counts and counts["tasks"]:
                result.districts.append({"unit": child.short_name or child.name, **counts})

    # Tasks closed by the end of each week, from the first task's start to the as-of date (the line chart).
    result.closed_by_week = closed_by_week(tasks, as_of)

    # Appendix 2: the overdue tasks, oldest first.
    result.overdue = overdue_tasks(tasks, as_of, limit=30)
    return result


def overdue_tasks(tasks, as_of, limit=None):
    """Tasks open on ``as_of`` and past due, oldest due date first, with their unit."""
    rows = (
        tasks.exclude(_closed_by(as_of))
        .filter(due_date__lt=as_of)
        .select_related("unit")
        .order_by("due_date", "unit_path", "pk")
    )
    if limit:
        rows = rows[:limit]
    return [
        {"task": task, "unit": task.unit.short_name or task.unit.name, "days": (as_of - task.due_date).days}
        for task in rows
    ]


def closed_by_week(tasks, as_of, weeks=26):
    """[(day, tasks closed by that day)] for the last ``weeks`` weeks up to ``as_of``."""
    from django.db.models.functions import TruncDate

    closed = dict(
        tasks.filter(_closed_by(as_of))
        .annotate(day=TruncDate("closed_at"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    if not closed:
        return []
    first = max(min(closed), as_of - datetime.timedelta(weeks=weeks))
    before = sum(n for day, n in closed.items() if day < first)
    points, day, total = [], first, before
    days = sorted(closed.items())
    while day <= as_of:
        total = before + sum(n for d, n in days if first <= d <= day)
        points.append((day, total))
        day += datetime.timedelta(days=7)
    if points[-1][0] != as_of:
        points.append((as_of, before + sum(n for d, n in days if d >= first)))
    return points
