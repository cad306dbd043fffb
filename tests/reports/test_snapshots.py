"""Daily snapshots (issue 11): one row per unit and day however often the job runs; a day
rebuilt from the tasks' history equals what the job saved; later changes stay out of it."""

import datetime

import pytest
from django.utils import timezone

from campaign.models import Unit
from rectification import rollups
from rectification.models import Task, TaskStatus
from reports import snapshots
from reports.models import UnitSnapshot
from reports.tasks import take_snapshots
from tests.factories import BatchFactory, CampaignFactory, TaskFactory

DAY = datetime.timedelta(days=1)
FIELDS = snapshots.FIELDS


@pytest.fixture
def tasks(city):
    today = timezone.localdate()
    batch = BatchFactory(campaign=CampaignFactory(issuing_unit=city["city"]), number=1, name="第一批")
    made = []
    for unit, due_in in ((city["east_community"], -2), (city["east_community"], -45), (city["west_community"], -8),
                         (city["west_street"], 10), (city["east"], 200)):  # fmt: skip
        made.append(TaskFactory(unit=unit, problem__batch=batch, start_date=today - 300 * DAY, due_date=today + due_in * DAY))
    return made


def saved(day):
    return {row["unit_id"]: row for row in UnitSnapshot.objects.filter(day=day).values("unit_id", *FIELDS)}


def test_the_daily_job_is_idempotent(tasks):
    today = timezone.localdate()
    take_snapshots()
    first = saved(today)
    take_snapshots(today.isoformat())
    assert UnitSnapshot.objects.filter(day=today).count() == Unit.objects.count()
    assert saved(today) == first


def test_snapshot_holds_the_rollup_figures(tasks, city):
    today = timezone.localdate()
    snapshots.take(today)
    for unit in Unit.objects.all():
        live = rollups.figures(unit, today=today)
        [kept] = snapshots.figures_on([unit.pk], today).values()
        assert (kept.tasks, kept.overdue, kept.level_escalated, kept.ages, kept.oldest_overdue) == (
            live.tasks, live.overdue, live.level_escalated, live.ages, live.oldest_overdue
        )  # fmt: skip
    assert snapshots.figures_on([city["city"].pk], today)[city["city"].pk].tasks == Task.objects.count()


def test_a_rebuilt_day_equals_what_the_job_saved(tasks, city):
    today = timezone.localdate()
    # a day's work: a closing
    closed = Task.objects.get(pk=tasks[3].pk)
    closed.status, closed.closed_at, closed.progress = TaskStatus.CLOSED, timezone.now(), 100
    closed.save()
    snapshots.take(today)
    job = saved(today)
    snapshots.rebuild(today)
    assert saved(today) == job


def test_a_rebuilt_past_day_leaves_out_what_came_after(tasks, city):
    today = timezone.localdate()
    three_days_ago = today - 3 * DAY
    # every task existed three days ago (as its history says) …
    Task.history.update(history_date=timezone.now() - 4 * DAY)
    # … and one was closed today
    task = Task.objects.get(pk=tasks[0].pk)
    task.status, task.closed_at, task.progress = TaskStatus.CLOSED, timezone.now(), 100
    task.save()
    snapshots.rebuild(three_days_ago)
    row = snapshots.figures_on([city["city"].pk], three_days_ago)[city["city"].pk]
    assert row.closed == 0 and row.tasks == 5
    # ages on that day: overdue by 2 days today means not yet due three days ago
    assert row.overdue == 2  # 45 - 3 = 42 days and 8 - 3 = 5 days overdue
    assert row.ages == {"1-7": 1, "8-30": 0, "31-90": 1, "91+": 0}


def test_the_command_rebuilds_a_past_day(tasks):
    from django.core.management import call_command

    day = timezone.localdate() - 2 * DAY
    call_command("snapshot_day", "--rebuild", day.isoformat())
    call_command("snapshot_day", "--rebuild", day.isoformat())
    assert UnitSnapshot.objects.filter(day=day).count() == Unit.objects.count()
