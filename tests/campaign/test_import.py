"""Importing a unit tree from .xlsx or .csv: all of it or none of it, every
problem named by row and column, only under units the importer manages."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from campaign import importers
from campaign.models import Unit, UnitKind
from tests.conftest import assert_refused, in_english
from tests.factories import UnitFactory

HEADER = ["名称", "上级单位", "类型", "代码", "书记", "简称", "党员数"]
URL = reverse("campaign:unit_import")
TEMPLATE_URL = reverse("campaign:unit_import_template")


def xlsx_bytes(rows, title=None):
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8-sig"):
    return "\r\n".join(",".join(str(cell) for cell in row) for row in rows).encode(encoding)


def post_file(client, data, name):
    return in_english(client).post(URL, {"file": SimpleUploadedFile(name, data)})


def problems_of(rows, user):
    with translation.override("en"):
        _records, problems = importers.validate(rows, user)
        return [str(problem) for problem in problems]


@pytest.fixture
def admin_client(client, city_admin):
    client.force_login(city_admin)
    return client


# --- good files -----------------------------------------------------------------------


@pytest.mark.django_db
class TestGoodFiles:
    def test_an_xlsx_with_a_merged_title_row_imports_the_tree(self, admin_client, city):
        rows = [
            HEADER,
            ["东区新村党支部", "东区新镇党委", "村党支部", "E-V1", "王五", "新村", 35],
            ["东区新镇党委", "中共东区委员会", "镇党委", "E-T1", "李四", "新镇", 210],
            ["东区某企业党支部", "东区新镇党委", "非公有制企业", "", "", "", ""],
        ]
        response = post_file(admin_client, xlsx_bytes(rows, title="东区单位组织架构"), "tree.xlsx")

        assert response.status_code == 302 and response["Location"] == URL
        town = Unit.objects.get(name="东区新镇党委")
        village = Unit.objects.get(name="东区新村党支部")
        enterprise = Unit.objects.get(name="东区某企业党支部")
        assert town.parent == city["east"] and town.kind == UnitKind.STREET
        assert village.parent == town and village.kind == UnitKind.VILLAGE
        assert enterprise.parent == town and enterprise.kind == UnitKind.ENTERPRISE and enterprise.code == ""
        assert village.path == f"{city['east'].path}{town.pk:07d}/{village.pk:07d}/" and village.depth == 3
        assert (village.code, village.leader_name, village.short_name, village.member_count) == ("E-V1", "王五", "新村", 35)

    def test_a_successful_import_says_how_many_units_it_added(self, admin_client, city):
        rows = [HEADER, ["东区新镇党委", "中共东区委员会", "镇党委", "", "", "", ""]]
        upload = SimpleUploadedFile("t.xlsx", xlsx_bytes(rows))
        response = in_english(admin_client).post(URL, {"file": upload}, follow=True)
        assert "Imported 1 unit." in [str(message) for message in response.context["messages"]]

    @pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
    def test_a_csv_in_utf8_with_bom_or_gb18030_imports_the_tree(self, admin_client, city, encoding):
        rows = [
            ["name", "Parent", "KIND", "code", "leader", "short name", "members"],
            ["西区新社区党支部", "西区街道党工委", " community ", "W-C9", "赵六", "", "48"],
            ["西区新社区第二党支部", "西区街道党工委", "社区党支部", "W-C10", "", "", ""],
        ]
        response = post_file(admin_client, csv_bytes(rows, encoding), "tree.csv")

        assert response.status_code == 302
        community = Unit.objects.get(code="W-C9")
        assert community.name == "西区新社区党支部" and community.parent == city["west_street"]
        assert community.kind == UnitKind.COMMUNITY and community.member_count == 48
        assert community.path.startswith(city["west_street"].path)
        assert Unit.objects.get(code="W-C10").parent == city["west_street"]

    def test_rows_may_name_a_parent_that_comes_further_down(self, city_admin, city):
        rows = [
            HEADER,
            ["C", "B", "社区党支部", "", "", "", ""],
            ["B", "A", "街道党工委", "", "", "", ""],
            ["A", "中共东区委员会", "街道党工委", "", "", "", ""],
        ]
        result = importers.import_units(rows, city_admin)

        assert result.ok
        a, b, c = (Unit.objects.get(name=name) for name in "ABC")
        assert (a.parent, b.parent, c.parent) == (city["east"], a, b)
        assert c.path == f"{city['east'].path}{a.pk:07d}/{b.pk:07d}/{c.pk:07d}/"

    @pytest.mark.parametrize(
        "word,kind",
        [("市委", UnitKind.CITY), (" District ", UnitKind.DISTRICT), ("街道／镇党工委", UnitKind.STREET),
         ("嘎查村党支部", UnitKind.VILLAGE), ("部门", UnitKind.DEPARTMENT), ("INSTITUTION", UnitKind.INSTITUTION)],
    )
    def test_kinds_are_read_from_chinese_words_and_codes_ignoring_case_and_spaces(self, city_admin, city, word, kind):
        result = importers.import_units([HEADER, ["新单位", "中共东区委员会", word, "", "", "", ""]], city_admin)
        assert result.ok and result.created[0].kind == kind

    def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers(self, city_admin, city):
        rows = [HEADER, ["甲", "中共东区委员会", "区委", "", "", "", ""], [], ["", "", "", "", "", "", ""],
                ["乙", "中共东区委员会", "街办", "", "", "", ""]]
        assert problems_of(rows, city_admin) == [
            "Row 5, column “类型”: unknown kind “街办”; write Provincial committee, City committee, District committee, "
            "Street/town working committee, Community branch, Village branch, Department/organ, "
            "Non-public enterprise or Institution."
        ]

    def test_a_superuser_may_add_a_top_level_unit(self, superuser, db):
        result = importers.import_units([HEADER, ["中共新市委员会", "", "市委", "", "", "", ""]], superuser)
        assert result.ok and result.created[0].parent is None and result.created[0].depth == 0


# --- bad files --------------------------------------------------------------------------


@pytest.mark.django_db
class TestBadFiles:
    def test_a_file_with_one_bad_row_imports_nothing_and_the_page_names_row_and_column(self, admin_client, city):
        before = Unit.objects.count()
        rows = [
            HEADER,
            ["东区新镇党委", "中共东区委员会", "镇党委", "", "", "", ""],
            ["东区新村党支部", "东区新镇党委", "街办", "", "", "", ""],
        ]
        response = post_file(admin_client, xlsx_bytes(rows, title="东区单位组织架构"), "tree.xlsx")

        assert response.status_code == 200
        assert Unit.objects.count() == before
        assert [(p.row, p.column) for p in response.context["problems"]] == [(4, "类型")]
        html = response.content.decode()
        assert '<td class="num">4</td><td>类型</td><td>Unknown kind “街办”; write Provincial committee, City committee' in html

    def test_every_problem_of_the_file_is_reported_at_once(self, city_admin, city):
        rows = [
            HEADER,
            ["", "中共东区委员会", "区委", "", "", "", ""],
            ["甲", "东区街道党工委", "", "", "", "", "many"],
            ["乙", "中共东区委员会", "区委", "", "", "", "-3"],
            ["乙", "中共东区委员会", "区委", "", "", "", ""],
        ]
        assert problems_of(rows, city_admin) == [
            "Row 2, column “名称”: this cell must not be empty.",
            "Row 3, column “类型”: cannot tell what kind of unit “甲” is from its name or the unit above; write one of "
            "Provincial committee, City committee, District committee, Street/town working committee, Community "
            "branch, Village branch, Department/organ, Non-public enterprise or Institution in a column “类型”.",
            "Row 3, column “党员数”: “many” is not a number of members.",
            "Row 4, column “党员数”: “-3” is not a number of members.",
            "Row 5, column “名称”: “乙” is already on row 4 under the same parent.",
        ]

    def test_a_missing_required_column_is_named(self, admin_client, city):
        rows = [["名称", "类型", "代码", "书记"], ["东区新镇党委", "街道", "", ""]]
        response = post_file(admin_client, csv_bytes(rows), "tree.csv")

        assert response.status_code == 200
        [problem] = response.context["problems"]
        assert problem.column == "上级单位" and "“上级单位” (or “parent”) is missing" in problem.message
        assert not Unit.objects.filter(name="东区新镇党委").exists()

    def test_a_file_without_a_name_header_in_its_first_rows_names_the_name_column(self, city_admin, city):
        rows = [["说明"], [], ["单位", "上级"], ["东区新镇党委", "中共东区委员会"]]
        assert problems_of(rows, city_admin) == ["The required column “名称” (or “name”) is missing"]

    @pytest.mark.parametrize(
        "name,data",
        [
            ("photo.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))),
            ("random.csv", bytes(range(256)) * 8),
            ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
        ],
    )
    def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_message(self, admin_client, city, name, data):
        before = Unit.objects.count()
        response = post_file(admin_client, data, name)

        assert response.status_code == 200
        [error] = response.context["form"].errors["file"]
        assert "not a spreadsheet" in error or "old Excel file (.xls)" in error
        assert Unit.objects.count() == before

    def test_a_word_document_is_not_a_spreadsheet(self, admin_client, city):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as docx:
            docx.writestr("[Content_Types].xml", "<Types/>")
            docx.writestr("word/document.xml", "<w:document/>")
        response = post_file(admin_client, buffer.getvalue(), "report.docx")
        assert "not a spreadsheet" in response.context["form"].errors["file"][0]

    def test_an_empty_file_gets_a_clear_message(self, admin_client, city):
        response = post_file(admin_client, b"", "empty.xlsx")
        assert response.status_code == 200
        assert response.context["form"].errors["file"] == ["The submitted file is empty."]

    def test_a_file_over_the_size_limit_is_refused(self, admin_client, city, settings):
        settings.IMPORT_MAX_BYTES = 100
        response = post_file(admin_client, csv_bytes([HEADER] * 10), "big.csv")
        assert "larger than" in response.context["form"].errors["file"][0]


# --- parents, names and codes -------------------------------------------------------------


@pytest.mark.django_db
class TestParentsNamesAndCodes:
    def test_an_unknown_parent_is_an_error_on_the_parent_column(self, city_admin, city):
        rows = [HEADER, ["新单位", "不存在的党委", "区委", "", "", "", ""]]
        assert problems_of(rows, city_admin) == [
            "Row 2, column “上级单位”: no unit named “不存在的党委” in this file or among the units you can see."
        ]

    def test_a_parent_outside_the_importers_scope_is_refused_as_unknown(self, admin_above, city):
        rows = [HEADER, ["西区新社区党支部", "西区街道党工委", "社区党支部", "", "", "", ""]]
        result = importers.import_units(rows, admin_above)

        assert [(p.row, p.column) for p in result.problems] == [(2, "上级单位")]
        assert "没有名为“西区街道党工委”的单位" in result.problems[0].message
        assert not Unit.objects.filter(name="西区新社区党支部").exists()

    def test_an_administrator_imports_under_units_in_their_own_scope(self, admin_above, city):
        rows = [HEADER, ["东区新社区党支部", "东区街道党工委", "社区党支部", "", "", "", ""]]
        result = importers.import_units(rows, admin_above)
        assert result.ok and result.created[0].parent == city["east_street"]

    def test_only_a_superuser_may_add_a_top_level_unit(self, city_admin, city):
        rows = [HEADER, ["中共新市委员会", "", "市委", "", "", "", ""]]
        assert problems_of(rows, city_admin) == [
            "Row 2, column “上级单位”: only a superuser may add a top-level unit; name its parent unit."
        ]

    def test_a_parent_name_shared_by_several_units_is_ambiguous(self, city_admin, city):
        UnitFactory(parent=city["east_street"], name="第一社区党支部", kind=UnitKind.COMMUNITY)
        UnitFactory(parent=city["west_street"], name="第一社区党支部", kind=UnitKind.COMMUNITY)
        rows = [HEADER, ["第一网格党小组", "第一社区党支部", "社区党支部", "", "", "", ""]]
        assert problems_of(rows, city_admin) == [
            "Row 2, column “上级单位”: parent unit “第一社区党支部” is ambiguous: 2 units have that name."
        ]

    def test_a_loop_of_parents_within_the_file_is_refused(self, city_admin, city):
        rows = [
            HEADER,
            ["甲", "乙", "街道党工委", "", "", "", ""],
            ["乙", "甲", "街道党工委", "", "", "", ""],
            ["丙", "甲", "社区党支部", "", "", "", ""],
        ]
        assert problems_of(rows, city_admin) == [
            "Row 2, column “上级单位”: parent unit “乙” leads back to this row (a loop).",
            "Row 3, column “上级单位”: parent unit “甲” leads back to this row (a loop).",
        ]
        assert not importers.import_units(rows, city_admin).ok

    def test_a_name_already_under_the_same_parent_in_the_database_is_refused(self, city_admin, city):
        rows = [HEADER, ["东区街道党工委", "中共东区委员会", "街道党工委", "", "", "", ""]]
        assert problems_of(rows, city_admin) == [
            "Row 2, column “名称”: a unit named “东区街道党工委” already exists under this parent."
        ]

    def test_a_code_already_in_the_database_is_refused(self, city_admin, city):
        UnitFactory(parent=city["west"], name="西区某部门", kind=UnitKind.DEPARTMENT, code="D-7")
        rows = [HEADER, ["东区新部门", "中共东区委员会", "部门", "D-7", "", "", ""]]
        assert problems_of(rows, city_admin) == ["Row 2, column “代码”: code “D-7” is already used by another unit."]
        assert not importers.import_units(rows, city_admin).ok
        assert not Unit.objects.filter(name="东区新部门").exists()

    def test_a_clash_found_only_while_creating_rolls_back_every_unit(self, city_admin, city, monkeypatch):
        """Someone else takes a code between validation and creation: the database refuses, nothing stays."""
        monkeypatch.setattr(importers, "check_duplicates", lambda records: [])
        UnitFactory(parent=city["west"], name="西区某部门", kind=UnitKind.DEPARTMENT, code="D-7")
        rows = [HEADER, ["甲", "中共东区委员会", "部门", "D-1", "", "", ""], ["乙", "甲", "部门", "D-7", "", "", ""]]
        result = importers.import_units(rows, city_admin)

        assert not result.ok and result.problems[0].row is None
        assert not Unit.objects.filter(name__in=["甲", "乙"]).exists()

    def test_a_code_used_twice_in_the_file_is_refused(self, city_admin, city):
        rows = [HEADER, ["甲", "中共东区委员会", "部门", "X1", "", "", ""], ["乙", "中共东区委员会", "部门", "X1", "", "", ""]]
        assert problems_of(rows, city_admin) == ["Row 3, column “代码”: code “X1” is already used on row 2."]


# --- who may import, and the template --------------------------------------------------------


@pytest.mark.django_db
class TestAccess:
    def test_an_administrator_sees_the_form_and_the_template_link(self, admin_client):
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert 'enctype="multipart/form-data"' in response.content.decode()
        assert TEMPLATE_URL in response.content.decode()

    @pytest.mark.parametrize("url", [URL, TEMPLATE_URL])
    def test_staff_who_are_not_administrators_get_403(self, client, staff_above, url):
        client.force_login(staff_above)
        assert_refused(client.get(url), 403)

    def test_staff_cannot_post_a_file_either(self, client, staff_above, city):
        client.force_login(staff_above)
        rows = [HEADER, ["东区新镇党委", "中共东区委员会", "镇党委", "", "", "", ""]]
        assert post_file(client, xlsx_bytes(rows), "tree.xlsx").status_code == 403
        assert not Unit.objects.filter(name="东区新镇党委").exists()

    @pytest.mark.parametrize("url", [URL, TEMPLATE_URL])
    def test_anonymous_visitors_are_sent_to_login(self, client, db, url):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_the_template_is_an_xlsx_whose_header_row_the_importer_reads(self, admin_client):
        response = admin_client.get(TEMPLATE_URL)

        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "attachment" in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert [cell.value for cell in sheet[1]] == [column.header for column in importers.COLUMNS] and sheet.max_row == 3
        rows = importers.read_rows(response.content)
        header_index, headers, problems = importers.find_columns(rows)
        assert (header_index, problems) == (0, [])
        assert list(headers) == [column.field for column in importers.COLUMNS]


@pytest.mark.django_db
def test_short_words_offices_write_for_a_kind_are_understood():
    from campaign.importers import kind_lookup, normalise

    kinds = kind_lookup()
    assert kinds[normalise("社区")] == UnitKind.COMMUNITY
    assert kinds[normalise("村")] == UnitKind.VILLAGE
    assert kinds[normalise("街道")] == UnitKind.STREET
