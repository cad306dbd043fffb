"""Decisions where the evidence is (issue 9, point 3): thumbnails made on upload,
evidence inline with human sizes, 予以销号 / 退回 and the extension decision on
the task page for whoever may decide, the queue linking the evidence, and the
supervision group told of new requests."""

import datetime
import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from campaign.models import Membership, Role
from rectification import services
from rectification.models import Evidence, Notification, TaskStatus, Verification
from tests.conftest import in_english, member
from tests.factories import SupervisionGroupFactory, TaskFactory, UserFactory
from tests.rectification.conftest import pdf_bytes

pytestmark = pytest.mark.django_db


def photo_bytes(size=(1600, 1200), fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def photo(name="现场照片.png", **kwargs):
    return SimpleUploadedFile(name, photo_bytes(**kwargs), content_type="image/png")


@pytest.fixture
def group(city, campaign):
    """The group watching the east district: a leader and a member, both supervisors."""
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="市委第三督导组")
    group.units.add(city["east"])
    group.leader = UserFactory(username="group-leader")
    group.save()
    group.members.add(UserFactory(username="group-member"))
    west = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="西区督导组")
    west.units.add(city["west"])
    west.members.add(UserFactory(username="west-member"))
    return group


@pytest.fixture
def asked(task, unit_staff, committed):
    """The task with a photo and a PDF as evidence, put forward for closing."""
    with committed():
        services.add_progress(
            task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="管网已更换", percent=100,
            files=[photo(), SimpleUploadedFile("验收报告.pdf", pdf_bytes(), content_type="application/pdf")],
        )  # fmt: skip
        services.request_verification(task, unit_staff, "已完成,请验收")
    return task


def page(client, user, task):
    client.force_login(user)
    return in_english(client).get(task.get_absolute_url())


# --- evidence inline ---------------------------------------------------------------------


def test_a_photo_gets_a_thumbnail_on_upload_served_to_who_sees_it(client, asked, unit_staff, other_district_staff):
    evidence = Evidence.objects.get(original_name="现场照片.png")
    assert evidence.thumbnail
    with evidence.thumbnail.open("rb") as handle, Image.open(handle) as thumbnail:
        assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 480 and thumbnail.size[0] > thumbnail.size[1]
    url = reverse("rectification:evidence_thumbnail", args=[evidence.pk])
    client.force_login(unit_staff)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    client.force_login(other_district_staff)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_the_task_page_shows_thumbnails_a_pdf_icon_and_human_sizes(client, asked, unit_staff):
    content = page(client, unit_staff, asked).content.decode()
    photo_row = Evidence.objects.get(original_name="现场照片.png")
    pdf_row = Evidence.objects.get(original_name="验收报告.pdf")
    assert reverse("rectification:evidence_thumbnail", args=[photo_row.pk]) in content
    assert 'class="file-icon file-pdf"' in content and not pdf_row.thumbnail
    assert "bytes" not in content and "字节" not in content
    assert "0.1 KB" in content  # the 46-byte PDF, as a person reads it


def test_the_size_is_read_in_kb_and_mb_in_chinese_too(client, asked, unit_staff):
    client.force_login(unit_staff)
    content = client.get(asked.get_absolute_url()).content.decode()  # Chinese by default
    assert "字节" not in content and " KB" in content


def test_an_image_too_large_to_decode_is_kept_without_a_thumbnail(task, unit_staff):
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, "PNG")  # 81 megapixels, a few kilobytes on the wire
    bomb = SimpleUploadedFile("巨图.png", buffer.getvalue(), content_type="image/png")
    services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="照片", percent=10, files=[bomb])
    evidence = Evidence.objects.get(original_name="巨图.png")
    assert not evidence.thumbnail


# --- deciding on the task page -----------------------------------------------------------


def test_the_supervisor_decides_a_closing_on_the_task_page(client, asked, group, unit_staff, committed):
    supervisor = group.members.get()
    content = page(client, supervisor, asked).content.decode()
    assert 'data-testid="decide-closing"' in content and "已完成,请验收" in content
    assert 'action="%s"' % reverse("rectification:task_decide_closing", args=[asked.pk]) in content
    with committed():
        response = client.post(
            reverse("rectification:task_decide_closing", args=[asked.pk]), {"decide-decision": "close", "decide-note": ""}
        )
    assert response.status_code == 302 and response["Location"] == asked.get_absolute_url()
    asked.refresh_from_db()
    assert asked.status == TaskStatus.CLOSED
    assert Verification.objects.get(task=asked).decided_by == supervisor
    assert Notification.objects.filter(user=unit_staff, key__startswith="verification:").exists()  # the unit is told


def test_returning_needs_a_reason_and_keeps_what_was_typed(client, asked, group):
    client.force_login(group.leader)
    url = reverse("rectification:task_decide_closing", args=[asked.pk])
    response = in_english(client).post(url, {"decide-decision": "return", "decide-note": "  "})
    assert response.status_code == 200 and "Say why the task is returned." in response.content.decode()
    radio = response.content.decode().split('value="return"')[1].split(">")[0]
    assert "checked" in radio
    response = client.post(url, {"decide-decision": "return", "decide-note": "照片看不清管网"})
    asked.refresh_from_db()
    assert asked.status == TaskStatus.IN_PROGRESS
    assert Verification.objects.get(task=asked).reason == "照片看不清管网"


def test_staff_and_leaders_see_no_controls_and_cannot_post(client, asked, unit_staff, leader):
    url = reverse("rectification:task_decide_closing", args=[asked.pk])
    for user in (unit_staff, leader):
        content = page(client, user, asked).content.decode()
        assert 'data-testid="decide-closing"' not in content and url not in content
        assert client.post(url, {"decide-decision": "close"}).status_code == 403
    assert TaskStatus.PENDING_VERIFICATION == type(asked).objects.get(pk=asked.pk).status


def test_a_supervisor_who_keeps_the_units_ledger_reads_why_not(client, asked, supervisor_who_is_staff_above):
    content = html.unescape(page(client, supervisor_who_is_staff_above, asked).content.decode())
    assert 'data-testid="decide-refusal"' in content and "You keep the ledger of this task's unit" in content
    assert reverse("rectification:task_decide_closing", args=[asked.pk]) not in content


def test_the_extension_is_decided_on_the_task_page(client, task, unit_staff, group):
    extension = services.request_extension(task, unit_staff, task.due_date + datetime.timedelta(days=30), "冬季停工")
    content = page(client, group.leader, task).content.decode()
    assert 'data-testid="decide-extension"' in content and "冬季停工" in content
    response = client.post(
        reverse("rectification:extension_decide", args=[extension.pk]),
        {f"extensions-{extension.pk}-decision": "approve", f"extensions-{extension.pk}-note": "",
         "next": task.get_absolute_url()},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    task.refresh_from_db()
    assert task.due_date == extension.requested_due_date


def test_the_queue_links_each_requests_evidence(client, asked, group):
    client.force_login(group.leader)
    content = client.get(reverse("rectification:queue"), {"tab": "verifications"}).content.decode()
    assert f'href="{asked.get_absolute_url()}#evidence" data-testid="queue-evidence"' in content
    assert 'id="evidence"' in client.get(asked.get_absolute_url()).content.decode()


# --- the supervisors are told ------------------------------------------------------------


def told(key_prefix):
    return set(Notification.objects.filter(key__startswith=key_prefix).values_list("user__username", flat=True))


def test_the_watching_group_is_told_of_a_closing_request(group, asked, unit_staff):
    assert told("closing:") == {"group-leader", "group-member"}
    notice = Notification.objects.filter(key__startswith="closing:").first()
    assert notice.kind == "request" and notice.url == asked.get_absolute_url()


def test_the_watching_group_is_told_of_an_extension_request_and_an_explanation(task, group, unit_staff, committed):
    task.due_date = datetime.date(2026, 1, 31)
    task.save()
    with committed():
        services.request_extension(task, unit_staff, datetime.date(2027, 3, 31), "资金未到位")
        services.give_explanation(task, unit_staff, "funds", "资金未到位")
    assert told("extension-asked:") == {"group-leader", "group-member"}
    assert told("explanation:") == {"group-leader", "group-member"}
    assert not Notification.objects.filter(user=unit_staff, kind="request").exists()


def test_a_supervisor_who_asked_is_not_told_of_their_own_request(city, batch, group, committed):
    asker = group.members.get()
    member_staff = member(city["east_community"], Role.STAFF, "asker-staff")
    task = TaskFactory(unit=city["east_community"], problem__batch=batch)
    services.add_progress(task, member_staff, entry_date=datetime.date(2026, 11, 1), text="x", percent=100, files=[photo()])
    Membership.objects.create(user=asker, unit=city["east_community"], role=Role.STAFF)
    with committed():
        services.request_verification(task, asker, "请验收")
    assert told("closing:") == {"group-leader"}


def test_photos_uploaded_before_get_their_thumbnails_by_command(task, unit_staff):
    from django.core.management import call_command

    services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="旧照片", percent=10, files=[photo()])
    Evidence.objects.update(thumbnail="")  # as stored before thumbnails were made on upload
    out = io.StringIO()
    call_command("make_thumbnails", stdout=out)
    assert out.getvalue().startswith("1 thumbnails made")
    assert Evidence.objects.get().thumbnail
    call_command("make_thumbnails", stdout=out)
    assert Evidence.objects.exclude(thumbnail="").count() == 1
