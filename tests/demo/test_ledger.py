import datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from campaign import permissions
from campaign.models import Unit, UnitKind
from campaign.permissions import DECIDE, EDIT, REPORT
from rectification import services
from rectification.models import (
    AccountabilityRecord,
    CoordinationRequest,
    Evidence,
    Explanation,
    ExtensionRequest,
    Problem,
    SpotCheck,
    Task,
    TaskStatus,
    Urge,
    Verification,
    WarningLevel,
)
from rectification.models.decisions import Decision
from rectification.models.problems import ProblemSource
from rectification.models.supervision import AccountabilityMeasure
from rectification.uploads import check_upload
from tests.rectification.conftest import png_bytes

pytestmark = pytest.mark.django_db

WATER_PIPES = "明达东路社区自来水管网改造"


def run_command():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(demo_city):
    """The demo as load_demo leaves it (loaded once per session; changes roll back)."""


def user(username):
    return get_user_model().objects.get(username=username)


def unit(short_name):
    return Unit.objects.get(short_name=short_name)


def counts_by(queryset, field):
    return dict(queryset.values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def row_counts():
    models = [*apps.get_app_config("rectification").get_models(), *apps.get_app_config("campaign").get_models()]
    return {model._meta.label: model.objects.count() for model in models} | {
        "auth.User": get_user_model().objects.count()
    }


def task_rows():
    return list(Task.objects.order_by("pk").values())


def test_a_second_run_adds_nothing_and_changes_nothing(demo):
    before, tasks_before = row_counts(), task_rows()
    problems_before = list(Problem.objects.order_by("pk").values())

    output = run_command()

    assert row_counts() == before
    assert task_rows() == tasks_before
    assert list(Problem.objects.order_by("pk").values()) == problems_before
    assert "nothing created" in output


def test_the_command_prints_the_ledger_summary_and_the_demo_logins():
    output = run_command()

    assert "Rectification ledger:" in output
    assert "Task" in output and "Problem" in output  # what the first run created
    for username in ("staff", "supervisor", "leader", "admin"):
        assert username in output


def test_the_ledger_spans_the_districts_and_departments_with_every_source_and_term(demo):
    tasks = Task.objects.select_related("unit")

    assert 25 <= tasks.count() <= 40
    assert tasks.filter(unit__kind=UnitKind.DEPARTMENT, unit__depth=1).values("unit").distinct().count() >= 5
    for short_name in ("海勃湾区", "海南区", "乌达区"):
        assert tasks.filter(unit_path__startswith=unit(short_name).path).exists()
    assert set(Problem.objects.values_list("source", flat=True)) == set(ProblemSource.values)
    assert set(tasks.values_list("term", flat=True)) == {"immediate", "short", "long"}
    assert all(task.leader_name and task.person_name and task.measures for task in tasks)


def test_tasks_are_in_every_status_and_warning_level(demo):
    open_tasks = Task.objects.open()

    assert set(counts_by(Task.objects.all(), "status")) == set(TaskStatus.values)
    assert set(counts_by(open_tasks, "warning_level")) == set(WarningLevel.values)
    red = open_tasks.filter(warning_level=WarningLevel.RED)
    assert red.filter(explained_at__isnull=False).exists()  # overdue, explanation given
    assert red.filter(explained_at__isnull=True).exists()  # overdue, explanation still due
    escalated = open_tasks.filter(warning_level=WarningLevel.ESCALATED)
    today = timezone.localdate()
    assert escalated.filter(due_date__lt=today - datetime.timedelta(days=30)).exists()
    assert escalated.filter(
        explained_at__isnull=True, due_date__gte=today - datetime.timedelta(days=30)
    ).exists()  # unexplained more than 3 days after the due date


def test_the_stored_warning_levels_are_the_rule_applied_today(demo):
    for task in Task.objects.select_related("batch"):
        level = task.warning_level
        assert not task.refresh_warning_level(), task.title
        assert task.warning_level == level
        assert (task.warning_since is None) == (level == WarningLevel.NONE)


def test_closing_requests_are_pending_returned_and_approved_by_real_people(demo):
    supervisor = user("supervisor")

    assert set(counts_by(Verification.objects.all(), "outcome")) == set(Verification.Outcome.values)
    pending = Task.objects.filter(status=TaskStatus.PENDING_VERIFICATION)
    assert pending.exists()
    assert all(task.evidence.exists() for task in pending)
    returned = Verification.objects.get(outcome=Verification.Outcome.RETURNED)
    assert returned.decided_by == supervisor and returned.reason
    assert returned.task.status == TaskStatus.IN_PROGRESS
    closed_by_supervisor = Task.objects.filter(
        status=TaskStatus.CLOSED, verifications__decided_by=supervisor, verifications__outcome="approved"
    )
    assert closed_by_supervisor.exists()
    assert all(task.evidence.exists() and task.closed_at for task in closed_by_supervisor)


def test_one_extension_was_approved_keeping_the_original_date_and_one_waits(demo):
    approved = ExtensionRequest.objects.get(decision=Decision.APPROVED)
    pending = ExtensionRequest.objects.get(decision=Decision.PENDING)

    assert approved.task.due_date == approved.requested_due_date
    assert approved.task.original_due_date == approved.previous_due_date < approved.task.due_date
    assert approved.task.was_extended
    assert approved.decided_by == user("supervisor")
    assert pending.task.is_overdue and not pending.task.was_extended
    assert pending.task.explanations.exists()


def test_some_overdue_explanations_were_reviewed_and_one_waits_for_the_supervisor(demo):
    supervisor = user("supervisor")
    explanations = Explanation.objects.filter(task__unit_path__startswith=unit("乌达区").path)

    assert explanations.filter(reviewed_by=supervisor, reviewed_at__isnull=False).exclude(review_note="").exists()
    waiting = explanations.get(reviewed_at__isnull=True)
    assert waiting.task.is_overdue and permissions.may(supervisor, DECIDE, waiting)


def test_coordination_requests_are_open_answered_and_resolved(demo):
    assert set(counts_by(CoordinationRequest.objects.all(), "status")) == set(CoordinationRequest.Status.values)
    for request in CoordinationRequest.objects.exclude(status=CoordinationRequest.Status.OPEN):
        assert request.replies.filter(unit=request.to_unit).exists()
    assert CoordinationRequest.objects.filter(status=CoordinationRequest.Status.OPEN, replies__isnull=True).exists()


def test_a_spot_check_by_the_third_group_returned_a_closed_task_with_a_new_due_date(demo):
    check = SpotCheck.objects.get(group__name="市委第三督导组")
    failed = check.findings.get(passed=False)

    assert check.findings.filter(passed=True).exists()
    assert failed.note
    assert failed.task.status == TaskStatus.IN_PROGRESS
    assert failed.new_due_date and failed.task.due_date == failed.new_due_date > timezone.localdate()
    assert failed.task.warning_level < WarningLevel.RED  # counted from the new date, not the old one
    # the units' own 回头看 and rectification work was checked as well
    assert {(f.unit.short_name, f.passed) for f in check.unit_findings.all()} == {("富强社区", False), ("明达东路社区", True)}
    assert failed.task.history.filter(status=TaskStatus.CLOSED).exists()
    assert failed.task.verifications.filter(outcome=Verification.Outcome.APPROVED).exists()


def test_a_task_split_among_units_rolls_up_their_progress(demo):
    parent = Task.objects.annotate(n=Count("subtasks")).filter(n__gte=3).get()
    subtasks = list(parent.subtasks.all())

    assert len({task.unit_id for task in subtasks}) == len(subtasks)
    assert parent.progress == round(sum(task.progress for task in subtasks) / len(subtasks))
    assert {task.status for task in subtasks} >= {TaskStatus.CLOSED, TaskStatus.IN_PROGRESS}


def test_an_escalated_task_led_to_an_admonishing_talk_and_urges(demo):
    record = AccountabilityRecord.objects.get(measure=AccountabilityMeasure.TALK)
    task = record.tasks.get()

    assert task.warning_level == WarningLevel.ESCALATED
    assert record.unit == task.unit and record.person_name and record.deciding_unit.name == "中共乌海市委员会"
    assert record.person_post == "公司党支部书记" and record.document_name == "约谈决定书.pdf"
    assert task.urges.exists()
    assert Urge.objects.filter(author=user("supervisor")).count() >= 2


def test_staff_finds_the_overdue_water_pipe_task_and_the_supervisor_may_verify_it(demo):
    staff, supervisor = user("staff"), user("supervisor")
    task = Task.objects.get(title=WATER_PIPES)

    assert task.unit == unit("明达东路社区")
    assert Task.objects.visible_to(staff).filter(pk=task.pk).exists()
    assert task.warning_level == WarningLevel.RED and task.needs_explanation
    assert not task.verifications.exists()
    assert permissions.may(staff, EDIT, task) and permissions.may(staff, REPORT, task)
    assert permissions.may(supervisor, DECIDE, task)

    # The browser journey, through the services: progress with a photo, closing asked, returned.
    photo = SimpleUploadedFile("管网改造完工.png", png_bytes())
    services.add_progress(task, staff, entry_date=timezone.localdate(), text="管网改造完工", percent=100, files=[photo])
    services.request_verification(task, staff, "申请销号")
    task.refresh_from_db()
    services.return_task(task, supervisor, "请补充居民签字确认材料")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS


def test_the_water_story_is_coordinated_with_the_city_water_bureau(demo):
    task = Task.objects.get(title=WATER_PIPES)
    problem = task.problem
    request = task.coordination_requests.get()

    assert problem.root_unit.kind == UnitKind.DEPARTMENT and problem.root_unit.parent.parent is None
    assert request.from_unit == task.unit and request.to_unit == problem.root_unit
    assert request.status == CoordinationRequest.Status.ANSWERED
    assert task.is_open


def test_staff_units_have_tasks_in_most_states(demo):
    staff = user("staff")
    tasks = Task.objects.visible_to(staff)
    community = tasks.filter(unit=unit("明达东路社区"))

    assert set(tasks.values_list("status", flat=True)) == set(TaskStatus.values)
    assert set(tasks.open().values_list("warning_level", flat=True)) == set(WarningLevel.values)
    assert set(community.values_list("status", flat=True)) == set(TaskStatus.values)
    assert CoordinationRequest.objects.visible_to(staff).values("status").distinct().count() == 3


def test_the_cross_batch_problem_is_rooted_in_a_first_batch_departments_problem(demo):
    problem = Problem.objects.get(source=ProblemSource.CROSS_BATCH)
    related = problem.related_problem

    assert problem.batch.number == 2
    assert problem.unit.path.startswith(unit("乌达区").path)
    assert problem.root_unit.kind == UnitKind.DEPARTMENT
    assert problem.root_unit.participations.filter(batch__number=1).exists()
    assert related.unit == problem.root_unit and related.batch.number == 1
    assert related.tasks.exists() and problem.tasks.exists()


def test_the_speech_stories_are_in_the_ledger(demo):
    def closed_with_evidence(short_name):
        task = Task.objects.get(unit=unit(short_name), status=TaskStatus.CLOSED)
        assert task.evidence.exists()
        return task

    assert "起征点" in closed_with_evidence("市国税局").title
    assert "工资" in closed_with_evidence("市劳动保障局").title
    assert Task.objects.filter(unit=unit("市教育局"), title__contains="借读费", status=TaskStatus.CLOSED).exists()
    clinic = CoordinationRequest.objects.get(from_unit=unit("富源村"), to_unit=unit("市人民医院"))
    assert clinic.status == CoordinationRequest.Status.RESOLVED and clinic.resolved_by == user("staff")
    assert Task.objects.filter(unit=unit("千钢公司"), title__contains="流动党员").exists()
    assert Task.objects.filter(unit=unit("海南区"), title__contains="七老").exists()
    assert Problem.objects.filter(title__contains="吃水难", unit=unit("明达东路社区")).exists()


def test_the_history_names_the_demo_users(demo):
    task = Task.objects.get(title=WATER_PIPES)
    closing = Verification.objects.filter(outcome=Verification.Outcome.APPROVED, decided_by=user("supervisor")).first()

    assert set(task.history.values_list("history_user__username", flat=True)) == {"staff"}
    assert closing.task.history.filter(status=TaskStatus.CLOSED, history_user__username="supervisor").exists()
    assert all(entry.author for task in Task.objects.all() for entry in task.progress_updates.all())
    assert task.history.earliest("history_date").history_date < timezone.now() - datetime.timedelta(days=30)


def test_evidence_files_are_on_disk_and_pass_the_upload_check(demo, settings):
    evidence = list(Evidence.objects.all())

    assert {item.extension for item in evidence} == {".png", ".pdf"}
    for item in evidence:
        path = Path(item.file.path)
        assert path.is_file() and path.is_relative_to(Path(settings.MEDIA_ROOT))
        assert path.stat().st_size == item.size
        with item.file.open("rb") as upload:
            assert check_upload(upload).extension == item.extension


@pytest.mark.parametrize("day", [datetime.date(2027, 7, 1), datetime.date(2026, 3, 15)])
def test_the_states_hold_whatever_day_the_demo_is_loaded(monkeypatch, day):
    moment = datetime.datetime.combine(day, datetime.time(15, 30), tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: moment)

    run_command()

    assert set(counts_by(Task.objects.open(), "warning_level")) == set(WarningLevel.values)
    assert Task.objects.get(title=WATER_PIPES).due_date == day - datetime.timedelta(days=2)
