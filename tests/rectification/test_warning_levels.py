"""Warning levels at every boundary (DESIGN §3): the pure rule, the level that
``Task.save()`` stores, and the level that the sweep stores, all on fixed dates."""

import datetime
from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import timezone

from rectification import services
from rectification.models import Task, TaskStatus, Term, WarningLevel, WarningPolicy
from rectification.policy import Policy, default_policy, warning_level
from rectification.sweep import run_sweep
from tests.factories import BatchFactory, TaskFactory

TODAY = datetime.date(2026, 11, 28)
SHORT = Policy(window_days=3)
LONG = Policy(window_days=15)
UTC = datetime.timezone.utc


def days(n):
    return datetime.timedelta(days=n)


def shanghai_noon(date):
    """Noon in Asia/Shanghai on ``date``, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(12)))


def plain_task(due, status=TaskStatus.IN_PROGRESS, explained=False):
    return SimpleNamespace(
        status=status, due_date=due, explained_at=datetime.datetime(2026, 11, 1, tzinfo=UTC) if explained else None
    )


def level(due, policy=SHORT, **kwargs):
    return warning_level(plain_task(due, **kwargs), TODAY, policy)


# --- the pure rule ---------------------------------------------------------------


def test_a_task_due_today_is_yellow_not_red():
    assert level(TODAY) == WarningLevel.YELLOW


def test_a_task_due_yesterday_is_red():
    assert level(TODAY - days(1)) == WarningLevel.RED


def test_a_task_due_at_the_edge_of_the_window_is_yellow():
    assert level(TODAY + days(SHORT.window_days)) == WarningLevel.YELLOW
    assert level(TODAY + days(LONG.window_days), LONG) == WarningLevel.YELLOW


def test_a_task_due_one_day_beyond_the_window_is_on_schedule():
    assert level(TODAY + days(SHORT.window_days + 1)) == WarningLevel.NONE
    assert level(TODAY + days(LONG.window_days + 1), LONG) == WarningLevel.NONE


def test_a_closed_task_has_no_warning_whatever_its_date():
    for due in (TODAY - days(90), TODAY - days(1), TODAY, TODAY + days(2)):
        assert level(due, status=TaskStatus.CLOSED) == WarningLevel.NONE


def test_a_task_awaiting_verification_is_still_open():
    assert level(TODAY - days(1), status=TaskStatus.PENDING_VERIFICATION) == WarningLevel.RED
    assert level(TODAY + days(1), status=TaskStatus.PENDING_VERIFICATION) == WarningLevel.YELLOW


def test_overdue_by_more_than_30_days_escalates_even_when_explained():
    assert level(TODAY - days(30), explained=True) == WarningLevel.RED
    assert level(TODAY - days(31), explained=True) == WarningLevel.ESCALATED


def test_overdue_by_more_than_3_days_unexplained_escalates():
    assert level(TODAY - days(3)) == WarningLevel.RED
    assert level(TODAY - days(4)) == WarningLevel.ESCALATED
    assert level(TODAY - days(4), explained=True) == WarningLevel.RED


def test_the_thresholds_come_from_the_policy():
    strict = Policy(window_days=5, escalate_after_days=10, explanation_grace_days=0)
    assert level(TODAY + days(5), strict) == WarningLevel.YELLOW
    assert level(TODAY - days(1), strict) == WarningLevel.ESCALATED
    assert level(TODAY - days(10), strict, explained=True) == WarningLevel.RED
    assert level(TODAY - days(11), strict, explained=True) == WarningLevel.ESCALATED


def test_the_date_is_the_date_in_shanghai_not_in_utc():
    due = datetime.date(2026, 11, 28)
    late_evening_utc = datetime.datetime(2026, 11, 28, 16, 30, tzinfo=UTC)  # 00:30 on the 29th in Shanghai
    assert timezone.localdate(late_evening_utc) == datetime.date(2026, 11, 29)
    assert warning_level(plain_task(due), timezone.localdate(late_evening_utc), SHORT) == WarningLevel.RED
    before_midnight = datetime.datetime(2026, 11, 28, 15, 59, tzinfo=UTC)  # 23:59 on the 28th in Shanghai
    assert warning_level(plain_task(due), timezone.localdate(before_midnight), SHORT) == WarningLevel.YELLOW


# --- stored on save ---------------------------------------------------------------


@pytest.fixture
def frozen_today():
    with mock.patch("django.utils.timezone.now", return_value=shanghai_noon(TODAY)):
        yield TODAY


def test_save_stores_the_level_with_the_time_it_began(task, frozen_today):
    task.due_date = TODAY
    task.save()
    task.refresh_from_db()
    assert task.warning_level == WarningLevel.YELLOW
    assert task.warning_since == shanghai_noon(TODAY)


def test_changing_the_term_from_long_to_short_narrows_the_window(task, frozen_today):
    task.term, task.due_date = Term.LONG, TODAY + days(10)
    task.save()
    assert task.warning_level == WarningLevel.YELLOW
    task.term = Term.SHORT
    task.save()
    task.refresh_from_db()
    assert task.warning_level == WarningLevel.NONE
    assert task.warning_since is None


def test_a_campaign_policy_replaces_the_default_window(task, batch, frozen_today):
    WarningPolicy.objects.create(campaign=batch.campaign, term=Term.SHORT, window_days=10)
    assert WarningPolicy.objects.effective(batch.pk, Term.SHORT) == Policy(10, 30, 3)
    assert WarningPolicy.objects.effective(batch.pk, Term.LONG) == default_policy(Term.LONG)
    task.due_date = TODAY + days(10)
    task.save()
    assert task.warning_level == WarningLevel.YELLOW


def test_closing_a_task_clears_its_warning(task, frozen_today):
    task.due_date = TODAY - days(5)
    task.save()
    assert task.warning_level == WarningLevel.ESCALATED
    task.status = TaskStatus.CLOSED
    task.save()
    task.refresh_from_db()
    assert task.warning_level == WarningLevel.NONE


def test_an_approved_extension_counts_the_new_date_and_keeps_the_original(
    batch, city, unit_staff, supervisor_in_scope, frozen_today
):
    task = TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=TODAY - days(1))
    assert task.warning_level == WarningLevel.RED
    extension = services.request_extension(task, unit_staff, TODAY + days(2), "水源工程受冬季施工限制")
    services.decide_extension(extension, supervisor_in_scope, approve=True)
    task.refresh_from_db()
    assert (task.due_date, task.original_due_date) == (TODAY + days(2), TODAY - days(1))
    assert task.warning_level == WarningLevel.YELLOW


# --- stored by the sweep ------------------------------------------------------------


def make_task(batch, unit, due, term=Term.SHORT, **fields):
    """A task stored with a stale level, as it was before today's sweep."""
    task = TaskFactory(unit=unit, problem__batch=batch, term=term, due_date=due, **fields)
    Task.objects.filter(pk=task.pk).update(warning_level=WarningLevel.NONE, warning_since=None)
    return task


def swept_level(task):
    return Task.objects.values_list("warning_level", flat=True).get(pk=task.pk)


def test_the_sweep_uses_the_date_in_shanghai(batch, city):
    task = make_task(batch, city["east_community"], datetime.date(2026, 11, 28))
    run_sweep(now=datetime.datetime(2026, 11, 28, 15, 59, tzinfo=UTC))
    assert swept_level(task) == WarningLevel.YELLOW
    counts = run_sweep(now=datetime.datetime(2026, 11, 28, 16, 30, tzinfo=UTC))
    assert swept_level(task) == WarningLevel.RED
    assert counts["today"] == "2026-11-29"
    assert counts["red"] == 1


def test_the_sweep_applies_each_boundary(batch, city):
    unit = city["east_community"]
    expected = {
        make_task(batch, unit, TODAY): WarningLevel.YELLOW,
        make_task(batch, unit, TODAY - days(1)): WarningLevel.RED,
        make_task(batch, unit, TODAY + days(3)): WarningLevel.YELLOW,
        make_task(batch, unit, TODAY + days(4)): WarningLevel.NONE,
        make_task(batch, unit, TODAY + days(15), term=Term.LONG): WarningLevel.YELLOW,
        make_task(batch, unit, TODAY + days(16), term=Term.LONG): WarningLevel.NONE,
        make_task(batch, unit, TODAY + days(1), term=Term.IMMEDIATE): WarningLevel.YELLOW,
        make_task(batch, unit, TODAY + days(2), term=Term.IMMEDIATE): WarningLevel.NONE,
        make_task(batch, unit, TODAY - days(3)): WarningLevel.RED,
        make_task(batch, unit, TODAY - days(4)): WarningLevel.ESCALATED,
        make_task(batch, unit, TODAY - days(30), explained_at=shanghai_noon(TODAY)): WarningLevel.RED,
        make_task(batch, unit, TODAY - days(31), explained_at=shanghai_noon(TODAY)): WarningLevel.ESCALATED,
        make_task(batch, unit, TODAY - days(1), status=TaskStatus.PENDING_VERIFICATION): WarningLevel.RED,
    }
    run_sweep(now=shanghai_noon(TODAY))
    assert {task.pk: swept_level(task) for task in expected} == {task.pk: lvl for task, lvl in expected.items()}


def test_the_sweep_clears_the_level_of_closed_tasks(batch, city):
    task = make_task(batch, city["east_community"], TODAY - days(10))
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.CLOSED, warning_level=WarningLevel.RED, warning_since=shanghai_noon(TODAY)
    )
    counts = run_sweep(now=shanghai_noon(TODAY))
    task.refresh_from_db()
    assert (task.warning_level, task.warning_since) == (WarningLevel.NONE, None)
    assert counts["none"] == 1
    assert not task.alerts.exists()


def test_the_sweep_uses_each_campaigns_policy_per_term(batch, city):
    other_batch = BatchFactory()
    WarningPolicy.objects.create(campaign=batch.campaign, term=Term.SHORT, window_days=10)
    ours = make_task(batch, city["east_community"], TODAY + days(10))
    theirs = make_task(other_batch, city["west_community"], TODAY + days(10))
    ours_long = make_task(batch, city["east_community"], TODAY + days(16), term=Term.LONG)
    run_sweep(now=shanghai_noon(TODAY))
    assert swept_level(ours) == WarningLevel.YELLOW
    assert swept_level(theirs) == WarningLevel.NONE
    assert swept_level(ours_long) == WarningLevel.NONE


def test_the_sweep_sets_warning_since_only_where_the_level_changes(batch, city):
    earlier = shanghai_noon(TODAY - days(2))
    unchanged = make_task(batch, city["east_community"], TODAY - days(1))
    Task.objects.filter(pk=unchanged.pk).update(warning_level=WarningLevel.RED, warning_since=earlier)
    changed = make_task(batch, city["east_community"], TODAY + days(1))
    run_sweep(now=shanghai_noon(TODAY))
    unchanged.refresh_from_db()
    changed.refresh_from_db()
    assert unchanged.warning_since == earlier
    assert changed.warning_since == shanghai_noon(TODAY)
