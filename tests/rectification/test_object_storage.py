"""Evidence on an S3-compatible object store (django-storages against a real
SeaweedFS server started by the test run): uploaded through the progress form,
stored in the bucket and not on the local disk, served back only through the
permission-checked view, listed and restored by the backup."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaign import backups
from campaign.models import Role
from rectification.models import Evidence
from tests.factories import MembershipFactory, UnitFactory
from tests.rectification.conftest import png_bytes
from tests.rectification.test_task_views import as_user, progress_data, task_urls

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def on_object_store(object_store, settings):
    settings.STORAGES = {**settings.STORAGES, "default": object_store.storage_settings()}  # Django resets default_storage
    yield object_store


def local_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_evidence_goes_to_the_bucket_and_comes_back_only_to_those_who_may_see_it(
    client, task, unit_staff, on_object_store
):
    outsider = MembershipFactory(unit=UnitFactory(name="中共另一区委员会"), role=Role.STAFF).user
    photo = png_bytes() + b"\x00" * 4096
    before = local_files()
    as_user(client, unit_staff).post(
        task_urls(task)["progress"],
        progress_data(**{"progress-files": [SimpleUploadedFile("现场照片.png", photo)]}),
        HTTP_HX_REQUEST="true",
    )
    evidence = Evidence.objects.get(task=task)
    assert evidence.file.storage.__class__.__name__ == "S3Storage"
    # in the bucket, by its stored name, with the thumbnail made on upload beside it
    assert sorted(on_object_store.keys()) == sorted([evidence.file.name, evidence.thumbnail.name])
    assert evidence.thumbnail.name.startswith(f"evidence/{task.pk}/thumbnails/")
    assert evidence.file.name.startswith(f"evidence/{task.pk}/") and evidence.file.name.endswith(".png")
    assert local_files() == before  # and not on this machine's disk

    url = reverse("rectification:evidence_download", args=[evidence.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == photo
    assert as_user(client, outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_missing_object_is_not_found_rather_than_an_error(client, task, unit_staff, on_object_store):
    evidence = Evidence.objects.create(
        task=task, file="evidence/none/missing.png", original_name="missing.png", content_type="image/png",
        extension=".png", size=10, uploaded_by=unit_staff,
    )  # fmt: skip
    response = as_user(client, unit_staff).get(reverse("rectification:evidence_download", args=[evidence.pk]))
    assert response.status_code == 404


def test_the_backup_walks_the_bucket(task, unit_staff, on_object_store):
    name = default_storage.save(f"evidence/{task.pk}/walked.png", SimpleUploadedFile("walked.png", png_bytes()))
    assert name in list(backups.storage_files())
