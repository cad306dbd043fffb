"""The overdue sweep: set-based, constant statements, alerts once, job recorded."""

import datetime
import io
import itertools
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rectification.jobs import job_run, latest_runs, queue_counts, recorded
from rectification.models import Alert, JobRun, Notification, Task, TaskStatus, Term, WarningLevel, WarningPolicy
from rectification.policy import warning_level
from rectification.sweep import run_sweep
from tests.factories import BatchFactory, ProblemFactory, TaskFactory, UserFactory
from tests.rectification.shared_db import connect_this_thread, shared_database

TODAY = datetime.date(2026, 11, 28)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 28, 9, 0))  # Asia/Shanghai


def days(n):
    return datetime.timedelta(days=n)


def bulk_tasks(batch, unit, count, today=TODAY, spread=range(-45, 25)):
    """``count`` open tasks with due dates, terms, explanations and statuses
    spread over every case, stored with level NONE as before a first sweep."""
    problem = ProblemFactory(batch=batch, unit=unit)
    offsets = itertools.cycle(spread)
    terms = itertools.cycle(Term.values)
    explained = itertools.cycle([None, None, NOW - days(2)])
    statuses = itertools.cycle([TaskStatus.IN_PROGRESS] * 6 + [TaskStatus.PENDING_VERIFICATION])
    tasks = []
    for i in range(count):
        due = today + days(next(offsets))
        tasks.append(
            Task(
                problem=problem,
                batch=batch,
                unit=unit,
                unit_path=unit.path,
                title=f"批量整改任务{i}",
                measures="落实整改措施",
                leader_name="王书记",
                person_name="李干事",
                term=next(terms),
                start_date=datetime.date(2026, 3, 1),
                due_date=due,
                original_due_date=due,
                status=next(statuses),
                explained_at=next(explained),
            )
        )
    return Task.objects.bulk_create(tasks, batch_size=2000)


def statements_of_a_sweep(now=NOW):
    with CaptureQueriesContext(connection) as captured:
        run_sweep(now=now)
    return len(captured.captured_queries)


def expected_level(task, today=TODAY):
    return warning_level(task, today, WarningPolicy.objects.effective(task.batch_id, task.term))


# --- set-based -----------------------------------------------------------------------


def test_the_sweep_runs_as_many_statements_for_1000_tasks_as_for_100(batch, city):
    bulk_tasks(batch, city["east_community"], 100)
    small = statements_of_a_sweep()
    Task.objects.update(warning_level=WarningLevel.NONE)
    bulk_tasks(batch, city["west_community"], 900)
    assert Task.objects.count() == 1000
    assert statements_of_a_sweep() == small


def test_more_campaigns_with_their_own_policies_add_no_statements(batch, city):
    bulk_tasks(batch, city["east_community"], 50)
    before = statements_of_a_sweep()
    for window in (5, 6, 7):
        other = BatchFactory()
        WarningPolicy.objects.create(campaign=other.campaign, term=Term.SHORT, window_days=window)
        bulk_tasks(other, city["west_community"], 50)
    Task.objects.update(warning_level=WarningLevel.NONE)
    assert statements_of_a_sweep() == before


def test_the_sweep_runs_as_many_statements_for_10000_tasks(batch, city):
    bulk_tasks(batch, city["east_community"], 100)
    small = statements_of_a_sweep()
    bulk_tasks(batch, city["west_community"], 9900)
    Task.objects.update(warning_level=WarningLevel.NONE)
    assert statements_of_a_sweep() == small
    assert Alert.objects.count() == Task.objects.exclude(warning_level=WarningLevel.NONE).count()


# --- the rule, task by task -------------------------------------------------------------


def test_levels_after_the_sweep_equal_the_rule_for_every_task(batch, city):
    strict = BatchFactory()
    WarningPolicy.objects.create(
        campaign=strict.campaign, term=Term.LONG, window_days=20, escalate_after_days=10, explanation_grace_days=0
    )
    WarningPolicy.objects.create(campaign=strict.campaign, term=Term.IMMEDIATE, window_days=1)  # = default
    bulk_tasks(batch, city["east_community"], 420)
    bulk_tasks(strict, city["west_community"], 420)
    closed = bulk_tasks(batch, city["east_street"], 30)
    Task.objects.filter(pk__in=[t.pk for t in closed]).update(status=TaskStatus.CLOSED, warning_level=WarningLevel.RED)
    run_sweep(now=NOW)
    tasks = Task.objects.select_related("batch")
    mismatches = [
        (t.term, (t.due_date - TODAY).days, t.explained_at is not None, t.status, t.warning_level, expected_level(t))
        for t in tasks
        if t.warning_level != expected_level(t)
    ]
    assert mismatches == []
    assert {t.warning_level for t in tasks} == set(WarningLevel.values)


def test_levels_stay_equal_to_the_rule_day_after_day(batch, city):
    bulk_tasks(batch, city["east_community"], 300, spread=range(-35, 20))
    for offset in range(0, 40, 3):
        today = TODAY + days(offset)
        run_sweep(now=NOW + days(offset))
        tasks = Task.objects.select_related("batch")
        assert [t.pk for t in tasks if t.warning_level != expected_level(t, today)] == []


def test_the_counts_say_how_many_tasks_changed_to_each_level(batch, city):
    unit = city["east_community"]
    for due in (TODAY, TODAY + days(1), TODAY - days(1), TODAY - days(40), TODAY + days(60)):
        TaskFactory(unit=unit, problem__batch=batch, due_date=due)
    Task.objects.update(warning_level=WarningLevel.NONE, warning_since=None)
    counts = run_sweep(now=NOW)
    assert counts == {
        "today": "2026-11-28",
        "yellow": 2,
        "red": 1,
        "escalated": 1,
        "none": 0,
        "alerts_created": 4,
    }


# --- alerts ----------------------------------------------------------------------------------


def test_it_raises_one_alert_per_task_level_and_due_date(batch, city):
    task = TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=TODAY - days(1))
    run_sweep(now=NOW)
    assert list(task.alerts.values_list("level", "due_date", "processed_at")) == [
        (WarningLevel.RED, TODAY - days(1), None)
    ]


def test_a_second_sweep_changes_nothing_and_raises_no_alert(batch, city):
    bulk_tasks(batch, city["east_community"], 200)
    first = run_sweep(now=NOW)
    assert first["alerts_created"] == Task.objects.filter(warning_level__gt=0).exclude(status="closed").count() > 0
    second = run_sweep(now=NOW)
    assert second == {"today": "2026-11-28", "yellow": 0, "red": 0, "escalated": 0, "none": 0, "alerts_created": 0}
    assert Alert.objects.count() == first["alerts_created"]


def test_a_task_getting_worse_or_a_new_due_date_raises_a_new_alert(batch, city):
    task = TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=TODAY - days(2))
    run_sweep(now=NOW)
    run_sweep(now=NOW + days(2))  # four days overdue, unexplained: escalated
    Task.objects.filter(pk=task.pk).update(due_date=TODAY + days(5))  # an extension
    run_sweep(now=NOW + days(3))
    assert list(task.alerts.order_by("pk").values_list("level", "due_date")) == [
        (WarningLevel.RED, TODAY - days(2)),
        (WarningLevel.ESCALATED, TODAY - days(2)),
        (WarningLevel.YELLOW, TODAY + days(5)),
    ]


def test_a_task_back_on_schedule_or_closed_raises_no_alert(batch, city):
    on_schedule = TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=TODAY + days(30))
    closed = TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=TODAY - days(3))
    Task.objects.filter(pk=closed.pk).update(status=TaskStatus.CLOSED)
    run_sweep(now=NOW)
    assert not Alert.objects.filter(task__in=[on_schedule, closed]).exists()


def test_an_alert_already_raised_by_a_sweep_that_lost_its_levels_is_not_raised_again(batch, city):
    """A level reset by hand and swept again meets its old alert: nothing new."""
    bulk_tasks(batch, city["east_community"], 60)
    run_sweep(now=NOW)
    alerts = Alert.objects.count()
    Task.objects.update(warning_level=WarningLevel.NONE)
    counts = run_sweep(now=NOW)
    assert counts["alerts_created"] == 0
    assert Alert.objects.count() == alerts


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_add_nothing_twice(city, tmp_path):
    """Two sweeps started together (two connections; on SQLite through a file,
    as in the embedded shape) raise each alert once."""
    batch = BatchFactory()
    bulk_tasks(batch, city["east_community"], 300)
    errors, results = [], []
    start = threading.Barrier(2)

    def sweep(database):
        try:
            connect_this_thread(database)
            start.wait()
            results.append(run_sweep(now=NOW))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connections.close_all()

    with shared_database(tmp_path) as database:
        threads = [threading.Thread(target=sweep, args=[database]) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    flagged = Task.objects.filter(warning_level__gt=0).count()
    assert Alert.objects.count() == flagged
    assert sorted(r["alerts_created"] for r in results) == [0, flagged]
    assert sum(r["red"] + r["yellow"] + r["escalated"] for r in results) == flagged


# --- the job record ---------------------------------------------------------------------------


def test_each_sweep_is_recorded_with_its_changes(batch, city):
    TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=TODAY)
    Task.objects.update(warning_level=WarningLevel.NONE)
    counts = run_sweep(now=NOW)
    run = JobRun.objects.get(name="overdue_sweep")
    assert run.ok and run.finished_at and run.duration_ms is not None
    assert run.changes == counts


@pytest.mark.django_db
def test_a_failing_job_is_recorded_with_its_error_and_raised():
    with pytest.raises(ZeroDivisionError):
        with job_run("failing_job") as run:
            run.changes = {"started": 1}
            1 / 0
    run = JobRun.objects.get(name="failing_job")
    assert not run.ok
    assert "ZeroDivisionError" in run.error
    assert run.finished_at is not None


@pytest.mark.django_db
def test_a_decorated_job_records_the_dict_it_returns():
    @recorded("digest")
    def send_digest(day):
        return {"sent": 3, "day": day}

    assert send_digest("2026-11-28") == {"sent": 3, "day": "2026-11-28"}
    assert JobRun.objects.get(name="digest").changes == {"sent": 3, "day": "2026-11-28"}


@pytest.mark.django_db
def test_latest_runs_give_each_jobs_last_run_and_last_success():
    with job_run("reminders") as run:
        run.changes = {"sent": 1}
    with pytest.raises(RuntimeError):
        with job_run("reminders"):
            raise RuntimeError("SMTP down")
    with job_run("digest"):
        pass
    runs = {run.name: run for run in latest_runs()}
    assert set(runs) == {"reminders", "digest"}
    assert not runs["reminders"].ok and "SMTP down" in runs["reminders"].error
    assert runs["reminders"].last_ok_at is not None
    assert runs["digest"].ok


def test_queue_counts_count_unprocessed_alerts_and_waiting_or_failed_emails(task):
    user = UserFactory()
    alert = Alert.objects.create(task=task, level=WarningLevel.RED, due_date=task.due_date)
    Alert.objects.create(task=task, level=WarningLevel.ESCALATED, due_date=task.due_date, processed_at=NOW)
    for i, status in enumerate(["pending", "pending", "failed", "sent", "sending"]):
        Notification.objects.create(
            user=user, alert=alert, kind="alert", key=f"k{i}", title="超期", email_status=status
        )
    assert queue_counts() == {"alerts_unprocessed": 1, "emails_pending": 2, "emails_sending": 1, "emails_failed": 1,
                              "robot_messages_pending": 0, "robot_messages_failed": 0}


# --- commands -----------------------------------------------------------------------------------


def test_sweep_overdue_prints_the_counts(batch, city):
    TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=datetime.date(2026, 11, 28))
    Task.objects.update(warning_level=WarningLevel.NONE)
    out = io.StringIO()
    call_command("sweep_overdue", "--now", "2026-11-29T00:30", stdout=out)
    assert "Overdue sweep for 2026-11-29" in out.getvalue()
    assert "tasks now red: 1" in out.getvalue()
    assert "alerts created: 1" in out.getvalue()


@pytest.mark.django_db
def test_sweep_overdue_refuses_a_malformed_moment():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("sweep_overdue", "--now", "yesterday", stdout=io.StringIO())


def test_job_status_prints_each_jobs_last_run_and_the_queues(task):
    run_sweep(now=NOW)
    with pytest.raises(RuntimeError):
        with job_run("notifications.send_emails"):
            raise RuntimeError("SMTP connection refused")
    out = io.StringIO()
    call_command("job_status", stdout=out, no_color=True)
    text = out.getvalue()
    assert "overdue_sweep: ok" in text
    assert "notifications.send_emails: FAILED" in text
    assert "error: RuntimeError: SMTP connection refused" in text
    assert "last success: never" in text
    assert "alerts waiting for notifications: 0" in text
    assert "e-mails pending: 0, sending: 0, failed: 0" in text


@pytest.mark.django_db
def test_job_status_says_when_no_job_has_run():
    out = io.StringIO()
    call_command("job_status", stdout=out)
    assert "No job has run yet." in out.getvalue()


# --- the benchmark command ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_bench_sweep_times_the_sweep_against_one_update_and_removes_what_it_made():
    from campaign.models import Batch, Campaign, Unit
    from rectification.models import Problem

    out = io.StringIO()
    call_command("bench_sweep", "--tasks", "90", "--rounds", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert "levels: identical after every run (tasks changed; count and id sum per level)" in lines
    assert sum(line.startswith("round ") for line in lines) == 4
    assert lines[-2].startswith("ratio: ") and float(lines[-2].split()[1]) > 0
    assert lines[-1].startswith("cleanup: ")
    for model in (Task, Alert, Problem, Batch, Campaign, Unit, JobRun, WarningPolicy):
        assert not model.objects.exists(), model
    assert not Problem.history.exists()


@pytest.mark.django_db(transaction=True)
def test_bench_sweep_refuses_a_database_with_tasks_of_its_own(city):
    from django.core.management.base import CommandError

    from campaign.models import Campaign

    task = TaskFactory(unit=city["east_community"])
    with pytest.raises(CommandError, match="scratch database"):
        call_command("bench_sweep", "--tasks", "10", stdout=io.StringIO())
    assert list(Task.objects.all()) == [task]
    assert list(Campaign.objects.all()) == [task.batch.campaign]
