"""A large export is written by a real Celery worker (the harness of
tests.rectification.test_celery_delivery: a `celery worker` process on the configured
broker and the test's own database), and its page then offers the file."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from campaign.models import ExportJob
from tests.conftest import member
from tests.factories import TaskFactory
from tests.rectification.shared_db import shared_database
from tests.rectification.test_celery_delivery import workers  # noqa: F401 - the fixture

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_writes_the_file_once_and_the_page_offers_it(city, batch, workers, settings):  # noqa: F811
    settings.EXPORT_BACKGROUND_ROWS = 2
    for n in range(6):
        TaskFactory(unit=city["east_community"], problem__batch=batch, title=f"东区任务{n}")
    client = Client()
    client.force_login(member(city["east"], "staff", "east-exporter"))
    response = client.get(reverse("rectification:task_list"), {"export": "xlsx"})
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("campaign:export_job", args=[job.pk])

    harness = workers()
    with shared_database(harness.var_dir) as database:
        harness.start(database, count=2)
        for _ in range(2):  # the same message twice: the second finds the job taken
            harness.client.send_task("campaign.tasks.run_export", args=[job.pk], queue=harness.queue)
        harness.wait_until(lambda: harness.finished("campaign.tasks.run_export") == 2, "both deliveries")
        harness.wait_idle()

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, (job.error, harness.logs())
    status = client.get(reverse("campaign:export_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in status and "hx-trigger" not in status
    settings.MEDIA_ROOT = str(harness.var_dir / "media")  # where the worker's storage wrote it
    download = client.get(reverse("campaign:export_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == [f"东区任务{n}" for n in range(6)]
