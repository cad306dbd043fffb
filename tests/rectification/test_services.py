"""One way to create a problem or a task, and one way progress rolls up to a
parent task, whichever page, import or script takes the step."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from campaign.models import Role
from rectification import services
from rectification.models import Problem, Task, TaskStatus, Term, WarningLevel
from rectification.models.problems import ProblemSource
from tests.conftest import member
from tests.rectification.conftest import png_bytes


@pytest.fixture
def west_staff(city):
    """Office staff of 西区, the other district of the test city."""
    return member(city["west"], Role.STAFF, "west-staff")

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 20)


def task_fields(unit, **overrides):
    fields = {
        "unit": unit, "title": "修复供水管网", "measures": "更换老旧管道", "leader_name": "王书记",
        "person_name": "李干事", "term": Term.SHORT, "start_date": datetime.date(2025, 3, 1),
        "due_date": datetime.date(2027, 6, 30),
    }  # fmt: skip
    return {**fields, **overrides}


def problem_fields(unit, batch, **overrides):
    fields = {"unit": unit, "batch": batch, "title": "群众反映吃水难", "source": ProblemSource.SELF, "found_on": DAY}
    return {**fields, **overrides}


# --- creating ------------------------------------------------------------------------


class TestCreate:
    def test_staff_record_a_problem_and_its_task_with_everything_derived(self, city, batch, unit_staff):
        problem = services.create_problem(unit_staff, **problem_fields(city["east_community"], batch))
        assert problem.created_by == unit_staff
        task = services.create_task(
            problem, unit_staff, co_units=[city["west_community"]],
            **task_fields(city["east_community"], due_date=timezone.localdate() - datetime.timedelta(days=1)),
        )  # fmt: skip
        task = Task.objects.get(pk=task.pk)
        assert (task.batch_id, task.unit_path, task.original_due_date) == (batch.pk, city["east_community"].path, task.due_date)
        assert task.warning_level == WarningLevel.RED and task.created_by == unit_staff
        assert list(task.co_units.all()) == [city["west_community"]]
        assert task.history.earliest().history_change_reason == "创建"

    def test_staff_of_another_district_may_not_create_there(self, city, batch, west_staff, task):
        with pytest.raises(PermissionDenied):
            services.create_problem(west_staff, **problem_fields(city["east_community"], batch))
        with pytest.raises(PermissionDenied):
            services.create_task(task.problem, west_staff, **task_fields(city["east_community"]))
        assert Problem.objects.count() == 1 and Task.objects.count() == 1

    def test_a_supervisor_without_a_staff_role_may_not_create(self, city, batch, supervisor_in_scope):
        with pytest.raises(PermissionDenied):
            services.create_problem(supervisor_in_scope, **problem_fields(city["east_community"], batch))

    def test_the_public_gives_opinions_without_an_account_and_nothing_else(self, city, batch):
        opinion = services.create_problem(
            None, **problem_fields(city["east_community"], batch, source=ProblemSource.PUBLIC, title="路灯不亮")
        )
        assert opinion.created_by is None and opinion.source == ProblemSource.PUBLIC
        with pytest.raises(PermissionDenied):
            services.create_problem(None, **problem_fields(city["east_community"], batch, source=ProblemSource.SELF))

    def test_dates_out_of_order_are_refused(self, task, unit_staff):
        with pytest.raises(services.TransitionRefused, match="不能早于"):
            services.create_task(
                task.problem, unit_staff,
                **task_fields(task.unit, start_date=datetime.date(2026, 5, 1), due_date=datetime.date(2026, 4, 1)),
            )  # fmt: skip

    def test_a_sub_task_belongs_to_an_open_task_of_the_same_problem(self, task, unit_staff, city, batch):
        other = services.create_problem(unit_staff, **problem_fields(city["east_community"], batch))
        with pytest.raises(services.TransitionRefused):
            services.create_task(other, unit_staff, parent=task, **task_fields(task.unit))
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.CLOSED)
        task.refresh_from_db()
        with pytest.raises(services.TransitionRefused):
            services.create_task(task.problem, unit_staff, parent=task, **task_fields(task.unit))

    def test_the_responsible_unit_is_not_also_co_responsible(self, task, unit_staff):
        with pytest.raises(services.TransitionRefused):
            services.create_task(task.problem, unit_staff, co_units=[task.unit], **task_fields(task.unit))


# --- rolling up ------------------------------------------------------------------------


def photo():
    return SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png")


def progress_of(task):
    return Task.objects.values_list("progress", flat=True).get(pk=task.pk)


class Rollback(Exception):
    pass


@pytest.fixture
def split(task, unit_staff):
    """The task split in two sub-tasks through the service; the first at 80 %, with evidence."""
    first = services.create_task(task.problem, unit_staff, parent=task, **task_fields(task.unit, title="甲"))
    second = services.create_task(task.problem, unit_staff, parent=task, **task_fields(task.unit, title="乙"))
    services.add_progress(first, unit_staff, entry_date=DAY, text="甲段完工", percent=80, files=[photo()])
    return first, second


def step_progress(split, staff, supervisor_in_scope):
    return lambda: services.add_progress(split[1], staff, entry_date=DAY, text="乙段开工", percent=40)


def step_create(split, staff, supervisor_in_scope):
    parent = split[0].parent
    return lambda: services.create_task(parent.problem, staff, parent=parent, **task_fields(parent.unit, title="丙"))


def step_close(split, staff, supervisor_in_scope):
    services.request_verification(split[0], staff, "甲段完工")
    return lambda: services.approve_closing(split[0], supervisor_in_scope)


ROLL_UPS = {
    # path: (step, the parent's figure after it)
    "a progress entry": (step_progress, 60),  # (80 + 40) / 2
    "a sub-task created": (step_create, 27),  # (80 + 0 + 0) / 3
    "a sub-task closed": (step_close, 50),  # (100 + 0) / 2
}


@pytest.mark.parametrize("path", ROLL_UPS)
def test_each_path_rolls_up_in_its_own_transaction(path, task, split, unit_staff, supervisor_in_scope):
    step, expected = ROLL_UPS[path]
    assert progress_of(task) == 40
    with pytest.raises(Rollback), transaction.atomic():
        step(split, unit_staff, supervisor_in_scope)()
        raise Rollback
    assert progress_of(task) == 40  # undone with the step
    step(split, unit_staff, supervisor_in_scope)()
    assert progress_of(task) == expected


def test_a_reopened_sub_task_leaves_its_parent_at_the_mean(task, split, unit_staff, supervisor_in_scope):
    first, _second = split
    services.request_verification(first, unit_staff, "甲段完工")
    services.approve_closing(first, supervisor_in_scope)
    rows = task.history.count()
    services.reopen_task(first, supervisor_in_scope, "抽查发现仍漏水")
    assert Task.objects.get(pk=first.pk).status == TaskStatus.IN_PROGRESS
    assert progress_of(task) == 50
    assert task.history.count() == rows  # nothing changed, so no history row says it did


def test_a_sub_task_moved_in_the_admin_rolls_up_both_parents(client, task, split, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    first, second = split
    other = services.create_task(task.problem, admin, **task_fields(task.unit, title="另一项任务"))
    client.force_login(admin)
    data = {
        "problem": first.problem_id, "parent": other.pk, "title": first.title, "measures": first.measures,
        "unit": first.unit_id, "leader_name": first.leader_name, "person_name": first.person_name,
        "term": first.term, "start_date": first.start_date.isoformat(), "created_by": admin.pk,
    }  # fmt: skip
    response = client.post(f"/admin/rectification/task/{first.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Task.objects.get(pk=first.pk).parent_id == other.pk
    assert (progress_of(other), progress_of(task)) == (80, 0)
