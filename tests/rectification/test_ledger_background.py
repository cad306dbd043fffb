"""Large office ledgers in the background (issue 10): above LEDGER_IMPORT_BACKGROUND_ROWS the
upload waits in the default storage and a worker imports it (rectification.ledger.importer.run,
called here as the worker would), all or nothing; the uploader follows the progress on a page
that lists what was added and updated, or every problem by row and column; nobody else sees
that page, and the stored upload is deleted once done. A small ledger still imports in the request."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from config.celery import app as celery_app
from rectification.ledger import importer
from rectification.models import LedgerImportRun, Problem, Task
from tests.conftest import in_english, member
from tests.factories import TaskFactory
from tests.rectification.test_ledger import HEADER, IMPORT_URL, post_ledger, row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.LEDGER_IMPORT_BACKGROUND_ROWS = 3


@pytest.fixture
def staff_client(staff_above):
    client = Client()
    client.force_login(staff_above)
    return client


def run_url(run):
    return reverse("rectification:ledger_import_run", args=[run.pk])


def import_page(client):
    return in_english(client).get(IMPORT_URL).content.decode()


def upload(client, data, batch, default_unit):
    """Upload a large ledger; returns the run it was handed to."""
    response = post_ledger(client, data, batch, default_unit, name="东区整改台账.xlsx")
    assert response.status_code == 302, response.status_code
    run = LedgerImportRun.objects.get()
    assert response["Location"] == run_url(run)
    return run


FOUR_ROWS = [row(n, f"问题{n}", unit="东区社区党支部") for n in range(1, 5)]


def test_a_large_ledger_is_imported_by_the_worker_and_the_page_shows_what_was_added_and_updated(
    staff_client, city, batch
):
    existing = TaskFactory(
        unit=city["east_community"], problem__batch=batch, measures="旧措施", leader_name="王书记", person_name="李干事"
    )
    numbered = [*row("", existing.problem.title, unit=""), existing.pk]
    numbered[2] = "新的整改措施"  # the measures change
    numbered[6] = existing.due_date.isoformat()
    data = xlsx_bytes([[*r, ""] for r in FOUR_ROWS] + [numbered], header=[*HEADER, "任务编号"])

    run = upload(staff_client, data, batch, city["east"])
    assert run.row_count == 5 and run.file_name == "东区整改台账.xlsx"
    assert run.file.name.endswith(".xlsx") and default_storage.exists(run.file.name)  # the upload waits in the storage
    assert Task.objects.count() == 1  # nothing imported in the request
    page = staff_client.get(run_url(run)).content.decode()
    assert 'data-status="queued"' in page and 'hx-trigger="every 2s"' in page  # the page follows the worker
    assert "<script>" not in page  # strict CSP: htmx from its static file only

    stored = run.file.name
    importer.run(run.pk)  # what the worker does
    assert importer.run(run.pk) is None  # a second delivery finds it taken

    assert Task.objects.filter(title__in=[f"问题{n}" for n in range(1, 5)], unit=city["east_community"]).count() == 4
    existing.refresh_from_db()
    assert existing.measures == "新的整改措施"
    run.refresh_from_db()
    assert run.status == LedgerImportRun.Status.DONE and (run.created_count, run.updated_count) == (4, 1)
    assert not run.file and not default_storage.exists(stored)  # the upload is not kept
    status = staff_client.get(run_url(run), headers={"HX-Request": "true"})
    html = status.content.decode()
    assert 'data-status="done"' in html and "hx-trigger" not in html
    assert '<dd data-testid="count-added">4</dd>' in html and '<dd data-testid="count-updated">1</dd>' in html
    assert 'value="100"' in html


def test_the_page_shows_how_far_the_worker_is(staff_client, city, batch):
    run = upload(staff_client, xlsx_bytes(FOUR_ROWS), batch, city["east"])
    run.status, run.stage = LedgerImportRun.Status.RUNNING, LedgerImportRun.Stage.CHECKING
    run.save()
    html = staff_client.get(run_url(run), headers={"HX-Request": "true"}).content.decode()
    assert "Checking every row" in html and 'value="40"' in html and 'hx-trigger="every 2s"' in html


def test_the_worker_knows_the_task():
    assert "rectification.ledger.tasks" in celery_app.conf.imports  # the worker imports it at start


def test_the_form_says_when_a_ledger_goes_to_the_background(staff_client):
    html = import_page(staff_client)
    assert "A ledger of more than 3 rows is imported in the background" in html


def test_a_broken_large_ledger_imports_nothing_and_the_page_names_row_and_column(staff_client, city, batch):
    rows = [*FOUR_ROWS, row(5, "问题5", unit="东区社区党支部", due="明年春天"), row(6, "问题6", unit="不存在的单位")]
    run = upload(staff_client, xlsx_bytes(rows), batch, city["east"])
    stored = run.file.name
    importer.run(run.pk)

    run.refresh_from_db()
    assert run.status == LedgerImportRun.Status.REFUSED
    assert [(p["row"], p["column"]) for p in run.problems] == [(7, "整改时限"), (8, "责任单位")]
    assert Task.objects.count() == 0 and Problem.objects.count() == 0
    assert not default_storage.exists(stored)
    html = staff_client.get(run_url(run)).content.decode()
    assert '<td class="num">7</td><td>整改时限</td>' in html and '<td class="num">8</td><td>责任单位</td>' in html
    assert "Nothing was imported" in html and "“明年春天” is not a date" in html  # in the uploader's language


def test_a_file_that_is_no_longer_readable_imports_nothing(staff_client, city, batch):
    run = upload(staff_client, xlsx_bytes(FOUR_ROWS), batch, city["east"])
    stored = run.file.name
    default_storage.delete(stored)
    default_storage.save(stored, ContentFile(b"not a workbook"))
    importer.run(run.pk)
    run.refresh_from_db()
    assert run.status == LedgerImportRun.Status.REFUSED and Task.objects.count() == 0
    assert run.problems[0]["row"] is None and "not an Excel workbook" in run.problems[0]["message"]
    assert not default_storage.exists(stored)


def test_an_uploader_who_lost_the_unit_meanwhile_imports_nothing(staff_client, city, batch, staff_above):
    run = upload(staff_client, xlsx_bytes(FOUR_ROWS), batch, city["east"])
    staff_above.memberships.all().delete()
    importer.run(run.pk)
    run.refresh_from_db()
    assert run.status == LedgerImportRun.Status.REFUSED and Task.objects.count() == 0


def test_only_the_uploader_follows_the_run(staff_client, city, batch, unit_staff, superuser):
    run = upload(staff_client, xlsx_bytes(FOUR_ROWS), batch, city["east"])
    colleague = member(city["east"], "staff", "east-colleague")  # same office, same rights: still not theirs
    west = member(city["west"], "staff", "west-staff")
    for user in (colleague, west, unit_staff, superuser):
        client = Client()
        client.force_login(user)
        assert client.get(run_url(run)).status_code == 404
        assert client.get(run_url(run), headers={"HX-Request": "true"}).status_code == 404
    response = Client().get(run_url(run))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_small_ledger_still_imports_in_the_request(staff_client, city, batch):
    rows = FOUR_ROWS[:3]
    response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])
    assert response.status_code == 302 and response["Location"] != IMPORT_URL
    assert not LedgerImportRun.objects.exists()
    assert Task.objects.count() == 3
