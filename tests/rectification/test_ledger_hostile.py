"""Hostile workbooks uploaded to the ledger import are refused with a message
and add no problem, task or progress entry (the reading itself is tested in
tests/campaign/test_spreadsheets.py)."""

import pytest

from campaign import hostile_files
from rectification.ledger import importer as ledger
from rectification.models import Problem, ProgressUpdate, Task
from tests.rectification.test_ledger import post_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_above):
    client.force_login(staff_above)
    return client


def refusal(client, data, batch, unit):
    counts = (Problem.objects.count(), Task.objects.count(), ProgressUpdate.objects.count())
    response = post_ledger(client, data, batch, unit)
    assert response.status_code == 200
    assert (Problem.objects.count(), Task.objects.count(), ProgressUpdate.objects.count()) == counts
    return response.context["form"].errors["file"][0]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: hostile_files.zip_bomb(500 * 1024 * 1024), "The file unpacks to more than 64.0\xa0MB"),
        (hostile_files.ratio_bomb, "The file is compressed more than 100 times"),
        (lambda: hostile_files.wide_row(200, varied=True), "Row 2 has more than 50 columns"),
        (lambda: hostile_files.long_cell(33_000, shared=True), "A cell of the file holds more than 32767 characters"),
        (lambda: hostile_files.many_rows(ledger.MAX_ROWS + ledger.HEADER_SEARCH_ROWS), "The file has more than 3000 rows"),
        (hostile_files.far_row, "The file has more than 3000 rows"),
    ],
    ids=["zip-bomb", "ratio", "wide-row", "long-cell", "many-rows", "far-row"],
)
def test_a_hostile_ledger_is_refused_and_nothing_is_imported(staff_client, city, batch, make, message):
    assert refusal(staff_client, make(), batch, city["east"]).startswith(message)


def test_a_ledger_at_the_row_limit_still_imports_every_row(staff_client, city, batch):
    """A file at the row limit is over the background threshold: the worker imports every row."""
    from rectification.ledger import importer
    from rectification.models import LedgerImportRun

    header = [column.header for column in ledger.TEMPLATE_COLUMNS]
    data = hostile_files.ordinary_workbook(header, hostile_files.ledger_rows(ledger.MAX_ROWS, 20), title="东区整改台账")
    response = post_ledger(staff_client, data, batch, city["east"])
    assert response.status_code == 302, response.context and response.context.get("problems")
    run = LedgerImportRun.objects.get()
    assert run.row_count == ledger.MAX_ROWS and not Task.objects.exists()
    importer.run(run.pk)  # what the worker does
    run.refresh_from_db()
    assert run.status == LedgerImportRun.Status.DONE
    assert Task.objects.filter(batch=batch).count() == ledger.MAX_ROWS
