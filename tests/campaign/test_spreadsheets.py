"""Hostile spreadsheets are refused before they cost the server memory or time,
with a message saying what is wrong, and nothing of them is imported.

Each kind of attack is tried twice: through the unit import page (as the
office's administrator would upload it) with the limits in force, and against
:func:`campaign.spreadsheets.read_xlsx` with the compression-ratio check
switched off, so that the streaming scan behind it is shown to hold on its own.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from campaign import hostile_files, importers, spreadsheets
from campaign.models import Unit
from tests.conftest import in_english

URL = reverse("campaign:unit_import")
HEADER = "名称,上级单位,类型,代码,书记,简称,党员数"
# The scan alone: no ratio check, so each file reaches the streaming scan.
SCAN_ONLY = spreadsheets.Limits(max_rows=100, max_ratio=10**9)


@pytest.fixture
def admin_client(client, city_admin):
    client.force_login(city_admin)
    return client


def refused(client, data, name="units.xlsx"):
    """Upload through the page; the file's error message, after checking nothing was imported."""
    before = Unit.objects.count()
    response = in_english(client).post(URL, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200, "a hostile file must not be accepted"
    assert Unit.objects.count() == before, "nothing of a refused file may be imported"
    return response.context["form"].errors["file"][0]


def scan_refuses(data, limits=SCAN_ONLY):
    with pytest.raises(spreadsheets.UnreadableFile) as refusal, translation.override("en"):
        spreadsheets.read_xlsx(data, limits)
    return str(refusal.value)


@pytest.mark.django_db
class TestThroughTheImportPage:
    def test_a_zip_bomb_of_500_mib_in_one_cell_is_refused_by_its_unpacked_size(self, admin_client):
        data = hostile_files.zip_bomb(500 * 1024 * 1024)
        assert len(data) < 1024 * 1024  # small on the wire
        assert refused(admin_client, data) == (
            "The file unpacks to more than 64.0\xa0MB; it is not an ordinary spreadsheet. "
            "Copy the data into a new, plain workbook and upload that."
        )

    def test_a_file_compressed_a_thousand_times_is_refused_by_its_ratio(self, admin_client):
        message = refused(admin_client, hostile_files.ratio_bomb())
        assert message.startswith("The file is compressed more than 100 times")

    def test_a_million_cells_in_one_row_are_refused(self, admin_client):
        message = refused(admin_client, hostile_files.wide_row(1_000_000))
        assert message.startswith("The file is compressed more than 100 times")

    def test_a_row_of_a_hundred_cells_is_refused_naming_the_row(self, admin_client):
        assert refused(admin_client, hostile_files.wide_row(100, varied=True)) == (
            "Row 2 has more than 50 columns. Keep only the columns of the template."
        )

    def test_a_cell_longer_than_excel_allows_is_refused_naming_row_and_column(self, admin_client):
        assert refused(admin_client, hostile_files.long_cell(40_000)) == (
            "Row 2, column B holds more than 32767 characters; shorten it."
        )

    def test_more_rows_than_the_unit_importer_takes_are_refused(self, admin_client):
        data = hostile_files.many_rows(importers.MAX_ROWS + importers.HEADER_SEARCH_ROWS)
        assert refused(admin_client, data) == f"The file has more than {importers.MAX_ROWS} rows. Split it into several files."

    def test_a_value_on_excels_last_row_is_refused_without_reading_the_rows_between(self, admin_client):
        assert refused(admin_client, hostile_files.far_row()) == (
            f"The file has more than {importers.MAX_ROWS} rows. Split it into several files."
        )

    def test_an_archive_of_thousands_of_parts_is_refused(self, admin_client):
        assert refused(admin_client, hostile_files.many_parts(600)).startswith(
            "The file is made of more than 500 parts"
        )

    def test_a_csv_with_a_wide_row_a_long_cell_or_too_many_rows_is_refused(self, admin_client):
        wide = f"{HEADER}\n" + ",".join(["x"] * 60)
        long = f"{HEADER}\n东区新村党支部,{'长' * 40_000},村党支部"
        huge = f"{HEADER}\n" + "\n".join(f"{n},x,村" for n in range(importers.MAX_ROWS + importers.HEADER_SEARCH_ROWS))
        csv_field = f"{HEADER}\n东区新村党支部,\"{'长' * 200_000}\",村党支部"
        assert refused(admin_client, wide.encode(), "units.csv") == (
            "Row 2 has more than 50 columns. Keep only the columns of the template."
        )
        assert refused(admin_client, long.encode(), "units.csv") == (
            "Row 2, column B holds more than 32767 characters; shorten it."
        )
        assert refused(admin_client, huge.encode(), "units.csv") == (
            f"The file has more than {importers.MAX_ROWS} rows. Split it into several files."
        )
        assert refused(admin_client, csv_field.encode(), "units.csv") == (
            "Row 2 holds a cell of more than 32767 characters; shorten it."
        )

    def test_the_refusal_is_in_chinese_by_default(self, client, city_admin):
        client.force_login(city_admin)
        response = client.post(URL, {"file": SimpleUploadedFile("units.xlsx", hostile_files.long_cell(40_000))})
        assert response.context["form"].errors["file"][0] == "第 2 行 B 列超过 32767 个字符，请删减。"
        assert "第 2 行 B 列超过 32767 个字符" in response.content.decode()
        response = client.post(URL, {"file": SimpleUploadedFile("units.xlsx", hostile_files.zip_bomb(500 * 1024 * 1024))})
        assert response.context["form"].errors["file"][0] == (
            "该文件解压后超过 64.0\xa0MB，不是普通的电子表格。请把数据复制到一个新建的普通工作簿中再上传。"
        )


class TestTheStreamingScanOnItsOwn:
    """With the ratio check off, the scan still stops each attack early."""

    def test_a_wide_row_stops_at_the_first_cell_past_the_limit(self):
        assert scan_refuses(hostile_files.wide_row(1_000_000)) == (
            "Row 2 has more than 50 columns. Keep only the columns of the template."
        )

    def test_many_rows_stop_at_the_first_row_past_the_limit(self):
        assert scan_refuses(hostile_files.many_rows(20_000)).startswith("The file has more than 100 rows")

    def test_a_long_shared_string_is_refused_before_openpyxl_holds_it(self):
        assert scan_refuses(hostile_files.long_cell(40_000, shared=True)) == (
            "A cell of the file holds more than 32767 characters; shorten it."
        )

    def test_a_huge_attribute_or_comment_is_refused_as_too_complex(self):
        attribute = hostile_files.workbook(['<row r="2"><c r="A2" x="', "a" * (3 * 1024 * 1024), '"><v>1</v></c></row>'])
        comment = hostile_files.workbook(["<!--", " " * (3 * 1024 * 1024), "-->"])
        for data in (attribute, comment):
            assert scan_refuses(data).startswith("The first sheet holds more than")

    def test_an_entity_expansion_bomb_is_not_read(self):
        laughs = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
        )
        buffer = io.BytesIO(hostile_files.workbook([]))
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out := io.BytesIO(), "w") as target:
            for info in source.infolist():
                target.writestr(info, laughs if info.filename == "xl/worksheets/sheet1.xml" else source.read(info))
        assert scan_refuses(out.getvalue()) == "This file is not an Excel workbook. Upload it as an .xlsx file."

    def test_a_part_whose_declared_size_lies_fails_its_check_and_is_not_read(self):
        data = bytearray(hostile_files.workbook(['<row r="2"><c r="A2"><v>1</v></c></row>', "<!--", " " * 500_000, "-->"]))
        # Say in both headers that the sheet unpacks to 1,000 bytes: zipfile stops there, and the CRC fails.
        name = b"xl/worksheets/sheet1.xml"
        for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            at = data.find(signature)
            while data[at + (30 if signature == b"PK\x03\x04" else 46) :].find(name) != 0:
                at = data.find(signature, at + 4)
            data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
        assert scan_refuses(bytes(data)) == "This file is not an Excel workbook. Upload it as an .xlsx file."

    def test_an_ordinary_workbook_within_the_limits_is_read_whole(self):
        header = ["序号", "问题描述", "整改措施", "责任领导", "责任单位", "责任人", "整改时限", "整改类型", "整改进展", "问题来源", "备注"]
        data = hostile_files.ordinary_workbook(header, hostile_files.ledger_rows(95), title="东区整改台账")
        sheet = spreadsheets.read_xlsx(data, SCAN_ONLY)
        assert len(sheet.rows) == 97 and sheet.rows[1][1] == "问题描述" and sheet.rows[96][0] == "95"
        assert sheet.merged == [(1, 1, 11, 1)]

    def test_only_the_first_sheet_is_read_and_checked(self):
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(["名称", "上级单位"])
        book.active.append(["东区新村党支部", "中共东区委员会"])
        other = book.create_sheet("说明")
        for _ in range(300):
            other.append(list(range(200)))  # wider and longer than the limits: never read
        buffer = io.BytesIO()
        book.save(buffer)
        assert spreadsheets.read_xlsx(buffer.getvalue(), SCAN_ONLY).rows == [
            ["名称", "上级单位"],
            ["东区新村党支部", "中共东区委员会"],
        ]

    def test_empty_formatted_cells_far_to_the_right_are_not_columns(self):
        from openpyxl.utils import get_column_letter

        empty = "".join(f'<c r="{get_column_letter(column)}2" s="0"/>' for column in range(2, 120))
        data = hostile_files.workbook([hostile_files._header_row(), f'<row r="2"><c r="A2" t="inlineStr"><is><t>东区</t></is></c>{empty}</row>'])
        assert spreadsheets.read_xlsx(data, SCAN_ONLY).rows == [["名称"], ["东区"]]


@pytest.mark.django_db
def test_the_accounts_import_reads_through_the_same_checks(client, city_admin):
    """The people importer (账号管理 → 从电子表格导入账号) reads with the unit importer's checks, its own row limit."""
    from campaign.models import ProvisioningRun

    client.force_login(city_admin)
    url = reverse("campaign:provision")
    for data, message in (
        (hostile_files.zip_bomb(500 * 1024 * 1024), "The file unpacks to more than 64.0\xa0MB"),
        (hostile_files.wide_row(100, varied=True), "Row 2 has more than 50 columns"),
        (hostile_files.many_rows(50_010), "The file has more than 50000 rows"),
    ):
        response = in_english(client).post(url, {"file": SimpleUploadedFile("花名册.xlsx", data)})
        assert response.status_code == 200
        assert response.context["form"].errors["file"][0].startswith(message)
    assert not ProvisioningRun.objects.exists()
