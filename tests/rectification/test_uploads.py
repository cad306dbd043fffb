"""Evidence files through the pages: every file checked by its content before anything
is saved, and downloads only for those who may see the task."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from rectification import services
from rectification.models import Evidence, ProgressUpdate
from tests.conftest import assert_refused
from tests.rectification.conftest import pdf_bytes, png_bytes


@pytest.fixture
def client(client):
    client.cookies["django_language"] = "en"
    return client


def docx_bytes():
    """A minimal Office Open XML word document, as filetype recognises one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed date: the same bytes on every call, even across a second's turn.
        for name, text in (("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<document/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 1, 9, 0, 0)), text)
    return buffer.getvalue()


def post_progress(client, user, task, files, text="上传现场照片"):
    client.force_login(user)
    data = {
        "progress-entry_date": timezone.localdate().isoformat(),
        "progress-text": text,
        "progress-percent": 50,
        "progress-files": files,
    }
    return client.post(reverse("rectification:task_add_progress", args=[task.pk]), data, HTTP_HX_REQUEST="true")


def nothing_saved():
    return not ProgressUpdate.objects.exists() and not Evidence.objects.exists()


@pytest.mark.django_db
class TestCheckedOnUpload:
    def test_a_file_too_large_is_refused_with_the_limit(self, client, task, unit_staff, upload_file, settings):
        settings.EVIDENCE_MAX_BYTES = 50
        response = post_progress(client, unit_staff, task, [upload_file("现场照片.png", png_bytes())])
        content = response.content.decode()
        assert "“现场照片.png” is" in content and "files may be at most 50" in content
        assert "上传现场照片" in content  # the text typed is kept
        assert nothing_saved()

    def test_content_not_matching_the_name_is_refused(self, client, task, unit_staff, upload_file):
        response = post_progress(client, unit_staff, task, [upload_file("验收报告.pdf", png_bytes())])
        assert "does not match its name: it is a PNG file" in response.content.decode()
        assert nothing_saved()

    @pytest.mark.parametrize(
        "name,content",
        [
            ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
            ("run.png", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64),
            ("说明.txt", "这是一段纯文本说明".encode()),
        ],
    )
    def test_a_forbidden_type_is_refused(self, client, task, unit_staff, upload_file, name, content):
        response = post_progress(client, unit_staff, task, [upload_file(name, content)])
        assert f"“{name}” is not an accepted file type" in response.content.decode()
        assert nothing_saved()

    def test_one_bad_file_saves_none_of_them(self, client, task, unit_staff, upload_file):
        files = [upload_file("现场照片.png", png_bytes()), upload_file("病毒.exe", b"MZ" + b"\x00" * 64)]
        response = post_progress(client, unit_staff, task, files)
        assert "“病毒.exe” is not an accepted file type" in response.content.decode()
        assert nothing_saved()

    def test_every_bad_file_is_named(self, client, task, unit_staff, upload_file):
        files = [upload_file("甲.pdf", png_bytes()), upload_file("乙.txt", b"plain")]
        content = post_progress(client, unit_staff, task, files).content.decode()
        assert "“甲.pdf”" in content and "“乙.txt”" in content

    def test_good_files_are_stored_under_media_root_never_static(self, client, task, unit_staff, upload_file):
        files = [upload_file("现场照片.png", png_bytes()), upload_file("整改方案.docx", docx_bytes())]
        post_progress(client, unit_staff, task, files)
        stored = list(Evidence.objects.order_by("original_name"))
        assert [e.original_name for e in stored] == ["整改方案.docx", "现场照片.png"]
        for evidence in stored:
            path = Path(evidence.file.path).resolve()
            assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
            assert not any(path.is_relative_to(Path(folder).resolve()) for folder in settings.STATICFILES_DIRS)
            assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
            assert evidence.original_name not in evidence.file.name  # stored under a random name


@pytest.fixture
def evidence(task, unit_staff, photo):
    services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=40, files=[photo])
    return Evidence.objects.get()


def download(client, user, evidence):
    if user is not None:
        client.force_login(user)
    return client.get(reverse("rectification:evidence_download", args=[evidence.pk]))


@pytest.mark.django_db
class TestDownload:
    def test_the_tasks_staff_get_the_bytes_inline_for_a_photo(self, client, evidence, unit_staff):
        response = download(client, unit_staff, evidence)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == png_bytes()
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline")
        assert "%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png" in response["Content-Disposition"]  # 现场照片.png

    def test_office_documents_come_as_attachments_with_their_name(self, client, task, unit_staff, upload_file):
        services.add_progress(
            task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=40,
            files=[upload_file("整改方案.docx", docx_bytes())],
        )
        response = download(client, unit_staff, Evidence.objects.get())
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == docx_bytes()

    def test_a_pdf_opens_inline(self, client, task, unit_staff, upload_file):
        services.add_progress(
            task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=40,
            files=[upload_file("验收单.pdf", pdf_bytes())],
        )
        response = download(client, unit_staff, Evidence.objects.get())
        assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("inline")

    @pytest.mark.parametrize("persona", ["co_unit_staff", "supervisor_in_scope", "staff_above"])
    def test_others_who_may_see_the_task_get_it(self, client, evidence, request, persona):
        response = download(client, request.getfixturevalue(persona), evidence)
        assert response.status_code == 200 and b"".join(response.streaming_content) == png_bytes()

    @pytest.mark.parametrize("persona", ["other_district_staff", "supervisor_out_of_scope"])
    def test_another_districts_evidence_by_url_is_not_found(self, client, evidence, request, persona):
        response = download(client, request.getfixturevalue(persona), evidence)
        assert_refused(response, 404)

    def test_anonymous_visitors_are_sent_to_login(self, client, evidence):
        response = download(client, None, evidence)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_evidence_that_does_not_exist_is_not_found(self, client, unit_staff, db):
        client.force_login(unit_staff)
        assert_refused(client.get(reverse("rectification:evidence_download", args=[999999])), 404)

    def test_the_timeline_links_the_file_through_the_download_view(self, client, evidence, unit_staff, task):
        client.force_login(unit_staff)
        content = client.get(task.get_absolute_url()).content.decode()
        assert reverse("rectification:evidence_download", args=[evidence.pk]) in content
        assert evidence.file.name not in content  # the stored path is never shown
