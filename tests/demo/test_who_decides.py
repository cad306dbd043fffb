"""Issue 7's cases, tried on the demo city as a new user would: each was allowed
before the permission layer and is now refused with a clear message.

The demo is loaded once for the module (inside a transaction rolled back at
the end); each test runs in a savepoint of it.
"""

import datetime
import html

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from campaign.models import Membership, Role, SupervisionGroup, Unit
from rectification import services
from rectification.models import (
    CoordinationReply,
    CoordinationRequest,
    ExtensionRequest,
    JobRun,
    SpotCheck,
    Task,
    TaskStatus,
    Verification,
)
from rectification.models.decisions import Decision
from tests.rectification.conftest import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_demo", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def user(username):
    return get_user_model().objects.get(username=username)


def unit(short_name):
    return Unit.objects.get(short_name=short_name)


def said(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request)) + html.unescape(response.content.decode())


def open_task_of(short_name):
    return Task.objects.filter(unit=unit(short_name), status=TaskStatus.IN_PROGRESS, subtasks__isnull=True).first()


def with_evidence(task, author):
    photo = SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png")
    services.add_progress(task, author, entry_date=timezone.localdate(), text="已完成", percent=100, files=[photo])


@pytest.fixture
def dual():
    """Staff of 乌达区 who also sits in 市委第三督导组, which supervises 乌达区."""
    person = get_user_model().objects.create_user("dual", password="x-demo-2026")
    Membership.objects.create(user=person, unit=unit("乌达区"), role=Role.STAFF)
    SupervisionGroup.objects.get(name="市委第三督导组").members.add(person)
    return person


def test_staff_in_the_supervision_group_cannot_approve_their_own_closing(client, dual):
    task = open_task_of("明达东路社区")
    with_evidence(task, dual)
    verification = services.request_verification(task, dual, "已完成,申请销号")

    client.force_login(dual)
    queue = client.get(reverse("rectification:queue") + "?tab=verifications").content.decode()
    assert f'id="verification-{verification.pk}"' not in queue  # not offered
    response = client.post(
        reverse("rectification:verification_bulk"), {"ids": [verification.pk], "action": "approve", "note": ""}, follow=True
    )
    assert "You asked for this yourself: another supervisor must decide." in said(response)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.PENDING_VERIFICATION
    # the group's other member, of no unit of the task's, may
    services.approve_closing(task, user("supervisor"))
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CLOSED


def test_the_superuser_administers_but_does_not_approve_closings(client):
    admin = user("admin")
    task = open_task_of("明达东路社区")
    with_evidence(task, admin)
    verification = services.request_verification(task, admin, "已完成,申请销号")

    client.force_login(admin)
    response = client.post(
        reverse("rectification:verification_bulk"), {"ids": [verification.pk], "action": "approve", "note": ""}, follow=True
    )
    assert Task.objects.get(pk=task.pk).status == TaskStatus.PENDING_VERIFICATION
    assert Verification.objects.get(pk=verification.pk).outcome == Verification.Outcome.PENDING
    assert response.status_code == 403 and "To decide" not in response.content.decode()


def test_a_supervisor_of_the_district_cannot_approve_the_districts_own_staffs_extension(client):
    supervisor = user("supervisor")
    Membership.objects.create(user=supervisor, unit=unit("乌达区"), role=Role.SUPERVISOR)  # as the old demo had it
    task = open_task_of("新达社区")
    extension = services.request_extension(task, user("staff"), task.due_date + datetime.timedelta(days=30), "冬季停工")

    client.force_login(supervisor)
    url = reverse("rectification:extension_decide", args=[extension.pk])
    response = client.post(url, {f"extensions-{extension.pk}-decision": "approve"}, follow=True)
    assert "You work in 乌达区, like the person who asked: someone from outside it must decide." in said(response)
    assert ExtensionRequest.objects.get(pk=extension.pk).decision == Decision.PENDING


def test_nobody_approves_their_own_extension_request(client, dual):
    task = open_task_of("明达东路社区")
    extension = services.request_extension(task, dual, task.due_date + datetime.timedelta(days=30), "需要更多时间")

    client.force_login(dual)
    url = reverse("rectification:extension_decide", args=[extension.pk])
    response = client.post(url, {f"extensions-{extension.pk}-decision": "approve"}, follow=True)
    assert "You asked for this yourself: another supervisor must decide." in said(response)
    assert ExtensionRequest.objects.get(pk=extension.pk).decision == Decision.PENDING


def test_sub_tasks_are_shown_only_to_who_may_see_them_and_stay_in_the_parents_subtree(client):
    parent = Task.objects.get(title="乌达区社区活动室新建改扩建")
    hainan_staff = get_user_model().objects.create_user("hainan", password="x-demo-2026")
    Membership.objects.create(user=hainan_staff, unit=unit("海南区"), role=Role.STAFF)
    unit_staff = get_user_model().objects.create_user("huyang", password="x-demo-2026")
    Membership.objects.create(user=unit_staff, unit=unit("胡杨社区"), role=Role.STAFF)

    client.force_login(unit_staff)
    sub_task = parent.subtasks.get(unit=unit("胡杨社区"))
    page = client.get(sub_task.get_absolute_url()).content.decode()
    assert parent.title not in page  # the district's parent task is not theirs to see
    assert client.get(parent.get_absolute_url()).status_code == 404

    client.force_login(user("staff"))  # 乌达区's staff see the parent and every sub-task
    page = client.get(parent.get_absolute_url()).content.decode()
    assert all(task.title in page for task in parent.subtasks.all())

    client.force_login(hainan_staff)
    assert client.get(parent.get_absolute_url()).status_code == 404
    assert client.get(sub_task.get_absolute_url()).status_code == 404

    # a sub-task goes to the parent's unit or a unit below it, never to another district
    client.force_login(user("admin"))
    url = reverse("rectification:task_create", args=[parent.problem_id]) + f"?parent={parent.pk}"
    data = {
        "title": "西卡社区活动室", "measures": "扩建", "unit": unit("西卡社区").pk, "leader_name": "王", "person_name": "李",
        "term": "short", "start_date": timezone.localdate().isoformat(),
        "due_date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(), "parent": parent.pk,
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A sub-task goes to 中共乌达区委员会 or a unit below it, where its parent task lies." in said(response)
    assert not Task.objects.filter(title="西卡社区活动室").exists()


def test_the_city_leader_cannot_reply_as_the_department_asked(client):
    request = CoordinationRequest.objects.filter(to_unit=unit("市民政局")).first() or CoordinationRequest.objects.filter(
        status=CoordinationRequest.Status.OPEN
    ).first()
    status, replies = request.status, request.replies.count()

    client.force_login(user("leader"))
    response = client.post(reverse("rectification:coordination_reply", args=[request.pk]), {"text": "已安排"})
    assert response.status_code == 403
    assert "Only the department asked (or the units above it) and the asking unit reply" in said(response)
    request.refresh_from_db()
    assert request.status == status and request.replies.count() == replies
    assert not CoordinationReply.objects.filter(author=user("leader")).exists()


def test_a_community_administrator_neither_sees_operations_nor_runs_the_city_wide_sweep(client):
    admin = get_user_model().objects.create_user("community-admin", password="x-demo-2026")
    Membership.objects.create(user=admin, unit=unit("明达东路社区"), role=Role.ADMIN)
    runs = JobRun.objects.count()

    client.force_login(admin)
    assert client.get(reverse("rectification:operations")).status_code == 403
    response = client.post(reverse("rectification:operations_sweep"))
    assert response.status_code == 403
    assert "Only the administrators of the whole tree run its background jobs." in said(response)
    assert JobRun.objects.count() == runs
    assert "Operations" not in client.get(reverse("reports:home")).content.decode()


def test_a_spot_checks_page_names_and_counts_only_what_the_viewer_sees(client):
    check = SpotCheck.objects.get(group__name="市委第三督导组")
    assert {u.short_name for u in check.units.all()} == {"富强社区", "明达东路社区"}
    viewer = get_user_model().objects.create_user("mingda", password="x-demo-2026")
    Membership.objects.create(user=viewer, unit=unit("明达东路社区"), role=Role.STAFF)

    client.force_login(viewer)
    page = client.get(reverse("rectification:spotcheck_detail", args=[check.pk]))
    content = page.content.decode()
    assert "明达东路社区党支部" in content and "富强社区党支部" not in content
    assert page.context["spot_check"].finding_count == 1 and page.context["spot_check"].failed_count == 0
    listed = client.get(reverse("rectification:spotcheck_list")).context["table"].data.data
    row = next(item for item in listed if item.pk == check.pk)
    assert (row.finding_count, row.failed_count) == (1, 0)
    assert [u.short_name for u in row.units.all()] == ["明达东路社区"]
