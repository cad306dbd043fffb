"""The supervisors' and leaders' overdue dashboard (issue 11): what it shows, worked out
once for the view, the exports and the tests.

Scope: the dashboard is OVERSEE (supervisors, leaders, administrators). Its
*current* units are either one unit the user chose (``?unit=``; refused unless
the user oversees it) or, without one, the outermost units of the user's
scope. Every figure comes from the roll-ups (``rectification.rollups``): the
current units and their children are read together, in two queries whatever
the size of the subtree. A past as-of date reads the daily snapshots
(``reports.snapshots``) instead; "since yesterday" and "since last week" are
the difference with the snapshots of those days. Only the at-risk list and
the queues are counted from rows (capped counts, limited lists).

Phase, term and problem category: the roll-ups are kept by unit and batch only.
Giving them a term and a category dimension would multiply their rows (3 terms × 6
categories) and every writer of them (the services' differences, the sweep's one-statement
UPDATE, compaction, rebuild, moves); and a phase (a date range of a batch, matched on the
task's start date) is no dimension a counter can keep. So when one of these filters is
set, the same Figures are counted live (``rollups.counted_figures``): ONE grouped
aggregate over the scoped tasks of the subtree (``Task.objects.restrict(user, OVERSEE)
.within(unit)``), for the current units and their children together; the page says so
("按条件实时统计"), the changes since yesterday and the trends (snapshots, unfiltered)
are left out, and a past as-of date cannot be combined with them. Its cost is in
docs/benchmarks.md.
"""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign import permissions
from campaign import rollups as campaign_rollups
from campaign.models import Batch, Campaign, Phase, Unit, UnitKind
from campaign.paging import capped_count
from campaign.permissions import OVERSEE, SUPERVISE
from campaign.widgets import UnitField
from rectification import queues, rollups
from rectification.models import (
    CoordinationRequest,
    ExtensionRequest,
    Instruction,
    Task,
    Urge,
    Verification,
    WarningLevel,
)
from rectification.models.decisions import Decision
from rectification.models.problems import ProblemCategory
from rectification.models.tasks import Term

from . import charts, snapshots

AT_RISK_LIST_LENGTH = 20
OVERDUE_LIST_LENGTH = 20
TREND_DAYS = 30


class DashboardFilters(forms.Form):
    """What the dashboard shows: every field is a GET parameter, so a link can be shared."""

    unit = UnitField(source="oversee", label=gettext_lazy("Unit"), required=False,
                     placeholder=gettext_lazy("Type a unit's name to go to it"))  # fmt: skip
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), label=gettext_lazy("Campaign"), required=False)
    batch = forms.ModelChoiceField(queryset=Batch.objects.none(), label=gettext_lazy("Batch"), required=False)
    phase = forms.ModelChoiceField(
        queryset=Phase.objects.none(), label=gettext_lazy("Phase"), required=False,
        help_text=gettext_lazy("Tasks of the phase's batch started within the phase."),
    )  # fmt: skip
    term = forms.ChoiceField(label=gettext_lazy("Term"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Problem category"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of the units listed"), required=False)
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, data, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user, OVERSEE)
        campaigns = Campaign.objects.visible_to(user)
        self.fields["campaign"].queryset = campaigns
        self.fields["batch"].queryset = Batch.objects.filter(campaign__in=campaigns).select_related("campaign")
        self.fields["phase"].queryset = Phase.objects.filter(batch__campaign__in=campaigns).select_related("batch")
        self.fields["term"].choices = [("", _("All terms"))] + list(Term.choices)
        self.fields["category"].choices = [("", _("All categories"))] + list(ProblemCategory.choices)
        self.fields["kind"].choices = [("", _("All kinds"))] + list(UnitKind.choices)

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("Choose today or a day before it."))
        return day

    def clean(self):
        data = super().clean()
        phase, batch = data.get("phase"), data.get("batch")
        if phase is not None and batch is not None and phase.batch_id != batch.pk:
            self.add_error("phase", _("This phase belongs to another batch."))
        counted = data.get("phase") or data.get("term") or data.get("category")
        if counted and data.get("as_of") and data["as_of"] < timezone.localdate():
            message = _("Phase, term and category are counted from today's tasks: the saved days have no such figures.")
            self.add_error("as_of", message)
        return data


@dataclass
class Row:
    """One child unit's line: its figures, its place in both rankings."""

    unit: Unit
    figures: rollups.Figures
    rank_count: int = 0
    rank_share: int = 0

    @property
    def overdue(self):
        return self.figures.overdue

    @property
    def share(self):
        """Overdue tasks as a percent of the unit's tasks, one decimal; None without tasks."""
        return round(100 * self.figures.overdue / self.figures.tasks, 1) if self.figures.tasks else None


def rank_by_count(rows):
    """Most overdue first; ties: more escalated first, then the tree's order (path)."""
    return sorted(rows, key=lambda r: (-r.overdue, -r.figures.level_escalated, r.unit.path))


def rank_by_share(rows):
    """Highest overdue share first (units without tasks last); ties: more overdue, then the tree's order."""
    return sorted(rows, key=lambda r: (r.share is None, -(r.share or 0), -r.overdue, r.unit.path))


@dataclass
class Change:
    label: str
    day: datetime.date
    overdue: int
    escalated: int
    closed: int
    completion: float | None


@dataclass
class Dashboard:
    user: object
    unit: Unit | None  # None: the user's whole scope
    roots: list  # the current units (the unit, or the outermost units of the scope)
    today: datetime.date
    as_of: datetime.date
    campaign: Campaign | None = None
    batch: Batch | None = None
    phase: Phase | None = None
    term: str = ""
    category: str = ""
    kind: str = ""
    figures: rollups.Figures | None = None
    rows: list = field(default_factory=list)
    live: bool = True
    changes: list = field(default_factory=list)

    @property
    def counted(self):
        """Whether a filter the roll-ups do not keep is set: the figures are counted live."""
        return bool(self.phase or self.term or self.category)

    @property
    def by_count(self):
        return rank_by_count(self.rows)

    @property
    def by_share(self):
        return rank_by_share(self.rows)

    def breadcrumbs(self):
        """The units above the current one that the user oversees, from the top."""
        if self.unit is None:
            return []
        return list(self.unit.ancestors().restrict(self.user, OVERSEE))

    # --- lists counted from rows (capped) ---------------------------------------------

    def tasks(self):
        rows = Task.objects.restrict(self.user, OVERSEE)
        if self.unit is not None:
            rows = rows.within(self.unit)
        if self.batch is not None:
            rows = rows.filter(batch=self.batch)
        elif self.campaign is not None:
            rows = rows.filter(batch__campaign=self.campaign)
        return filter_counted(rows, phase=self.phase, term=self.term, category=self.category)

    def at_risk(self):
        return self.tasks().at_risk(self.today)

    def at_risk_count(self):
        return capped_count(self.at_risk())

    def at_risk_list(self, limit=AT_RISK_LIST_LENGTH):
        """At-risk tasks, the soonest due first (an index on the due date serves it: the
        list stops after ``limit`` rows instead of sorting every task at risk)."""
        rows = self.at_risk().with_related().order_by("due_date", "pk")
        return with_urge_counts(rows[:limit] if limit else rows)

    def overdue_list(self, limit=OVERDUE_LIST_LENGTH):
        """Overdue tasks, the longest overdue first."""
        rows = self.tasks().overdue().with_related().order_by("due_date", "-warning_level", "pk")
        return with_urge_counts(rows[:limit] if limit else rows)

    def urges_last_week(self):
        rows = Urge.objects.restrict(self.user, OVERSEE).filter(
            created_at__date__gt=self.today - datetime.timedelta(days=7)
        )
        if self.unit is not None:
            rows = rows.filter(task__unit_path__startswith=self.unit.path)
        return capped_count(rows)

    def queues(self):
        """What waits, with the age of the oldest: closings, extensions, overdue unexplained,
        coordination requests to departments (for supervisors)."""
        if not queues.is_supervisor(self.user):
            return None
        now = timezone.now()

        def summary(rows, stamp):
            if self.unit is not None:
                rows = rows.filter(task__unit_path__startswith=self.unit.path)
            found = rows.aggregate(n=Count("pk"), oldest=Min(stamp))
            found["days"] = (now - found["oldest"]).days if found["oldest"] else None
            return found

        verifications = Verification.objects.restrict(self.user, SUPERVISE).filter(outcome=Verification.Outcome.PENDING)
        extensions = ExtensionRequest.objects.restrict(self.user, SUPERVISE).filter(decision=Decision.PENDING)
        coordination = CoordinationRequest.objects.restrict(self.user, SUPERVISE).exclude(
            status=CoordinationRequest.Status.RESOLVED
        )
        by_department = coordination.values("to_unit__name").annotate(n=Count("pk"), oldest=Min("created_at"))
        if self.unit is not None:
            by_department = by_department.filter(task__unit_path__startswith=self.unit.path)
        departments = [
            {"name": row["to_unit__name"], "n": row["n"], "days": (now - row["oldest"]).days}
            for row in by_department.order_by("-n", "to_unit__name")[:10]
        ]
        oldest_unexplained = self.tasks().needing_explanation().aggregate(oldest=Min("due_date"))["oldest"]
        return {
            "verifications": summary(verifications, "requested_at"),
            "extensions": summary(extensions, "requested_at"),
            "unexplained": {
                "n": self.figures.unexplained,
                "days": (self.today - oldest_unexplained).days if oldest_unexplained else None,
            },
            "departments": departments,
        }

    def instructions(self, limit=5):
        """The latest leaders' instructions (领导批示) on the current units' subtrees, with their answers."""
        rows = Instruction.objects.visible_to(self.user)
        if self.unit is not None:
            rows = rows.filter(unit__path__startswith=self.unit.path)
        return list(rows.select_related("unit", "task", "author").prefetch_related("replies__author")[:limit])

    # --- the leaders' figures -----------------------------------------------------------

    def participation(self):
        return campaign_rollups.participation_totals(self.roots, batch=self.batch)

    def indicators(self):
        return campaign_rollups.indicator_totals(self.roots, batch=self.batch)

    # --- charts -----------------------------------------------------------------------

    def level_chart(self):
        series = [
            ("level_none", _("No warning"), charts.COLOURS["none"]),
            ("level_yellow", _("Warning"), charts.COLOURS["yellow"]),
            ("level_red", _("Overdue"), charts.COLOURS["red"]),
            ("level_escalated", _("Escalated"), charts.COLOURS["escalated"]),
        ]
        items = [(row.unit.display_name, {key: getattr(row.figures, key) for key, _n, _c in series}) for row in self.rows]
        return charts.stacked_bar_chart(_("Open tasks of each unit by warning level"), items, series=series,
                                        label_heading=_("Unit"))  # fmt: skip

    def ageing_chart(self):
        labels = {"1-7": _("1–7 days"), "8-30": _("8–30 days"), "31-90": _("31–90 days"), "91+": _("over 90 days")}
        items = [(labels[name], self.figures.ages[name]) for name, _f, _l in rollups.AGE_BUCKETS]
        return charts.bar_chart(_("Overdue tasks by days overdue"), items, value_label=_("Tasks"),
                                label_heading=_("Days overdue"), colour=charts.COLOURS["red"])  # fmt: skip

    def ranking_chart(self, limit=10):
        items = [(row.unit.display_name, row.overdue) for row in self.by_count[:limit]]
        return charts.bar_chart(_("Units with the most overdue tasks"), items, value_label=_("Overdue tasks"),
                                label_heading=_("Unit"), colour=charts.COLOURS["red"])  # fmt: skip

    def trend(self):
        """[(day, Figures)] of the last TREND_DAYS days' snapshots of the current units
        (none under a filter the snapshots do not keep)."""
        if self.counted:
            return []
        first = self.as_of - datetime.timedelta(days=TREND_DAYS - 1)
        return snapshots.series([u.pk for u in self.roots], first, self.as_of)

    def trend_charts(self):
        days = self.trend()
        if len(days) < 2:
            return []
        dates = [day for day, _f in days]
        completion = charts.line_chart(
            _("Completion rate over time"), dates,
            [(_("Completion rate"), charts.COLOURS["blue"], [f.completion_rate for _d, f in days])],
            percent=True, date_heading=_("Day"),
        )  # fmt: skip
        overdue = charts.line_chart(
            _("Overdue and escalated tasks over time"), dates,
            [
                (_("Overdue"), charts.COLOURS["red"], [f.overdue for _d, f in days]),
                (_("Escalated"), charts.COLOURS["escalated"], [f.level_escalated for _d, f in days]),
            ],
            date_heading=_("Day"),
        )  # fmt: skip
        return [completion, overdue]


def with_urge_counts(tasks, chunk=2000):
    """The tasks as a list, each with ``urge_count`` (how often it was urged): one query per
    ``chunk`` tasks, after the list is cut (never a GROUP BY over every matching task)."""
    tasks = list(tasks)
    for start in range(0, len(tasks), chunk):
        part = tasks[start : start + chunk]
        counts = dict(
            Urge.objects.filter(task_id__in=[t.pk for t in part]).order_by().values_list("task_id").annotate(n=Count("pk"))
        )
        for task in part:
            task.urge_count = counts.get(task.pk, 0)
    return tasks


def filter_counted(tasks, *, phase=None, term="", category=""):
    """``tasks`` narrowed by the filters the roll-ups do not keep. A phase is a date range of
    a batch: the tasks of that batch whose start date falls within it (a task belongs to
    the phase in which its work began, whatever its due date)."""
    if phase is not None:
        tasks = tasks.filter(batch_id=phase.batch_id, start_date__gte=phase.start_date, start_date__lte=phase.end_date)
    if term:
        tasks = tasks.filter(term=term)
    if category:
        tasks = tasks.filter(problem__category=category)
    return tasks


def scope_roots(user):
    """The outermost units the user oversees, in the tree's order."""
    ids = permissions.outermost_unit_ids(user, OVERSEE)
    return list(Unit.objects.filter(pk__in=ids).order_by("path"))


def build(user, unit=None, *, campaign=None, batch=None, phase=None, term="", category="", kind="", as_of=None,
          today=None):  # fmt: skip
    """The dashboard of ``unit`` (None: the user's whole scope) as ``user`` sees it.

    Raises ``permissions.Refused`` when the user does not oversee ``unit``."""
    permissions.require_any(user, OVERSEE)
    today = today or timezone.localdate()
    as_of = as_of or today
    if unit is not None:
        permissions.require(user, OVERSEE, unit)
        roots = [unit]
    else:
        roots = scope_roots(user)
        if len(roots) == 1:
            unit = roots[0]
    if unit is not None:
        children = unit.children.order_by("path")
        if kind:
            children = children.filter(kind=kind)
        children = list(children)
    else:
        children = [root for root in roots if not kind or root.kind == kind]
    board = Dashboard(user=user, unit=unit, roots=roots, today=today, as_of=as_of, campaign=campaign, batch=batch,
                      phase=phase, term=term, category=category, kind=kind)  # fmt: skip
    ids = {u.pk for u in roots} | {c.pk for c in children}
    if board.counted:
        # 按条件实时统计: one grouped aggregate over the scoped tasks (see the module's docstring)
        board.as_of = as_of = today
        units = {u.pk: u for u in [*roots, *children]}
        found = rollups.counted_figures(board.tasks(), units.values(), today=today)
    elif as_of < today:
        board.live = False
        found = snapshots.figures_on(ids, as_of)
        found = {pk: found.get(pk) or rollups.Figures(today=as_of) for pk in ids}
    else:
        found = rollups.figures_for(ids, campaign=campaign, batch=batch, today=today)
    board.figures = rollups.Figures.total((found[u.pk] for u in roots), today=as_of)
    board.rows = [Row(unit=child, figures=found[child.pk]) for child in children]
    for position, row in enumerate(rank_by_count(board.rows), 1):
        row.rank_count = position
    for position, row in enumerate(rank_by_share(board.rows), 1):
        row.rank_share = position
    if campaign is None and batch is None and not board.counted:
        board.changes = changes(board, [u.pk for u in roots])
    return board


def changes(board, root_ids):
    """The change since yesterday and since last week, from the snapshots of those days
    (one query); a day without a snapshot is left out."""
    days = {_("since yesterday"): board.as_of - datetime.timedelta(days=1),
            _("since last week"): board.as_of - datetime.timedelta(days=7)}  # fmt: skip
    saved = {}
    for snapshot in snapshots.UnitSnapshot.objects.filter(unit_id__in=root_ids, day__in=list(days.values())):
        saved.setdefault(snapshot.day, []).append(snapshots._figures(snapshot, snapshot.day))
    now = board.figures
    result = []
    for label, day in days.items():
        if day not in saved:
            continue
        then = rollups.Figures.total(saved[day], today=day)
        completion = None
        if now.completion_rate is not None and then.completion_rate is not None:
            completion = round(now.completion_rate - then.completion_rate, 1)
        result.append(
            Change(label=label, day=day, overdue=now.overdue - then.overdue,
                   escalated=now.level_escalated - then.level_escalated, closed=now.closed - then.closed,
                   completion=completion)  # fmt: skip
        )
    return result


LEVEL_NAMES = {WarningLevel.NONE: "level_none", WarningLevel.YELLOW: "level_yellow", WarningLevel.RED: "level_red",
               WarningLevel.ESCALATED: "level_escalated"}  # fmt: skip
