"""The ledger round-trips (issue 9): a problem with several measures, the export
read back by the import (every column it reads, updates by 任务编号 under the
concurrent-edit rules, all or nothing), the export's title, headers and print
setup, Chinese file names, old .xls files, and the task lists as cards on a phone."""

import datetime
import io

import pytest
import xlwt
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaign.models import Role
from rectification import services
from rectification.ledger import importer
from rectification.models import Problem, ProgressUpdate, Task, Term
from rectification.models.problems import ProblemSource
from tests.conftest import in_english, member
from tests.factories import MembershipFactory, TaskFactory
from tests.rectification.test_ledger import (
    EXPORT_URL,
    HEADER,
    east_task,  # noqa: F401 - a fixture
    post_ledger,
    problems_on_page,
    row,
    staff_client,  # noqa: F401 - a fixture
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def workbook_bytes(sheet):
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    return buffer.getvalue()


def exported(client, **params):
    response = client.get(EXPORT_URL, params)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def column_of(sheet, header):
    return next(cell.column for cell in sheet[2] if cell.value == header)


def cell(sheet, task, header):
    """The cell of ``task``'s row under ``header``."""
    key_column = column_of(sheet, "任务编号")
    for number in range(3, sheet.max_row + 1):
        if sheet.cell(row=number, column=key_column).value == task.pk:
            return sheet.cell(row=number, column=column_of(sheet, header))
    raise AssertionError(f"task {task.pk} is not in the sheet")


# --- one problem, several measures -------------------------------------------------------


def test_a_problem_merged_over_two_measures_is_one_problem_with_a_task_per_measure(staff_client, city, batch):
    first = row(1, "群众办事难", unit="东区社区党支部")
    first[2] = "1.设立便民服务窗口"
    second = ["", "", "2.推行一次办结制度", "王书记", "东区社区党支部", "李干事", "2027-03-31", "", "", "", ""]
    data = xlsx_bytes([first, second, row(3, "另一个问题", unit="东区社区党支部")], merge=["B3:B4"])

    assert post_ledger(staff_client, data, batch, city["east"]).status_code == 302

    problem = Problem.objects.get(title="群众办事难")
    assert Problem.objects.count() == 2
    assert sorted(problem.tasks.values_list("title", flat=True)) == ["1.设立便民服务窗口", "2.推行一次办结制度"]
    assert Task.objects.get(problem__title="另一个问题").title == "另一个问题"  # one measure: the problem's title
    # The task list no longer shows two rows with the same title.
    titles = list(Task.objects.values_list("title", flat=True))
    assert len(titles) == len(set(titles)) == 3


def test_the_same_file_again_is_still_refused_row_by_row(staff_client, city, batch):
    first = row(1, "群众办事难", unit="东区社区党支部")
    second = row(2, "群众办事难", unit="东区社区党支部")
    second[2] = "另一项措施"
    data = xlsx_bytes([first, second])
    assert post_ledger(staff_client, data, batch, city["east"]).status_code == 302
    response = post_ledger(staff_client, data, batch, city["east"])
    assert len(problems_on_page(response)) == 2 and Task.objects.count() == 2


# --- the export as offices write it ------------------------------------------------------


def test_the_export_names_unit_and_day_and_keeps_term_and_source(staff_client, city, batch, east_task):  # noqa: F811
    Problem.objects.filter(pk=east_task.problem_id).update(source=ProblemSource.PUBLIC)
    Task.objects.filter(pk=east_task.pk).update(term=Term.IMMEDIATE)
    sheet = exported(in_english(staff_client), within=city["east_community"].pk).active
    today = timezone.localdate()
    assert sheet["A1"].value == f"东区社区党支部整改台账（截至{today.year}年{today.month}月{today.day}日）"
    headers = [c.value for c in sheet[2]]
    assert "佐证材料（份）" in headers and "证据数" not in headers
    assert {"整改类型", "问题来源", "任务编号"} <= set(headers)
    assert cell(sheet, east_task, "整改类型").value == "Immediate"
    assert cell(sheet, east_task, "问题来源").value == "Public opinion"
    assert cell(sheet, east_task, "佐证材料（份）").value == 1


def test_the_export_prints_on_landscape_a4_with_the_header_rows_on_every_page(staff_client, city, east_task):  # noqa: F811
    sheet = exported(staff_client).active
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    version_column = column_of(sheet, "版本号")
    assert sheet.column_dimensions[sheet.cell(row=2, column=version_column).column_letter].hidden


def test_the_title_names_the_users_own_unit_when_no_scope_is_chosen(staff_client, city, east_task):  # noqa: F811
    sheet = exported(staff_client).active
    assert sheet["A1"].value.startswith("中共东区委员会整改台账（截至")


@pytest.mark.parametrize("fmt, extension", [("csv", "csv"), ("xlsx", "xlsx")])
def test_both_formats_are_named_in_chinese(staff_client, city, batch, east_task, fmt, extension):  # noqa: F811
    response = staff_client.get(EXPORT_URL, {"within": city["east"].pk, "batch": batch.pk, "format": fmt})
    disposition = response["Content-Disposition"]
    today = timezone.localdate()
    name = f"中共东区委员会第二批整改台账（截至{today.year}年{today.month}月{today.day}日）.{extension}"
    from urllib.parse import quote

    assert f"filename*=utf-8''{quote(name)}" in disposition
    assert "ledger-" not in disposition


# --- export → edit → import --------------------------------------------------------------


def test_export_change_two_cells_import_and_compare(staff_client, city, batch, east_task):  # noqa: F811
    other = TaskFactory(unit=city["east_street"], problem__batch=batch, problem__title="办事难", measures="简化流程")
    before = {task.pk: (task.version, task.title, task.measures, task.term, task.due_date) for task in Task.objects.all()}
    workbook = exported(staff_client, within=city["east"].pk, batch=batch.pk)
    sheet = workbook.active
    cell(sheet, east_task, "整改措施").value = "改造管网并建立巡查制度"
    cell(sheet, east_task, "问题来源").value = "督导"
    response = post_ledger(staff_client, workbook_bytes(sheet), batch, city["east"])

    assert response.status_code == 302, problems_on_page(response)
    assert "Updated 1 task." in staff_client.get(response["Location"]).content.decode()
    assert Task.objects.count() == 2 and Problem.objects.count() == 2  # updated, nothing added
    east_task.refresh_from_db()
    east_task.problem.refresh_from_db()
    assert east_task.measures == "改造管网并建立巡查制度"
    assert east_task.problem.source == ProblemSource.SUPERVISION
    assert east_task.version == before[east_task.pk][0] + 1
    assert (east_task.title, east_task.term, east_task.due_date) == before[east_task.pk][1:2] + before[east_task.pk][3:]
    assert east_task.history.first().history_change_reason == "Updated from a ledger"
    other.refresh_from_db()
    assert (other.version, other.title, other.measures, other.term, other.due_date) == before[other.pk]  # unchanged
    # the export read back again shows the change and changes nothing more
    again = exported(staff_client, within=city["east"].pk, batch=batch.pk).active
    assert cell(again, east_task, "整改措施").value == "改造管网并建立巡查制度"
    assert post_ledger(staff_client, workbook_bytes(again), batch, city["east"]).status_code == 302
    assert Task.objects.get(pk=east_task.pk).version == east_task.version


def test_a_problems_measures_export_under_one_merged_cell_and_import_back_unchanged(staff_client, city, batch):
    first = row(1, "群众办事难", unit="东区社区党支部", due="2027-03-31")
    first[2] = "设立便民窗口"
    second = row(2, "群众办事难", unit="东区社区党支部", due="2027-03-31")
    second[2] = "推行一次办结"
    assert post_ledger(staff_client, xlsx_bytes([first, second]), batch, city["east"]).status_code == 302
    sheet = exported(staff_client, within=city["east"].pk).active
    assert "C3:C4" in {str(cells) for cells in sheet.merged_cells.ranges}
    versions = dict(Task.objects.values_list("pk", "version"))
    response = post_ledger(staff_client, workbook_bytes(sheet), batch, city["east"])
    assert response.status_code == 302, problems_on_page(response)
    assert dict(Task.objects.values_list("pk", "version")) == versions and Problem.objects.count() == 1


def test_a_new_progress_line_becomes_a_progress_entry(staff_client, city, batch, east_task):  # noqa: F811
    sheet = exported(staff_client, within=city["east"].pk).active
    progress = cell(sheet, east_task, "完成情况")
    progress.value = progress.value.splitlines()[0] + "\n管网已全部更换,完成80%"
    assert post_ledger(staff_client, workbook_bytes(sheet), batch, city["east"]).status_code == 302
    east_task.refresh_from_db()
    assert east_task.progress == 80
    assert ProgressUpdate.objects.filter(task=east_task).latest("created_at").text == "管网已全部更换,完成80%"


def test_a_row_changed_by_someone_else_since_the_export_is_refused_and_nothing_changes(
    staff_client, city, batch, east_task, staff_above  # noqa: F811
):
    other = TaskFactory(unit=city["east_street"], problem__batch=batch, problem__title="办事难", measures="简化流程")
    sheet = exported(staff_client, within=city["east"].pk).active
    cell(sheet, east_task, "责任人").value = "赵干事"
    cell(sheet, other, "责任领导").value = "孙书记"
    services.update_task(east_task, staff_above, {"person_name": "钱干事"}, east_task.version)  # meanwhile, in the app

    response = post_ledger(staff_client, workbook_bytes(sheet), batch, city["east"])

    assert response.status_code == 200
    [problem] = problems_on_page(response)
    row_number = cell(sheet, east_task, "任务编号").row
    assert problem.startswith(f"Row {row_number}, column “任务编号”: task {east_task.pk} was changed in the system")
    assert Task.objects.get(pk=east_task.pk).person_name == "钱干事"
    assert Task.objects.get(pk=other.pk).leader_name != "孙书记"  # all or nothing


def test_a_numbered_row_cannot_move_the_due_date_or_the_unit(staff_client, city, batch, east_task):  # noqa: F811
    sheet = exported(staff_client, within=city["east"].pk).active
    cell(sheet, east_task, "整改时限").value = datetime.datetime(2030, 1, 1)
    cell(sheet, east_task, "责任单位").value = "东区街道党工委"
    cell(sheet, east_task, "整改措施").value = "别的措施"
    response = post_ledger(staff_client, workbook_bytes(sheet), batch, city["east"])
    number = cell(sheet, east_task, "任务编号").row
    problems = problems_on_page(response)
    assert [p.split(":")[0] for p in problems] == [f"Row {number}, column “责任单位”", f"Row {number}, column “整改时限”"]
    assert "extension request" in problems[1]
    assert Task.objects.get(pk=east_task.pk).measures == "改造管网"


def test_a_number_of_a_task_out_of_sight_is_refused(staff_client, city, batch):
    west = TaskFactory(unit=city["west_community"], problem__batch=batch, problem__title="西区的问题")
    data = xlsx_bytes([[1, west.pk, "西区的问题", "改", "王", "西区社区党支部", "李", "2026-12-31", "", "", "", "", ""]],
                      header=["序号", "任务编号", *HEADER[1:], "佐证材料（份）", "版本号"][:13])
    response = post_ledger(staff_client, data, batch, city["east"])
    assert problems_on_page(response) == [
        f"Row 3, column “任务编号”: there is no task numbered {west.pk} among the tasks you can see."
    ]


def test_a_task_the_importer_sees_but_may_not_edit_is_refused(client, city, batch, east_task):  # noqa: F811
    leader_and_west_staff = member(city["city"], Role.LEADER, "leader-west-staff")
    MembershipFactory(unit=city["west"], role=Role.STAFF, user=leader_and_west_staff)
    client.force_login(leader_and_west_staff)
    sheet = exported(client, within=city["east"].pk).active
    cell(sheet, east_task, "整改措施").value = "别的措施"
    response = post_ledger(client, workbook_bytes(sheet), batch, city["west"])
    [problem] = problems_on_page(response)
    assert f"column “任务编号”: task {east_task.pk}: Only the office staff" in problem
    assert Task.objects.get(pk=east_task.pk).measures == "改造管网"


# --- old Excel files ---------------------------------------------------------------------


def xls_bytes(rows, merge=()):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("整改台账")
    sheet.write_merge(0, 0, 0, len(HEADER) - 1, "东区整改台账")
    for column, text in enumerate(HEADER):
        sheet.write(1, column, text)
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    merged_cells = {(r, c) for r1, r2, c1, c2 in merge for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values):
            if (r, c) in merged_cells:
                continue
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, dates)
            else:
                sheet.write(r, c, value)
    for r1, r2, c1, c2 in merge:
        sheet.write_merge(r1, r2, c1, c2, rows[r1 - 2][c1])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_old_xls_ledger_imports_with_its_merged_cells_and_dates(staff_client, city, batch):
    first = row(1, "群众办事难", unit="东区社区党支部", due=datetime.datetime(2027, 3, 31))
    first[2] = "设立便民窗口"
    second = row(2, "群众办事难", unit="东区社区党支部", due="2027年6月底")
    second[2] = "推行一次办结"
    data = xls_bytes([first, second], merge=[(2, 3, 1, 1)])
    assert data.startswith(b"\xd0\xcf\x11\xe0")

    response = post_ledger(staff_client, data, batch, city["east"], name="台账.xls")

    assert response.status_code == 302, problems_on_page(response)
    problem = Problem.objects.get()
    assert {t.title: t.due_date for t in problem.tasks.all()} == {
        "设立便民窗口": datetime.date(2027, 3, 31),
        "推行一次办结": datetime.date(2027, 6, 30),
    }


def test_an_xls_over_the_caps_is_refused_before_anything_is_imported(staff_client, city, batch):
    too_wide = row(1, "问题", unit="东区社区党支部") + ["多余"] * 60
    many = [row(n, f"问题{n}", unit="东区社区党支部") for n in range(importer.MAX_ROWS + importer.HEADER_SEARCH_ROWS)]
    for data, message in ((xls_bytes([too_wide]), "Row 3 has more than 50 columns"), (xls_bytes(many), "more than 3000 rows")):
        response = post_ledger(staff_client, data, batch, city["east"], name="台账.xls")
        assert message in response.context["form"].errors["file"][0]
    assert Task.objects.count() == 0


def test_a_file_that_only_looks_like_xls_is_refused(staff_client, city, batch):
    response = post_ledger(staff_client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024), batch, city["east"], name="a.xls")
    assert response.context["form"].errors["file"] == [
        "This file is not an Excel workbook. Upload the ledger as an .xlsx or .xls file."
    ]


# --- on screen ---------------------------------------------------------------------------


def test_task_lists_and_the_ledger_label_each_cell_for_the_phone_cards(staff_client, city, batch, east_task):  # noqa: F811
    content = in_english(staff_client).get(reverse("rectification:task_list")).content.decode()
    assert 'class="table tasks cards"' in content
    assert 'data-label="Due date"' in content and 'data-label="Responsible unit"' in content
    ledger_page = staff_client.get(reverse("reports:ledger")).content.decode()
    assert "table ledger cards" in ledger_page and 'data-label="整改时限"' in ledger_page
    assert 'data-label="责任单位"' in ledger_page
