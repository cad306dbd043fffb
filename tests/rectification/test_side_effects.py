"""Side effects belong to the services: a decision or an urge taken by calling
the service itself (as the demo, an import or a script does) tells the task's
unit once, after its transaction commits, and a rolled-back one tells nobody.

The notifications are made by ``transaction.on_commit``. Every kind of
decision is tried inside the test's transaction with the commit callbacks run
as Django would run them (``committed``); two tests commit for real
(``transaction=True``, slower), as in production."""

import datetime
from unittest import mock

import pytest
from django.db import transaction

from rectification import services
from rectification.models import Notification, Task
from tests.rectification.conftest import png_bytes

TODAY = datetime.date(2026, 11, 20)


class Rollback(Exception):
    pass


def ask_to_close(task, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png")
    services.add_progress(task, staff, entry_date=TODAY, text="已完成", percent=100, files=[photo])
    return services.request_verification(task, staff, "管网改造完成")


def approve(task, staff, supervisor_in_scope):
    ask_to_close(task, staff)
    return lambda: services.approve_closing(task, supervisor_in_scope, "核查属实")


def send_back(task, staff, supervisor_in_scope):
    ask_to_close(task, staff)
    return lambda: services.return_task(task, supervisor_in_scope, "照片不能证明已通水")


def grant_extension(task, staff, supervisor_in_scope):
    extension = services.request_extension(task, staff, task.due_date + datetime.timedelta(days=30), "冬季停工")
    return lambda: services.decide_extension(extension, supervisor_in_scope, approve=True, note="同意")


def refuse_extension(task, staff, supervisor_in_scope):
    extension = services.request_extension(task, staff, task.due_date + datetime.timedelta(days=30), "冬季停工")
    return lambda: services.decide_extension(extension, supervisor_in_scope, approve=False, note="理由不足")


def urge(task, staff, supervisor_in_scope):
    return lambda: services.urge(task, supervisor_in_scope, "请本周内拿出方案")


DECISIONS = {
    "closing approved": (approve, "decision", "已销号"),
    "closing returned": (send_back, "decision", "照片不能证明已通水"),
    "extension granted": (grant_extension, "decision", "2027-07-30"),
    "extension refused": (refuse_extension, "decision", "理由不足"),
    "urged": (urge, "urge", "请本周内拿出方案"),
}


@pytest.fixture
def delay():
    with mock.patch("rectification.tasks.deliver_notification.delay") as delay:
        yield delay


@pytest.mark.django_db
@pytest.mark.parametrize("name", DECISIONS)
def test_a_decision_by_the_service_tells_the_unit_once_after_commit(name, task, unit_staff, supervisor_in_scope, committed):
    prepare, kind, words = DECISIONS[name]
    decide = prepare(task, unit_staff, supervisor_in_scope)
    with committed() as delay:
        decide()
        assert not Notification.objects.exists()  # not before the commit
    told = Notification.objects.get(user=unit_staff)
    assert told.kind == kind and told.task_id == task.pk
    assert words in told.title + told.body
    delay.assert_called_once_with(told.pk)
    assert Notification.objects.filter(user=supervisor_in_scope).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", DECISIONS)
def test_a_rolled_back_decision_tells_nobody(name, task, unit_staff, supervisor_in_scope, committed):
    prepare, _kind, _words = DECISIONS[name]
    decide = prepare(task, unit_staff, supervisor_in_scope)
    before = Task.objects.values_list("status", "due_date").get(pk=task.pk)
    with committed() as delay, pytest.raises(Rollback), transaction.atomic():
        decide()
        raise Rollback
    assert not Notification.objects.exists()
    delay.assert_not_called()
    assert Task.objects.values_list("status", "due_date").get(pk=task.pk) == before


# --- for real: committed and rolled back on PostgreSQL ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_committed_closing_tells_the_unit_once(task, unit_staff, supervisor_in_scope, delay):
    approve(task, unit_staff, supervisor_in_scope)()
    told = Notification.objects.get()
    assert (told.user, told.kind, told.task_id) == (unit_staff, "decision", task.pk)
    delay.assert_called_once_with(told.pk)


@pytest.mark.django_db(transaction=True)
def test_two_urges_in_one_transaction_tell_the_unit_of_each_when_it_commits(task, unit_staff, supervisor_in_scope, delay):
    with transaction.atomic():
        services.urge(task, supervisor_in_scope, "第一次催办")
        services.urge(task, supervisor_in_scope, "第二次催办")
        assert not Notification.objects.exists()  # not before the commit
    assert Notification.objects.filter(user=unit_staff, kind="urge").count() == 2
    assert delay.call_count == 2
    with pytest.raises(Rollback), transaction.atomic():
        services.urge(task, supervisor_in_scope, "第三次催办")
        raise Rollback
    assert Notification.objects.count() == 2 and delay.call_count == 2
