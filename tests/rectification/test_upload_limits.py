"""Limits per request and per task on evidence uploads: too many files, too
many bytes at once, or a task's evidence past its total are refused with a
message, the typed text kept, and nothing of the request saved (no progress
entry, no evidence row, no file in storage)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rectification import services
from rectification.models import Evidence, ProgressUpdate, Task
from tests.conftest import in_english
from tests.rectification.conftest import png_bytes
from tests.rectification.test_task_views import as_user, progress_data, task_urls

pytestmark = pytest.mark.django_db
KB = 1024


def png(name, size=0):
    """A real PNG, padded to about ``size`` bytes (still a PNG by its content)."""
    return SimpleUploadedFile(name, png_bytes() + b"\0" * max(size - len(png_bytes()), 0))


def stored_files():
    root = Path(settings.MEDIA_ROOT) / "evidence"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def post_progress(client, user, task, files, text="完成管网勘察"):
    client = in_english(as_user(client, user))
    data = progress_data(text=text, **{"progress-files": files})
    return client.post(task_urls(task)["progress"], data, HTTP_HX_REQUEST="true")


def nothing_saved(task, files_before):
    assert not ProgressUpdate.objects.filter(task=task).exists()
    assert not Evidence.objects.filter(task=task).exists()
    assert stored_files() == files_before


def test_eleven_files_in_one_entry_are_refused_and_nothing_is_saved(client, task, unit_staff):
    before = stored_files()
    response = post_progress(client, unit_staff, task, [png(f"现场{n}.png") for n in range(11)], text="十一张照片")
    content = response.content.decode()
    assert "At most 10 files can be attached at a time." in content
    assert "十一张照片" in content  # what was typed is kept
    nothing_saved(task, before)


def test_ten_files_are_accepted(client, task, unit_staff):
    post_progress(client, unit_staff, task, [png(f"现场{n}.png") for n in range(10)])
    assert ProgressUpdate.objects.get(task=task).evidence.count() == 10


def test_files_larger_together_than_the_request_limit_are_refused(client, task, unit_staff, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 100 * KB
    before = stored_files()
    response = post_progress(client, unit_staff, task, [png(f"大图{n}.png", 40 * KB) for n in range(3)])
    assert "The files together are larger than 100.0\xa0KB; attach at most 100.0\xa0KB at a time." in response.content.decode()
    nothing_saved(task, before)


def test_a_request_announcing_more_than_the_limit_reads_no_file_at_all(client, task, unit_staff, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10 * KB
    before = stored_files()
    response = post_progress(client, unit_staff, task, [png("巨图.png", 3 * 1024 * KB)])
    assert "The files together are larger than 10.0\xa0KB" in response.content.decode()
    nothing_saved(task, before)


def test_evidence_past_the_tasks_total_is_refused_saying_how_much_it_holds(client, task, unit_staff, settings):
    settings.EVIDENCE_MAX_TASK_BYTES = 150 * KB
    post_progress(client, unit_staff, task, [png("第一张.png", 100 * KB)])
    assert Evidence.objects.filter(task=task).count() == 1
    before = stored_files()
    response = post_progress(client, unit_staff, task, [png("第二张.png", 60 * KB)], text="第二次上报")
    content = response.content.decode()
    assert "This task already holds 100.0\xa0KB of evidence; with these files it would hold more than 150.0\xa0KB." in content
    assert ProgressUpdate.objects.filter(task=task).count() == 1 and Evidence.objects.filter(task=task).count() == 1
    assert stored_files() == before


def test_the_import_pages_refuse_a_request_over_the_limit(client, city_admin, staff_above, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10 * KB
    big = SimpleUploadedFile("units.xlsx", b"PK\x03\x04" + b"\0" * 20 * KB)
    response = in_english(as_user(client, city_admin)).post(reverse("campaign:unit_import"), {"file": big})
    assert response.context["form"].errors["file"] == [
        "The files together are larger than 10.0\xa0KB; attach at most 10.0\xa0KB at a time."
    ]


def test_a_failure_after_files_were_stored_removes_them_with_the_rows(task, unit_staff, monkeypatch):
    before = stored_files()

    def broken_save(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Task, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.add_progress(
            task, unit_staff, entry_date=task.start_date, text="半途失败", percent=50,
            files=[png("现场一.png"), png("现场二.png")],
        )  # fmt: skip
    monkeypatch.undo()
    nothing_saved(task, before)


def test_the_service_refuses_too_many_files_itself(task, unit_staff):
    with pytest.raises(services.TransitionRefused):
        services.add_progress(
            task, unit_staff, entry_date=task.start_date, text="绕过表单", percent=50,
            files=[png(f"现场{n}.png") for n in range(11)],
        )  # fmt: skip
    assert not ProgressUpdate.objects.filter(task=task).exists()
