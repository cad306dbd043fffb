"""The overdue dashboard (issue 11): figures against direct counts, drill-down and scope,
ranking and its ties, ageing, at-risk arithmetic, changes since yesterday, exports, urging."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaign.models import Role, UnitKind
from campaign.models.campaigns import PhaseKind
from rectification import rollups
from rectification.models import Notification, Problem, Task, TaskStatus, Urge
from rectification.models.problems import ProblemCategory
from rectification.models.rollups import COUNTERS
from rectification.models.tasks import Term
from reports import dashboard, snapshots
from tests.conftest import assert_refused, in_english, member
from tests.factories import BatchFactory, CampaignFactory, PhaseFactory, TaskFactory, UnitFactory

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


@pytest.fixture
def world(city):
    """东区: two communities under its street (one with tasks overdue 2, 10, 40 and 100 days);
    西区: one community with one overdue task of its two; 北区 with one overdue task (out of
    the east supervisor's scope)."""
    today = TODAY()
    campaign = CampaignFactory(issuing_unit=city["city"], name="先进性教育活动")
    batch = BatchFactory(campaign=campaign, number=2, name="第二批")
    second = UnitFactory(parent=city["east_street"], name="东区第二社区党支部", kind=UnitKind.COMMUNITY)
    north = UnitFactory(parent=city["city"], name="中共北区委员会", short_name="北区", kind=UnitKind.DISTRICT)

    def task(unit, due_in, **fields):
        fields.setdefault("start_date", today - 200 * DAY)
        return TaskFactory(unit=unit, problem__batch=batch, due_date=today + due_in * DAY, **fields)

    east = city["east_community"]
    tasks = {
        "red": task(east, -2),
        "ten": task(east, -10, explained_at=timezone.now()),
        "forty": task(east, -40),
        "hundred": task(east, -100),
        "closed": task(east, -5, status=TaskStatus.CLOSED, closed_at=timezone.now() - 10 * DAY, progress=100),
        "late_closed": task(east, -20, status=TaskStatus.CLOSED, closed_at=timezone.now(), progress=100),
        "yellow": task(second, 2),
        "fine": task(second, 60),
        "west_red": task(city["west_community"], -3, explained_at=timezone.now()),
        "west_fine": task(city["west_community"], 90),
        "north_red": task(north, -3),
    }
    return {**city, "second": second, "north": north, "campaign": campaign, "batch": batch, "tasks": tasks}


def open_at(unit, level):
    return Task.objects.within(unit).open().filter(warning_level=level).count()


@pytest.fixture
def east_supervisor(world):
    return member(world["east"], Role.SUPERVISOR, "east-supervisor")


def test_figures_equal_direct_counts_at_every_level_of_the_tree(world, leader):
    for unit in (world["city"], world["east"], world["east_street"], world["east_community"]):
        board = dashboard.build(leader, unit)
        f = board.figures
        assert f.tasks == Task.objects.within(unit).count()
        assert f.closed == Task.objects.within(unit).filter(status=TaskStatus.CLOSED).count()
        for level, name in dashboard.LEVEL_NAMES.items():
            assert getattr(f, name) == open_at(unit, level), (unit, name)
        for row in board.rows:
            assert row.figures.tasks == Task.objects.within(row.unit).count()
            assert row.overdue == Task.objects.within(row.unit).overdue().count()
    east = dashboard.build(leader, world["east_community"]).figures
    assert east.level_red == 2 and east.level_escalated == 2  # 2 days; 10 days explained / 40, 100 escalated
    assert east.completion_rate == round(100 * 2 / 6, 1)
    assert east.on_time_rate == 50.0  # one of two closed by its due date


def test_ageing_buckets_and_oldest_overdue(world, leader):
    board = dashboard.build(leader, world["east_community"])
    assert board.figures.ages == {"1-7": 1, "8-30": 1, "31-90": 1, "91+": 1}
    assert board.figures.oldest_overdue_days == 100
    street = dashboard.build(leader, world["east_street"])
    first = next(row for row in street.rows if row.unit == world["east_community"])
    assert first.figures.oldest_overdue_days == 100
    second = next(row for row in street.rows if row.unit == world["second"])
    assert second.figures.oldest_overdue_days is None


def test_ranking_by_count_and_share_with_ties_broken_by_the_tree(world, leader):
    board = dashboard.build(leader, world["city"])
    by_count = [row.unit for row in board.by_count]
    # 东区 4 overdue; 西区 and 北区 one each: ties broken by escalated, then the tree's order
    assert by_count[0] == world["east"]
    west_and_north = by_count[1:3]
    assert west_and_north == sorted(west_and_north, key=lambda u: u.path)
    shares = {row.unit: row.share for row in board.rows}
    assert shares[world["north"]] == 100.0 and shares[world["west"]] == 50.0
    assert shares[world["east"]] == 50.0  # 4 of 8: the same share as 西区, more overdue: ranked first
    assert [row.unit for row in board.by_share][:3] == [world["north"], world["east"], world["west"]]
    assert dashboard.build(leader, world["city"]).by_count == board.by_count  # the same every time
    # a tie in share and count falls back to the path
    rows = [dashboard.Row(unit=u, figures=board.rows[0].figures) for u in (world["west"], world["east"])]
    assert [r.unit for r in dashboard.rank_by_share(rows)] == [world["east"], world["west"]]


def test_at_risk_arithmetic_at_its_edges(world, leader, settings):
    settings.AT_RISK_MARGIN = 20
    today = TODAY()
    unit = world["west_community"]
    batch = world["batch"]
    # 100 days long, 50 elapsed: time says 50%; progress 29 lags 21 points (at risk), 30 lags 20 (not: strictly more)
    lagging = TaskFactory(unit=unit, problem__batch=batch, start_date=today - 50 * DAY, due_date=today + 50 * DAY, title="落后")
    Task.objects.filter(pk=lagging.pk).update(progress=29)
    at_edge = TaskFactory(unit=unit, problem__batch=batch, start_date=today - 50 * DAY, due_date=today + 50 * DAY, title="临界")
    Task.objects.filter(pk=at_edge.pk).update(progress=30)
    not_started = TaskFactory(unit=unit, problem__batch=batch, start_date=today + DAY, due_date=today + 50 * DAY)
    yellow = TaskFactory(unit=unit, problem__batch=batch, start_date=today - 90 * DAY, due_date=today + 2 * DAY)
    board = dashboard.build(leader, unit)
    found = {task.pk: task for task in board.at_risk_list()}
    assert lagging.pk in found and round(found[lagging.pk].lag, 1) == 21.0
    assert at_edge.pk not in found
    assert not_started.pk not in found
    assert yellow.pk not in found  # already warned: not "before they turn yellow"
    assert int(board.at_risk_count()) == len(found)


def test_change_since_yesterday_from_the_snapshots(world, leader):
    yesterday = TODAY() - DAY
    snapshots.take(yesterday)
    # since then: one overdue task closed
    task = world["tasks"]["red"]
    task.status, task.closed_at, task.progress = TaskStatus.CLOSED, timezone.now(), 100
    task.save()
    board = dashboard.build(leader, world["east_community"])
    [change] = board.changes  # no snapshot of last week
    assert change.day == yesterday
    assert change.overdue == -1 and change.closed == 1


def test_district_supervisor_sees_nothing_outside_the_district(world, east_supervisor, client):
    board = dashboard.build(east_supervisor)
    assert board.unit == world["east"]
    assert board.figures.tasks == Task.objects.within(world["east"]).count()
    client.force_login(east_supervisor)
    in_english(client)
    for unit in (world["east"], world["east_street"], world["east_community"]):
        response = client.get(reverse("reports:dashboard"), {"unit": unit.pk})
        assert response.status_code == 200
        body = response.content.decode()
        assert "北区" not in body and world["west"].name not in body
    for unit in (world["west"], world["north"], world["city"]):
        assert_refused(client.get(reverse("reports:dashboard"), {"unit": unit.pk}), 403)
    # and in every export
    for which in ("rows", "ranking", "ranking_share", "at_risk", "overdue"):
        response = client.get(reverse("reports:dashboard"), {"export": "csv", "list": which})
        text = response.content.decode("utf-8-sig")
        assert "北区" not in text and "西区" not in text, which
        assert_refused(client.get(reverse("reports:dashboard"), {"unit": world["north"].pk, "export": "csv", "list": which}), 403)


def test_staff_and_anonymous_are_kept_out(world, unit_staff, client):
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302
    client.force_login(unit_staff)
    assert_refused(client.get(reverse("reports:dashboard")), 403)


def test_page_drills_down_with_breadcrumbs_and_filters_in_the_url(world, leader, client):
    client.force_login(leader)
    in_english(client)
    response = client.get(reverse("reports:dashboard"), {"unit": world["east_street"].pk, "batch": world["batch"].pk})
    body = response.content.decode()
    assert response.status_code == 200
    # child rows link down a level keeping the filter; the breadcrumbs lead back up
    assert f'?unit={world["east_community"].pk}&amp;batch={world["batch"].pk}' in body
    assert f'?unit={world["east"].pk}&amp;batch={world["batch"].pk}' in body
    assert world["second"].display_name in body
    # a batch of nothing: the figures follow the filter
    other = BatchFactory(campaign=world["campaign"], number=3, name="第三批")
    response = client.get(reverse("reports:dashboard"), {"unit": world["east"].pk, "batch": other.pk})
    assert response.context["board"].figures.tasks == 0


def test_unit_kind_filter_lists_only_that_kind(world, leader):
    board = dashboard.build(leader, world["city"], kind=UnitKind.DISTRICT)
    assert {row.unit for row in board.rows} == {world["east"], world["west"], world["north"]}


def test_exports_hold_the_rows_with_numbers_as_numbers(world, leader, client):
    client.force_login(leader)
    response = client.get(reverse("reports:dashboard"), {"unit": world["city"].pk, "export": "xlsx", "list": "ranking"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == world["east"].name and rows[1][2] == 4 and isinstance(rows[1][2], int)
    board = dashboard.build(leader, world["city"])
    assert [r[1] for r in rows[1:]] == [row.unit.name for row in board.by_count]
    response = client.get(reverse("reports:dashboard"), {"unit": world["city"].pk, "export": "csv", "list": "rows"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(lines) == 1 + len(board.rows)
    east = next(line for line in lines if line[0] == world["east"].name)
    assert east[1] == str(Task.objects.within(world["east"]).count())


def test_urging_ticked_tasks_with_a_deadline(world, east_supervisor, client, django_capture_on_commit_callbacks):
    staff = member(world["east_community"], Role.STAFF, "community-staff")
    client.force_login(east_supervisor)
    tasks = [world["tasks"]["red"], world["tasks"]["forty"]]
    reply_by = TODAY() + 3 * DAY
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:dashboard_urge"),
            {"ids": [t.pk for t in tasks], "message": "请三日内反馈", "reply_by": reply_by.isoformat(), "next": "/dashboard/"},
        )
    assert response.status_code == 302
    assert Urge.objects.filter(task__in=tasks, reply_by=reply_by, message="请三日内反馈").count() == 2
    told = Notification.objects.filter(kind="urge", user=staff)
    assert told.count() == 2 and reply_by.isoformat() in told.first().body
    board = dashboard.build(east_supervisor, world["east_community"])
    assert int(board.urges_last_week()) == 2
    listed = {t.pk: t.urge_count for t in board.overdue_list()}
    assert listed[tasks[0].pk] == 1


def test_urging_outside_scope_writes_nothing(world, east_supervisor, client):
    client.force_login(east_supervisor)
    mine, theirs = world["tasks"]["red"], world["tasks"]["north_red"]
    response = client.post(reverse("reports:dashboard_urge"), {"ids": [mine.pk, theirs.pk], "message": "催办"})
    assert response.status_code in (302, 403)
    assert not Urge.objects.exists()


def test_leader_sees_participation_beside_the_tasks(world, leader, client):
    client.force_login(leader)
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    assert "participation" in response.context
    assert b'data-testid="dashboard-participation"' in response.content


def test_page_in_chinese(world, leader, client):
    client.force_login(leader)
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert "超期" in body and "预警" in body


def test_charts_are_svg_with_chinese_labels_and_their_figures(world, leader):
    import xml.etree.ElementTree as ET

    from django.utils import translation

    svg = "{http://www.w3.org/2000/svg}"
    with translation.override("zh-hans"):
        board = dashboard.build(leader, world["east_community"])
        ageing = board.ageing_chart()
        labels = [el.text for el in ET.fromstring(str(ageing.svg)).iter(svg + "text")]
        assert "超期任务（按超期天数）" in labels and "1—7天" in labels and "90天以上" in labels
        assert [row[1] for row in ageing.rows] == [board.figures.ages[name] for name in ("1-7", "8-30", "31-90", "91+")]
        city = dashboard.build(leader, world["city"])
        levels = city.level_chart()
        ET.fromstring(str(levels.svg))
        assert [row[0] for row in levels.rows] == [row.unit.display_name for row in city.rows]
        ranking = city.ranking_chart()
        assert [row[1] for row in ranking.rows] == [row.overdue for row in city.by_count]
        # the trend needs two days of snapshots
        assert city.trend_charts() == []
        snapshots.take(TODAY() - DAY)
        snapshots.take(TODAY())
        completion, overdue = dashboard.build(leader, world["city"]).trend_charts()
        labels = [el.text for el in ET.fromstring(str(overdue.svg)).iter(svg + "text")]
        assert "超期和督办任务走势" in labels
        assert [row[1] for row in overdue.rows] == [city.figures.overdue, city.figures.overdue]


def test_a_past_day_reads_the_snapshot(world, leader):
    yesterday = TODAY() - DAY
    snapshots.take(yesterday)
    task = world["tasks"]["red"]
    task.status, task.closed_at, task.progress = TaskStatus.CLOSED, timezone.now(), 100
    task.save()
    past = dashboard.build(leader, world["east_community"], as_of=yesterday)
    now = dashboard.build(leader, world["east_community"])
    assert not past.live and past.figures.closed == now.figures.closed - 1


def test_any_unit_in_scope_is_reached_by_search_and_none_outside(world, east_supervisor, client):
    client.force_login(east_supervisor)
    response = client.get(reverse("reports:dashboard"), {"unit": "", "unit_search": "东区第二社区党支部"})
    assert response.context["board"].unit == world["second"]
    # the picker's search offers only units the supervisor oversees
    found = client.get(reverse("campaign:unit_search"), {"source": "oversee", "q": "社区"}).content.decode()
    assert "东区第二社区党支部" in found and "西区社区党支部" not in found
    response = client.get(reverse("reports:dashboard"), {"unit": "", "unit_search": "西区社区党支部"})
    assert response.status_code == 200 and response.context["board"].unit == world["east"]
    assert response.context["form"].errors["unit"]


# --- phase, term and problem category: counted live (the roll-ups do not keep them) ------------


@pytest.fixture
def sorted_world(world):
    """Some tasks of every district are 中长期, on a 作风 problem, or started within the 整改 phase."""
    t = world["tasks"]
    today = TODAY()
    Task.objects.filter(pk__in=[t[k].pk for k in ("red", "forty", "yellow", "west_red", "north_red")]).update(term=Term.LONG)
    Problem.objects.filter(pk__in=[t[k].problem_id for k in ("hundred", "fine", "west_fine", "north_red")]).update(
        category=ProblemCategory.CONDUCT
    )
    Task.objects.filter(pk__in=[t[k].pk for k in ("ten", "late_closed", "yellow", "west_red", "north_red")]).update(
        start_date=today - 100 * DAY
    )
    phase = PhaseFactory(batch=world["batch"], kind=PhaseKind.RECTIFY, start_date=today - 150 * DAY, end_date=today - 50 * DAY)
    return {**world, "phase": phase, "long": Term.LONG, "conduct": ProblemCategory.CONDUCT}


def _direct(tasks, today):
    """The figures a person would count by hand from ``tasks``."""
    open_ = tasks.open()
    overdue_dates = list(open_.filter(due_date__lt=today).values_list("due_date", flat=True))
    return {
        "tasks": tasks.count(),
        "closed": tasks.filter(status=TaskStatus.CLOSED).count(),
        "in_progress": tasks.filter(status=TaskStatus.IN_PROGRESS).count(),
        **{name: open_.filter(warning_level=level).count() for level, name in dashboard.LEVEL_NAMES.items()},
        "unexplained": open_.filter(warning_level__gte=2, explained_at__isnull=True).count(),
        "1-7": sum(1 <= (today - d).days <= 7 for d in overdue_dates),
        "8-30": sum(8 <= (today - d).days <= 30 for d in overdue_dates),
        "31-90": sum(31 <= (today - d).days <= 90 for d in overdue_dates),
        "91+": sum((today - d).days > 90 for d in overdue_dates),
        "oldest": min(overdue_dates, default=None),
    }


def _shown(figures):
    return {
        "tasks": figures.tasks, "closed": figures.closed, "in_progress": figures.in_progress,
        **{name: getattr(figures, name) for name in dashboard.LEVEL_NAMES.values()},
        "unexplained": figures.unexplained, **figures.ages, "oldest": figures.oldest_overdue,
    }  # fmt: skip


def test_filtered_figures_equal_direct_counts_at_every_level(sorted_world, leader):
    w = sorted_world
    today = TODAY()
    conditions = [
        ({"term": w["long"]}, {"term": w["long"]}),
        ({"category": w["conduct"]}, {"problem__category": w["conduct"]}),
        ({"phase": w["phase"]}, {"batch": w["batch"], "start_date__range": (w["phase"].start_date, w["phase"].end_date)}),
        ({"term": w["long"], "phase": w["phase"]}, {"term": w["long"], "start_date__gte": w["phase"].start_date,
                                                     "start_date__lte": w["phase"].end_date}),
    ]  # fmt: skip
    for chosen, lookup in conditions:
        for unit in (w["city"], w["east"], w["east_street"], w["east_community"]):
            board = dashboard.build(leader, unit, **chosen)
            assert board.counted and board.changes == [] and board.trend() == []
            assert _shown(board.figures) == _direct(Task.objects.within(unit).filter(**lookup), today), (chosen, unit)
            for row in board.rows:
                assert _shown(row.figures) == _direct(Task.objects.within(row.unit).filter(**lookup), today), (chosen, row.unit)
    # the filters do narrow: 中长期 in 东区 are 2 and 40 days overdue and one yellow
    east = dashboard.build(leader, w["east"], term=w["long"]).figures
    assert (east.tasks, east.level_red, east.level_escalated, east.level_yellow) == (3, 1, 1, 1)
    # the lists follow the filters too
    board = dashboard.build(leader, w["east"], category=w["conduct"])
    assert [t.pk for t in board.overdue_list()] == [w["tasks"]["hundred"].pk]


def test_counting_live_follows_the_rule_of_the_rollups(world):
    """Without a filter, the live count equals the kept roll-ups, counter by counter."""
    units = [world["city"], world["east"], world["east_street"], world["east_community"], world["second"], world["north"]]
    counted = rollups.counted_figures(Task.objects.all(), units)
    kept = rollups.figures_for(units)
    for unit in units:
        for name in COUNTERS:
            assert getattr(counted[unit.pk], name) == getattr(kept[unit.pk], name), (unit, name)
        assert counted[unit.pk].ages == kept[unit.pk].ages
        assert counted[unit.pk].oldest_overdue == kept[unit.pk].oldest_overdue
    assert counted[world["city"].pk].tasks == Task.objects.count()


def test_a_district_supervisors_filtered_dashboard_counts_nothing_outside(sorted_world, east_supervisor, client):
    w = sorted_world
    board = dashboard.build(east_supervisor, term=w["long"])  # the whole scope: 东区
    assert board.figures.tasks == Task.objects.within(w["east"]).filter(term=w["long"]).count() == 3
    assert Task.objects.filter(term=w["long"]).count() == 5  # 西区 and 北区 have some too
    client.force_login(east_supervisor)
    for chosen in ({"term": w["long"]}, {"category": w["conduct"]}, {"phase": w["phase"].pk}):
        response = client.get(reverse("reports:dashboard"), chosen)
        assert response.status_code == 200
        assert "北区" not in response.content.decode() and w["west"].name not in response.content.decode()
        for which in ("rows", "ranking", "at_risk", "overdue"):
            text = client.get(reverse("reports:dashboard"), {**chosen, "export": "csv", "list": which}).content.decode("utf-8-sig")
            assert "北区" not in text and "西区" not in text, (chosen, which)
        assert_refused(client.get(reverse("reports:dashboard"), {**chosen, "unit": w["north"].pk}), 403)


def test_exports_honour_the_filters(sorted_world, leader, client):
    w = sorted_world
    client.force_login(leader)
    response = client.get(reverse("reports:dashboard"), {"unit": w["city"].pk, "term": w["long"], "export": "csv", "list": "rows"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    counts = {line[0]: line[1] for line in lines[1:]}
    assert counts[w["east"].name] == "3" and counts[w["west"].name] == "1" and counts[w["north"].name] == "1"
    response = client.get(reverse("reports:dashboard"), {"unit": w["east"].pk, "category": w["conduct"], "export": "xlsx", "list": "overdue"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [w["tasks"]["hundred"].title]


def test_the_page_says_it_counts_live_and_keeps_the_filters_in_the_url(sorted_world, leader, client):
    w = sorted_world
    client.force_login(leader)
    response = client.get(reverse("reports:dashboard"), {"unit": w["east_street"].pk, "term": w["long"], "category": w["conduct"]})
    body = response.content.decode()
    assert "按条件实时统计" in body
    assert "该阶段所属批次中、开始日期在该阶段内的任务。" in body  # the phase's rule, under its field
    assert f'?unit={w["east_community"].pk}&amp;term={w["long"]}&amp;category={w["conduct"]}' in body
    # the export links carry the filters
    assert f'?term={w["long"]}&amp;category={w["conduct"]}&amp;unit={w["east_street"].pk}&amp;export=xlsx' in body
    unfiltered = client.get(reverse("reports:dashboard"), {"unit": w["east_street"].pk}).content.decode()
    assert "按条件实时统计" not in unfiltered
    # a past day has no such figures; another batch's phase is refused, both said on the form
    other = BatchFactory(campaign=w["campaign"], number=3, name="第三批")
    response = client.get(reverse("reports:dashboard"), {"term": w["long"], "as_of": (TODAY() - 3 * DAY).isoformat(),
                                                         "batch": other.pk, "phase": w["phase"].pk})  # fmt: skip
    form = response.context["form"]
    assert "as_of" in form.errors and "phase" in form.errors
    assert response.context["board"].as_of == TODAY() and response.context["board"].live
