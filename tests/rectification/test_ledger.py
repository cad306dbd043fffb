"""The ledger (整改台账) in Excel: importing office ledgers (all rows or none,
every problem named by row and column, only for units the importer may edit),
the template, and the export of a scope in the office layout."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from campaign.models import Role, UnitKind
from rectification import services
from rectification.models import Problem, ProgressUpdate, Task, Term, WarningLevel
from rectification.models.problems import ProblemSource
from reports import ledger
from tests.conftest import assert_refused, in_english
from tests.factories import MembershipFactory, TaskFactory, UnitFactory, UserFactory
from tests.rectification.conftest import png_bytes

HEADER = ["序号", "问题描述", "整改措施", "责任领导", "责任单位", "责任人", "整改时限", "整改类型", "整改进展", "问题来源", "备注"]
IMPORT_URL = reverse("rectification:ledger_import")
TEMPLATE_URL = reverse("rectification:ledger_template")
EXPORT_URL = reverse("reports:ledger_export")
LEDGER_URL = reverse("reports:ledger")


def xlsx_bytes(rows, title="东区整改台账", header=HEADER, merge=()):
    """A workbook as offices make them: a merged title row above the header row."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(number, problem, unit="", due="2026-12-31", term="", progress="", source="", note="", leader="王书记", person="李干事"):
    return [number, problem, f"{problem}的整改措施", leader, unit, person, due, term, progress, source, note]


def post_ledger(client, data, batch, default_unit, name="台账.xlsx"):
    payload = {"batch": batch.pk, "default_unit": default_unit.pk, "file": SimpleUploadedFile(name, data)}
    return in_english(client).post(IMPORT_URL, payload)


def problems_on_page(response):
    return [str(problem) for problem in response.context["problems"]]


@pytest.fixture
def staff_client(client, staff_above):
    client.force_login(staff_above)
    return client


# --- importing good files -----------------------------------------------------------------


@pytest.mark.django_db
class TestImportingGoodFiles:
    def test_every_row_becomes_a_problem_and_a_task_with_dates_as_people_type_them(self, staff_client, city, batch):
        rows = [
            row(1, "小区供水管网老化", unit="东区社区党支部", due="2026-12-31", term="限期整改", progress="已完成管网勘察,完成40%", source="群众意见", note="群众反映强烈"),
            row(2, "办事流程繁琐", unit="东区街道党工委", due="2026/11/30", term="立行立改"),
            row(3, "学习制度不落实", unit="", due="2026年10月31日"),
            row(4, "党员活动阵地不足", unit="东区社区党支部", due="2026.9.30"),
            row(5, "慢作为问题", unit="东区社区党支部", due=datetime.datetime(2027, 3, 31)),  # an Excel date cell
            row(6, "长效机制不健全", unit="东区社区党支部", due="长期坚持", term="中长期整改"),
        ]
        response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])

        assert response.status_code == 302
        tasks = {task.title: task for task in Task.objects.select_related("unit", "problem")}
        assert len(tasks) == 6
        assert [tasks[t].due_date for t in ("小区供水管网老化", "办事流程繁琐", "学习制度不落实", "党员活动阵地不足", "慢作为问题")] == [
            datetime.date(2026, 12, 31),
            datetime.date(2026, 11, 30),
            datetime.date(2026, 10, 31),
            datetime.date(2026, 9, 30),
            datetime.date(2027, 3, 31),
        ]
        long_term = tasks["长效机制不健全"]
        assert long_term.term == Term.LONG and long_term.due_date == batch.end_date
        first = tasks["小区供水管网老化"]
        assert first.unit == city["east_community"] and first.problem.unit == city["east_community"]
        assert first.term == Term.SHORT and first.measures == "小区供水管网老化的整改措施"
        assert first.leader_name == "王书记" and first.person_name == "李干事"
        assert first.batch == batch and first.problem.batch == batch
        assert first.problem.source == ProblemSource.PUBLIC and "群众反映强烈" in first.problem.description
        assert first.progress == 40
        assert first.progress_updates.get().text == "已完成管网勘察,完成40%"
        assert tasks["办事流程繁琐"].term == Term.IMMEDIATE and tasks["办事流程繁琐"].unit == city["east_street"]
        assert tasks["学习制度不落实"].unit == city["east"]  # the default unit
        assert tasks["学习制度不落实"].problem.source == ProblemSource.SELF and tasks["学习制度不落实"].term == Term.SHORT
        assert ProgressUpdate.objects.count() == 1
        assert first.history.first().history_change_reason

    def test_imported_tasks_carry_what_saving_a_task_derives(self, staff_client, city, batch, staff_above):
        rows = [row(1, "早已超期的问题", unit="东区社区党支部", due="2020-01-01"), row(2, "远期问题", unit="东区", due="2099-12-31")]
        assert post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"]).status_code == 302
        for task in Task.objects.all():
            assert task.unit_path == task.unit.path and task.original_due_date == task.due_date
            level = task.warning_level
            assert task.refresh_warning_level() is False and task.warning_level == level  # as save() would set it
            assert task.history.get().history_user == staff_above
            assert task.problem.history.get().history_change_reason == "Imported from a ledger"
        assert Task.objects.get(title="早已超期的问题").warning_level == WarningLevel.ESCALATED
        assert Task.objects.get(title="远期问题").warning_level == WarningLevel.NONE

    def test_success_says_how_many_and_links_to_them_in_the_ledger_and_the_task_list(self, staff_client, city, batch):
        TaskFactory(unit=city["east"], problem__batch=batch, problem__title="早已有的任务", title="早已有的任务")
        rows = [row(1, "问题甲", unit="东区社区党支部"), row(2, "问题乙", unit="东区社区党支部")]
        response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])
        # the community has no units below it and is not the user's own: the lists scope by its street
        scope = f"within={city['east_street'].pk}&batch={batch.pk}"
        assert response["Location"] == f"{LEDGER_URL}?{scope}"

        page = in_english(staff_client).get(response["Location"])
        content = page.content.decode()
        assert "Imported 2 tasks into 第二批." in content
        assert "问题甲" in content and "问题乙" in content and "早已有的任务" not in content
        task_list = reverse("rectification:task_list")
        assert f'href="{task_list}?{scope.replace("&", "&amp;")}"' in content
        listed = staff_client.get(f"{task_list}?{scope}").content.decode()
        assert "问题甲" in listed and "问题乙" in listed and "早已有的任务" not in listed

    def test_a_ledger_without_title_row_and_with_other_header_words_imports(self, staff_client, city, batch):
        header = ["编号", "存在问题", "整改措施", "责任领导", "责任单位", "责任人", "完成时限", "期限类型", "完成情况"]
        rows = [[1, "台账不规范", "建立台账", "张三", "东区社区党支部", "李四", "2026年12月底", "限期", "完成50%"]]
        response = post_ledger(staff_client, xlsx_bytes(rows, title=None, header=header), batch, city["east"])
        assert response.status_code == 302
        task = Task.objects.get()
        assert task.due_date == datetime.date(2026, 12, 31) and task.progress == 50

    def test_cells_merged_over_several_rows_count_for_each(self, staff_client, city, batch):
        rows = [row(1, "问题甲", unit="东区社区党支部", leader="赵书记"), row(2, "问题乙", unit="", leader="")]
        data = xlsx_bytes(rows, merge=["D3:D4", "E3:E4"])
        response = post_ledger(staff_client, data, batch, city["east"])
        assert response.status_code == 302
        assert set(Task.objects.values_list("leader_name", "unit")) == {("赵书记", city["east_community"].pk)}

    def test_blank_rows_and_rows_with_only_a_number_are_skipped(self, staff_client, city, batch):
        rows = [row(1, "问题甲", unit="东区社区党支部"), [], [2], ["", "", ""]]
        response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])
        assert response.status_code == 302 and Task.objects.count() == 1

    def test_a_unit_is_found_by_its_short_name(self, staff_client, city, batch):
        rows = [row(1, "问题甲", unit="东区")]
        assert post_ledger(staff_client, xlsx_bytes(rows), batch, city["east_street"]).status_code == 302
        assert Task.objects.get().unit == city["east"]


# --- importing bad files --------------------------------------------------------------------


@pytest.mark.django_db
class TestImportingBadFiles:
    def test_a_bad_row_imports_nothing_and_names_its_row_and_column(self, staff_client, city, batch):
        rows = [
            row(1, "问题甲", unit="东区社区党支部"),
            row(2, "问题乙", unit="东区社区党支部", due="明年春天"),
            row(3, "", unit="东区社区党支部", person=""),
            row(4, "问题丁", unit="东区社区党支部", term="马上办"),
            row(5, "问题戊", unit="东区社区党支部", due="2026-02-30"),
            row(6, "问题己", unit="东区社区党支部", due="长期", term="立行立改"),
            row(7, "问题庚", unit="东区社区党支部", source="网上"),
        ]
        response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])

        assert response.status_code == 200
        assert Problem.objects.count() == 0 and Task.objects.count() == 0
        assert problems_on_page(response) == [
            "Row 4, column “整改时限”: “明年春天” is not a date; write it as 2026-12-31 or 2026年12月31日.",
            "Row 5, column “问题描述”: this cell must not be empty.",
            "Row 5, column “责任人”: this cell must not be empty.",
            "Row 6, column “整改类型”: unknown term “马上办”: write 立行立改, 限期整改 or 中长期整改.",
            "Row 7, column “整改时限”: “2026-02-30” is not a date; write it as 2026-12-31 or 2026年12月31日.",
            "Row 8, column “整改时限”: “长期” is only for medium-to-long-term tasks; give a date.",
            "Row 9, column “问题来源”: unknown source “网上”: write 群众意见, 自查, 督导, 上级反馈 or 两批互动.",
        ]
        content = response.content.decode()
        assert "Nothing was imported" in content and "明年春天" in content

    def test_a_file_imported_again_is_refused_and_nothing_doubles(self, staff_client, city, batch):
        data = xlsx_bytes([row(1, "问题甲", unit="东区社区党支部"), row(2, "问题乙", unit="东区社区党支部")])
        assert post_ledger(staff_client, data, batch, city["east"]).status_code == 302
        response = post_ledger(staff_client, data, batch, city["east"])
        assert problems_on_page(response) == [
            f"Row {number}, column “问题描述”: this task is already in the ledger of 第二批: the file may have been imported before."
            for number in (3, 4)
        ]
        assert Task.objects.count() == 2

    def test_the_same_task_twice_in_a_file_is_refused(self, staff_client, city, batch):
        rows = [row(1, "问题甲", unit="东区社区党支部"), row(2, "问题乙"), row(3, "问题甲", unit="东区社区党支部")]
        response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])
        assert problems_on_page(response) == ["Row 5, column “问题描述”: the same task is already on row 3."]
        assert Task.objects.count() == 0

    def test_a_missing_column_is_named(self, staff_client, city, batch):
        header = [h for h in HEADER if h != "整改措施"]
        rows = [[1, "问题甲", "王书记", "东区社区党支部", "李干事", "2026-12-31"]]
        response = post_ledger(staff_client, xlsx_bytes(rows, header=header), batch, city["east"])
        assert problems_on_page(response) == [
            "Row 2, column “整改措施”: the required column “整改措施” (or “measures”) is missing."
        ]
        assert Task.objects.count() == 0

    def test_a_sheet_without_a_header_row_says_so(self, staff_client, city, batch):
        data = xlsx_bytes([["小区供水管网老化", "改造"]], title=None, header=["甲", "乙"])
        response = post_ledger(staff_client, data, batch, city["east"])
        assert problems_on_page(response) == ["The required column “问题描述” (or “problem”) is missing"]

    def test_a_png_named_xlsx_is_refused_by_its_content(self, staff_client, city, batch):
        response = post_ledger(staff_client, png_bytes(), batch, city["east"], name="台账.xlsx")
        assert response.status_code == 200
        assert response.context["form"].errors["file"] == [
            "This file is not an Excel workbook. Upload the ledger as an .xlsx or .xls file."
        ]
        assert Task.objects.count() == 0

    def test_a_word_document_is_not_a_workbook(self, staff_client, city, batch):
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        response = post_ledger(staff_client, buffer.getvalue(), batch, city["east"], name="台账.xlsx")
        assert "not an Excel workbook" in response.context["form"].errors["file"][0]

    def test_an_unknown_unit_name_is_named(self, staff_client, city, batch):
        rows = [row(1, "问题甲", unit="东区社区党支部"), row(2, "问题乙", unit="不存在的支部")]
        response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])
        assert problems_on_page(response) == [
            "Row 4, column “责任单位”: no unit named “不存在的支部” among the units you can see."
        ]
        assert Task.objects.count() == 0

    def test_a_unit_of_another_district_is_unknown_and_nothing_is_imported(self, staff_client, city, batch):
        rows = [row(1, "问题甲", unit="东区社区党支部"), row(2, "问题乙", unit="西区社区党支部")]
        response = post_ledger(staff_client, xlsx_bytes(rows), batch, city["east"])
        assert problems_on_page(response) == [
            "Row 4, column “责任单位”: no unit named “西区社区党支部” among the units you can see."
        ]
        assert Task.objects.count() == 0 and Problem.objects.count() == 0

    def test_a_visible_unit_the_user_may_not_edit_is_refused(self, client, city, batch):
        user = UserFactory(username="community-staff-and-district-leader")
        MembershipFactory(user=user, unit=city["east"], role=Role.LEADER)
        MembershipFactory(user=user, unit=city["east_community"], role=Role.STAFF)
        client.force_login(user)
        rows = [row(1, "问题甲", unit="东区社区党支部"), row(2, "问题乙", unit="东区街道党工委")]
        response = post_ledger(client, xlsx_bytes(rows), batch, city["east_community"])
        assert problems_on_page(response) == [
            "Row 4, column “责任单位”: you may not enter tasks for “东区街道党工委”: "
            "you are not office staff of it or of a unit above it."
        ]
        assert Task.objects.count() == 0

    def test_the_default_unit_must_be_one_the_user_may_edit(self, staff_client, city, batch):
        response = post_ledger(staff_client, xlsx_bytes([row(1, "问题甲")]), batch, city["west"])
        assert "default_unit" in response.context["form"].errors and Task.objects.count() == 0

    def test_an_ambiguous_unit_name_is_named(self, staff_client, city, batch):
        other_street = UnitFactory(parent=city["east"], name="东区第二街道党工委", kind=UnitKind.STREET)
        UnitFactory(parent=other_street, name="东区社区党支部", kind=UnitKind.COMMUNITY)
        response = post_ledger(staff_client, xlsx_bytes([row(1, "问题甲", unit="东区社区党支部")]), batch, city["east"])
        assert problems_on_page(response) == [
            "Row 3, column “责任单位”: “东区社区党支部” is ambiguous: 2 units have that name; write the unit's full name."
        ]

    def test_a_batch_of_a_campaign_the_user_cannot_see_is_refused(self, staff_client, city, batch):
        from tests.factories import BatchFactory, CampaignFactory

        foreign = BatchFactory(campaign=CampaignFactory(issuing_unit=UnitFactory(name="外市委")))
        response = post_ledger(staff_client, xlsx_bytes([row(1, "问题甲")]), foreign, city["east"])
        assert "batch" in response.context["form"].errors and Task.objects.count() == 0


# --- who may import -----------------------------------------------------------------------------


@pytest.mark.django_db
class TestImportAccess:
    def test_anonymous_visitors_are_sent_to_log_in(self, client):
        for url in (IMPORT_URL, TEMPLATE_URL, LEDGER_URL, EXPORT_URL):
            response = client.get(url)
            assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_a_supervisor_without_an_office_role_may_not_import(self, client, supervisor_in_scope, batch):
        client.force_login(supervisor_in_scope)
        assert_refused(client.get(IMPORT_URL), 403)
        assert_refused(client.get(TEMPLATE_URL), 403)

    def test_the_form_offers_only_units_the_user_may_edit(self, staff_client, city, batch):
        form = staff_client.get(IMPORT_URL).context["form"]
        assert set(form.fields["default_unit"].queryset) == {city["east"], city["east_street"], city["east_community"]}
        assert list(form.fields["batch"].queryset) == [batch]


# --- the template -------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTemplate:
    def test_has_a_merged_title_row_the_header_and_an_example(self, staff_client, city):
        response = staff_client.get(TEMPLATE_URL, {"unit": city["east_street"].pk})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet["A1"].value == "东区街道党工委整改台账"
        assert "A1:K1" in {str(cells) for cells in sheet.merged_cells.ranges}
        assert [cell.value for cell in sheet[2]] == HEADER
        assert sheet["E3"].value == "东区街道党工委" and isinstance(sheet["G3"].value, datetime.datetime)
        assert sheet.column_dimensions["B"].width == 36

    def test_the_importer_accepts_its_own_template(self, staff_client, city, batch):
        data = staff_client.get(TEMPLATE_URL, {"unit": city["east_street"].pk}).content
        response = post_ledger(staff_client, data, batch, city["east"])
        assert response.status_code == 302
        task = Task.objects.get()
        assert task.unit == city["east_street"] and task.progress == 30 and task.term == Term.SHORT

    def test_a_unit_the_user_may_not_edit_is_not_found(self, staff_client, city):
        assert_refused(staff_client.get(TEMPLATE_URL, {"unit": city["west"].pk}), 404)


# --- the export and the page --------------------------------------------------------------------


@pytest.fixture
def east_task(city, batch, unit_staff, photo):
    task = TaskFactory(unit=city["east_community"], problem__batch=batch, problem__title="吃水难", measures="改造管网")
    services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 3, 2), text="已勘察", percent=10)
    services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 3, 9), text="已开工", percent=40, files=[photo])
    return task


@pytest.fixture
def west_task(city, batch):
    return TaskFactory(unit=city["west_community"], problem__batch=batch, problem__title="西区的问题")


def export_sheet(client, **params):
    response = client.get(EXPORT_URL, params)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.django_db
class TestExport:
    def test_the_xlsx_has_the_office_layout(self, staff_client, city, batch, east_task):
        sheet = export_sheet(staff_client, within=city["east"].pk, batch=batch.pk)
        today = timezone.localdate()
        assert sheet["A1"].value == f"中共东区委员会第二批整改台账（截至{today.year}年{today.month}月{today.day}日）"
        assert "A1:M1" in {str(cells) for cells in sheet.merged_cells.ranges}
        assert [cell.value for cell in sheet[2]] == [*ledger.EXPORT_HEADERS, "版本号"]
        values = [cell.value for cell in sheet[3]]
        assert values[:7] == [1, east_task.pk, "吃水难", "改造管网", "王书记", "东区社区党支部", "李干事"]
        assert values[7] == datetime.datetime(2027, 6, 30)
        assert "40%" in values[10] and values[10].endswith("已开工")  # the latest progress only
        assert "已勘察" not in values[10]
        assert values[11] == 1

    def test_another_districts_tasks_are_never_in_it(self, staff_client, city, east_task, west_task):
        sheet = export_sheet(staff_client)
        titles = [sheet.cell(row=r, column=3).value for r in range(3, sheet.max_row + 1)]
        assert titles == ["吃水难"]

    def test_a_unit_outside_the_scope_is_not_found(self, staff_client, city, west_task):
        for url in (EXPORT_URL, LEDGER_URL):
            response = staff_client.get(url, {"within": city["west"].pk})
            assert_refused(response, 404)
            assert "西区的问题" not in response.content.decode()

    def test_extended_and_overdue_tasks_say_so_in_the_remarks(self, staff_client, city, batch, east_task, supervisor_in_scope):
        Task.objects.filter(pk=east_task.pk).update(due_date=datetime.date(2027, 9, 30))
        overdue = TaskFactory(unit=city["east_street"], problem__batch=batch, due_date=datetime.date(2020, 1, 1))
        response = in_english(staff_client).get(EXPORT_URL, {"format": "xlsx"})
        sheet = load_workbook(io.BytesIO(response.content)).active
        remarks = {sheet.cell(row=r, column=3).value: sheet.cell(row=r, column=13).value for r in range(3, 5)}
        assert remarks["吃水难"] == "Extended; originally due 2027-06-30"
        assert remarks[overdue.problem.title] == "Escalated"

    def test_the_csv_has_the_header_and_the_rows(self, staff_client, city, east_task, west_task):
        response = staff_client.get(EXPORT_URL, {"format": "csv"})
        text = response.content.decode("utf-8-sig")
        lines = text.splitlines()
        assert lines[0] == ",".join([*ledger.EXPORT_HEADERS, "版本号"])
        assert "吃水难" in text and "2027-06-30" in text and "西区的问题" not in text

    def test_the_export_is_one_query_whatever_the_number_of_tasks(self, staff_client, city, batch, east_task):
        def count_queries():
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                staff_client.get(EXPORT_URL, {"within": city["east"].pk})
            return len(captured)

        few = count_queries()
        for _ in range(5):
            TaskFactory(unit=city["east_street"], problem__batch=batch)
        assert count_queries() == few


@pytest.mark.django_db
class TestLedgerPage:
    def test_shows_the_scopes_rows_and_download_links(self, staff_client, city, batch, east_task, west_task):
        response = staff_client.get(LEDGER_URL, {"within": city["east"].pk, "batch": batch.pk})
        content = response.content.decode()
        assert response.status_code == 200
        assert "吃水难" in content and "已开工" in content and "西区的问题" not in content
        assert f"{EXPORT_URL}?within={city['east'].pk}&amp;batch={batch.pk}&amp;format=xlsx" in content

    def test_a_user_of_another_district_sees_only_their_own(self, client, city, east_task, west_task):
        west_staff = MembershipFactory(unit=city["west"], role=Role.STAFF).user  # of 西区, where west_task lies
        client.force_login(west_staff)
        content = client.get(LEDGER_URL).content.decode()
        assert "西区的问题" in content and "吃水难" not in content


@pytest.mark.django_db
def test_the_import_form_starts_with_the_users_own_unit_and_its_batch(client, city, campaign, unit_staff):
    from campaign.models import Participation
    from tests.factories import BatchFactory

    first = BatchFactory(campaign=campaign, number=1, name="第一批")
    second = BatchFactory(campaign=campaign, number=2, name="第二批")
    Participation.objects.create(unit=city["east_community"], batch=second)
    Participation.objects.create(unit=city["east"], batch=first)
    client.force_login(unit_staff)
    form = client.get(reverse("rectification:ledger_import")).context["form"]
    assert form["default_unit"].value() == city["east_community"].pk
    assert form["batch"].value() == second.pk


@pytest.mark.django_db
def test_a_row_of_a_unit_in_another_batch_is_refused_and_nothing_imported(staff_client, city, campaign, batch):
    from campaign.models import Participation
    from tests.factories import BatchFactory

    first = BatchFactory(campaign=campaign, number=1, name="第一批")
    Participation.objects.create(unit=city["east_community"], batch=batch)
    data = xlsx_bytes([row(1, "路灯损坏", unit="东区社区党支部"), row(2, "道路破损", unit="东区街道党工委")])
    response = post_ledger(staff_client, data, first, city["east"])
    problems = problems_on_page(response)
    assert len(problems) == 1 and "Row 3" in problems[0] and "takes part in" in problems[0]
    assert not Task.objects.filter(title__in=["路灯损坏", "道路破损"]).exists()
