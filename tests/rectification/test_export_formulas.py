"""Exports cannot run code in the spreadsheet program that opens them: a task
titled like a formula comes out of every .xlsx as text and out of every .csv
neutralised with a leading apostrophe (OWASP's advice for CSV injection)."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from campaign.exports import csv_safe
from tests.factories import TaskFactory

HOSTILE = {
    "title": '=HYPERLINK("http://evil.example","click")',
    "measures": "+cmd|' /C calc'!A0",
    "leader_name": "-2+3",
    "person_name": "@SUM(1+1)*cmd",
}
TASK_LIST = reverse("rectification:task_list")
LEDGER_EXPORT = reverse("reports:ledger_export")


@pytest.fixture
def hostile_task(city, batch):
    return TaskFactory(unit=city["east_community"], problem__batch=batch, problem__title=HOSTILE["title"], **HOSTILE)


@pytest.fixture
def staff_client(client, staff_above):
    client.force_login(staff_above)
    return client


def formulas_in(data):
    """Every <f> (formula) element of every sheet of an .xlsx file's XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            name for name in archive.namelist() if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)
        ]


def cells_with(sheet, text):
    return [cell for row in sheet.iter_rows() for cell in row if cell.value == text]


@pytest.mark.django_db
class TestXlsx:
    @pytest.mark.parametrize("url, params", [(TASK_LIST, {"export": "xlsx"}), (LEDGER_EXPORT, {"format": "xlsx"})])
    def test_formula_like_texts_read_back_as_text(self, staff_client, hostile_task, url, params):
        response = staff_client.get(url, params)
        assert response.status_code == 200
        assert formulas_in(response.content) == []
        sheet = load_workbook(io.BytesIO(response.content)).active  # formulas would read back as formulas
        for text in (HOSTILE["title"], HOSTILE["measures"], HOSTILE["leader_name"], HOSTILE["person_name"]):
            if url == TASK_LIST and text == HOSTILE["measures"]:
                continue  # the list's default columns do not include the measures
            cells = cells_with(sheet, text)
            assert cells, f"{text!r} is missing from the export"
            assert all(cell.data_type == "s" for cell in cells)


@pytest.mark.django_db
class TestCsv:
    @pytest.mark.parametrize("url, params", [(TASK_LIST, {"export": "csv"}), (LEDGER_EXPORT, {"format": "csv"})])
    def test_formula_like_texts_get_a_leading_apostrophe(self, staff_client, hostile_task, url, params):
        response = staff_client.get(url, params)
        values = [value for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for value in row]
        assert "'" + HOSTILE["title"] in values
        assert "'" + HOSTILE["leader_name"] in values
        assert "'" + HOSTILE["person_name"] in values
        assert not [value for value in values if value.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_csv_safe_neutralises_what_owasp_names_and_leaves_the_rest():
    for text in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert csv_safe(text) == "'" + text
    for value in ("整改任务", "1-2", "a=b", "", 5, -5, None):
        assert csv_safe(value) == value
