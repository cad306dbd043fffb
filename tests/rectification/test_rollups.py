"""Per-unit roll-ups (issue 10): after every kind of change, the figures read from
the roll-ups equal those counted live from the tasks, for every unit of the tree."""

import datetime

import pytest
from django.utils import timezone

from campaign.models import UnitKind
from rectification import rollups, services
from rectification.models import RollupChange, Task, TaskRollup, TaskStatus, WarningLevel
from rectification.sweep import run_sweep
from tests.factories import TaskFactory, UnitFactory

TODAY = datetime.date(2026, 11, 28)


def live(unit, today, batch=None):
    """The figures of ``unit``'s subtree counted from its tasks, one by one."""
    tasks = Task.objects.within(unit)
    if batch is not None:
        tasks = tasks.filter(batch=batch)
    expected = rollups.Figures(unit=unit, today=today)
    for task in tasks:
        state = rollups.counted(task)
        for name, value in state.counters().items():
            setattr(expected, name, getattr(expected, name) + value)
        if state.is_open and task.due_date < today:
            days = (today - task.due_date).days
            for name, first, last in rollups.AGE_BUCKETS:
                if days >= first and (last is None or days <= last):
                    expected.ages[name] += 1
            if expected.oldest_overdue is None or task.due_date < expected.oldest_overdue:
                expected.oldest_overdue = task.due_date
    # and the stored levels and statuses as the task list counts them
    counts = tasks.counts()
    assert counts["total"] == expected.tasks
    assert counts["overdue"] == expected.overdue
    return expected


def assert_rollups_match(tree, today=TODAY, batch=None):
    for unit in tree.values():
        unit.refresh_from_db()  # paths change when a unit moves
        kept = rollups.figures(unit, batch=batch, today=today)
        expected = live(unit, today, batch)
        assert (kept.__dict__ | {"unit": None}) == (expected.__dict__ | {"unit": None}), unit.name


def assert_same_after_compaction_and_rebuild(tree, today=TODAY):
    assert_rollups_match(tree, today)
    rollups.compact()
    assert not RollupChange.objects.exists()
    assert_rollups_match(tree, today)
    rollups.rebuild()
    assert_rollups_match(tree, today)


@pytest.fixture
def tasks(city, batch):
    """Tasks at every level: open, overdue by various ages, awaiting verification, closed."""
    made = []
    due_dates = [TODAY + datetime.timedelta(days=d) for d in (30, 2, -1, -5, -20, -45, -120)]
    for index, unit in enumerate([city["east_community"], city["east_street"], city["west_community"], city["east"]]):
        for due in due_dates[index:]:
            made.append(TaskFactory(unit=unit, problem__batch=batch, due_date=due, start_date=TODAY - datetime.timedelta(days=200)))
    return made


@pytest.mark.django_db
class TestRollupsEqualLiveCounts:
    def test_new_tasks(self, city, tasks):
        assert rollups.figures(city["city"], today=TODAY).tasks == len(tasks)
        assert_same_after_compaction_and_rebuild(city)

    def test_progress_explanation_and_closing(self, city, tasks, unit_staff, supervisor_in_scope, photo):
        task = tasks[3]  # east community, 5 days overdue
        services.add_progress(task, unit_staff, entry_date=TODAY, text="进行中", percent=60, files=[photo])
        services.give_explanation(task, unit_staff, "funds", "资金未到位")
        assert_rollups_match(city, timezone.localdate())
        services.request_verification(task, unit_staff, "已完成")
        assert_rollups_match(city, timezone.localdate())
        services.approve_closing(task, supervisor_in_scope)
        figures = rollups.figures(city["east_community"])
        assert figures.closed == 1
        assert_same_after_compaction_and_rebuild(city, timezone.localdate())

    def test_returning_and_reopening(self, city, tasks, unit_staff, supervisor_in_scope, photo):
        task = tasks[0]
        services.add_progress(task, unit_staff, entry_date=TODAY, text="完成", percent=100, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        services.return_task(task, supervisor_in_scope, "材料不全")
        assert_rollups_match(city)
        services.request_verification(task, unit_staff, "补充材料")
        services.approve_closing(task, supervisor_in_scope)
        assert rollups.figures(city["city"]).closed == 1
        services.reopen_task(task, supervisor_in_scope, "抽查未通过")
        assert rollups.figures(city["city"]).closed == 0
        assert_same_after_compaction_and_rebuild(city)

    def test_extension(self, city, tasks, unit_staff, supervisor_in_scope):
        task = tasks[4]  # 20 days overdue
        request = services.request_extension(task, unit_staff, TODAY + datetime.timedelta(days=40), "资金")
        services.decide_extension(request, supervisor_in_scope, approve=True)
        figures = rollups.figures(city["east_community"], today=TODAY)
        assert figures.extended == 1
        assert_same_after_compaction_and_rebuild(city)

    def test_move_of_a_unit(self, city, tasks):
        street = city["east_street"]
        street.parent = city["west"]
        street.save()
        assert rollups.figures(city["east"]).tasks == len([t for t in tasks if t.unit_id == city["east"].pk])
        assert_same_after_compaction_and_rebuild(city)

    def test_sweep(self, city, tasks):
        Task.objects.update(warning_level=WarningLevel.NONE, warning_since=None)  # as before a first sweep
        rollups.rebuild()
        run_sweep(now=timezone.make_aware(datetime.datetime(2026, 11, 28, 1, 0)))
        assert rollups.figures(city["city"], today=TODAY).level_escalated > 0
        assert_rollups_match(city)
        # the next month: levels move again
        run_sweep(now=timezone.make_aware(datetime.datetime(2026, 12, 28, 1, 0)))
        assert_same_after_compaction_and_rebuild(city, datetime.date(2026, 12, 28))

    def test_deletion(self, city, tasks):
        Task.objects.filter(pk=tasks[-1].pk).delete()
        assert_same_after_compaction_and_rebuild(city)

    def test_bulk_created_tasks(self, city, batch, tasks):
        template = tasks[0]
        made = Task.objects.bulk_create(
            [
                Task(
                    problem=template.problem,
                    batch=batch,
                    unit=city["west_street"],
                    unit_path=city["west_street"].path,
                    title=f"导入任务{n}",
                    measures="措施",
                    term=template.term,
                    start_date=TODAY,
                    due_date=TODAY - datetime.timedelta(days=n),
                    original_due_date=TODAY - datetime.timedelta(days=n),
                    status=TaskStatus.IN_PROGRESS,
                )
                for n in range(1, 4)
            ]
        )
        rollups.tasks_added(Task.objects.filter(pk__in=[task.pk for task in made]))
        assert_same_after_compaction_and_rebuild(city)


@pytest.mark.django_db
def test_ages_and_rates(city, tasks):
    figures = rollups.figures(city["city"], today=TODAY)
    # due -1, -5 (8-30: -20), (31-90: -45), (91+: -120), over the four units that hold them
    assert figures.ages == {"1-7": 3 + 4, "8-30": 4, "31-90": 4, "91+": 4}
    assert figures.oldest_overdue == TODAY - datetime.timedelta(days=120)
    assert figures.oldest_overdue_days == 120
    assert figures.completion_rate == 0.0 and figures.on_time_rate is None


@pytest.mark.django_db
def test_child_figures_are_read_in_two_queries_whatever_the_number_of_children(city, tasks, django_assert_num_queries):
    for n in range(5):
        UnitFactory(parent=city["east"], name=f"新街道{n}", kind=UnitKind.STREET)
    east = city["east"]
    children = list(east.children.order_by("path"))
    with django_assert_num_queries(2):
        rows = rollups.child_figures(east, children=children, today=TODAY)
    assert [row.unit for row in rows] == children
    assert sum(row.tasks for row in rows) == rollups.figures(east).tasks - Task.objects.filter(unit=east).count()


@pytest.mark.django_db
def test_a_batch_filter_counts_only_that_batch(city, tasks, campaign):
    from tests.factories import BatchFactory

    other = BatchFactory(campaign=campaign, number=1, name="第一批")
    TaskFactory(unit=city["west_community"], problem__batch=other, due_date=TODAY)
    assert rollups.figures(city["city"], batch=other).tasks == 1
    assert rollups.figures(city["city"], campaign=campaign).tasks == len(tasks) + 1
    assert_rollups_match(city, batch=other)


@pytest.mark.django_db
def test_rebuild_leaves_one_row_per_unit_and_batch(city, tasks):
    rollups.rebuild()
    units_with_tasks = {unit.pk for unit in city.values() if Task.objects.within(unit).exists()}
    assert set(TaskRollup.objects.values_list("unit_id", flat=True)) == units_with_tasks
