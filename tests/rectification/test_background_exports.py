"""Large exports in the background (issue 10): above EXPORT_BACKGROUND_ROWS the task list
and the ledger are written by a worker (campaign.background.run, called here as the
worker would), the user follows the progress on a page and downloads the file there;
nobody else reads the page or the file; old jobs and their files are pruned."""

import csv
import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaign import background
from campaign.models import ExportJob
from rectification.models import JobRun, Task
from reports import ledger
from tests.conftest import assert_refused, member
from tests.factories import TaskFactory

TASK_LIST = reverse("rectification:task_list")
LEDGER_EXPORT = reverse("reports:ledger_export")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.EXPORT_BACKGROUND_ROWS = 3


@pytest.fixture
def tasks(city, batch):
    """Five tasks in the east district (one titled like a formula), one in the west."""
    east = [
        TaskFactory(unit=city["east_community"], problem__batch=batch, title=f"东区任务{n}", due_date=datetime.date(2027, 1, n + 1))
        for n in range(4)
    ]
    formula = '=HYPERLINK("http://x")'
    east.append(TaskFactory(unit=city["east_street"], problem__batch=batch, title=formula, problem__title=formula))
    west = TaskFactory(unit=city["west_community"], problem__batch=batch, title="西区任务")
    return east, west


@pytest.fixture
def requester(city):
    return member(city["east"], "staff", "east-exporter")


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def ask(client, url, **params):
    """Ask for an export; returns the job it was handed to."""
    response = client.get(url, params)
    assert response.status_code == 302, response.status_code
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("campaign:export_job", args=[job.pk])
    return job


def download(client, job):
    response = client.get(reverse("campaign:export_download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_large_task_list_export_is_written_by_the_worker_and_offered_on_its_page(requester, tasks, settings):
    client = client_of(requester)
    job = ask(client, TASK_LIST, export="xlsx", sort="due_date")
    page = client.get(reverse("campaign:export_job", args=[job.pk])).content.decode()
    assert 'data-status="queued"' in page and 'hx-trigger="every 2s"' in page  # the page follows the worker
    assert "export-download" not in page

    background.run(job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total == 5
    status = client.get(reverse("campaign:export_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in status and "hx-trigger" not in status  # polling stops
    assert "下载" in status and job.file_name in status

    sheet = load_workbook(io.BytesIO(download(client, job))).active
    rows = list(sheet.iter_rows(values_only=True))
    settings.EXPORT_BACKGROUND_ROWS = 100
    small = load_workbook(io.BytesIO(client.get(TASK_LIST, {"export": "xlsx", "sort": "due_date"}).content)).active
    assert rows == list(small.iter_rows(values_only=True))  # what the request would have written
    titles = [row[0] for row in rows[1:]]
    assert "西区任务" not in titles and len(titles) == 5
    assert titles[:4] == ["东区任务0", "东区任务1", "东区任务2", "东区任务3"]  # the list's sort (due date)
    formula = next(cell for cells in sheet.iter_rows() for cell in cells if str(cell.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"  # text, never a formula


def test_the_ledger_streams_in_the_office_layout_and_as_csv(requester, city, batch, tasks):
    client = client_of(requester)
    job = ask(client, LEDGER_EXPORT, within=city["east"].pk, batch=batch.pk)
    background.run(job.pk)
    sheet = load_workbook(io.BytesIO(download(client_of(requester), job))).active
    # The same layout as the ledger written in the request (reports.ledger), so that it imports back.
    assert sheet["A1"].value.startswith("中共东区委员会第二批整改台账（截至")
    assert "A1:N1" in {str(cells) for cells in sheet.merged_cells.ranges}
    assert [cell.value for cell in sheet[2]] == [*ledger.EXPORT_HEADERS, ledger.VERSION_HEADER]
    assert sheet.column_dimensions["N"].hidden  # the version column, read back by the import
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$2"
    numbers = [sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)]
    assert numbers == [1, 2, 3, 4, 5]
    assert sheet.title == "整改台账"
    assert sheet.cell(row=3, column=3).value == tasks[0][4].problem.title  # unit by unit: the street first
    assert sheet.cell(row=4, column=ledger.DUE_COLUMN).value == datetime.datetime(2027, 1, 1)  # dates stay dates

    ExportJob.objects.all().delete()
    job = ask(client, LEDGER_EXPORT, format="csv")
    background.run(job.pk)
    job.refresh_from_db()
    assert job.file_name.endswith(".csv")
    text = download(client, job).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == [*ledger.EXPORT_HEADERS, ledger.VERSION_HEADER]
    assert len(lines) == 6 and "西区任务" not in text and "2027-01-01" in text
    assert "'=HYPERLINK" in text  # a formula-looking text is neutralised in CSV too


def test_the_page_shows_the_progress_while_the_worker_writes(requester, tasks, monkeypatch):
    client = client_of(requester)
    job = ask(client, TASK_LIST, export="csv")
    monkeypatch.setattr(background, "PROGRESS_EVERY", 2)
    seen = []
    producer = background.PRODUCERS["tasks"]

    def watched(user, params):
        source = producer(user, params)
        rows = source.rows

        def generate():
            for row in rows:
                page = client.get(reverse("campaign:export_job", args=[job.pk])).content.decode()
                seen.append(page.split('data-testid="export-rows">')[1].split("<")[0].strip())
                assert 'data-status="running"' in page
                yield row

        source.rows = generate()
        return source

    monkeypatch.setitem(background.PRODUCERS, "tasks", watched)
    background.run(job.pk)
    assert seen == ["0 / 5", "0 / 5", "2 / 5", "2 / 5", "4 / 5"]
    page = client.get(reverse("campaign:export_job", args=[job.pk])).content.decode()
    assert 'value="100"' in page


def test_small_exports_are_still_written_in_the_request(requester, tasks, settings):
    settings.EXPORT_BACKGROUND_ROWS = 10
    response = client_of(requester).get(TASK_LIST, {"export": "csv"})
    assert response.status_code == 200 and "东区任务0" in response.content.decode("utf-8-sig")
    assert not ExportJob.objects.exists()


def test_only_the_requester_reads_the_page_and_the_file(requester, city, tasks, superuser, leader):
    job = ask(client_of(requester), TASK_LIST, export="xlsx")
    background.run(job.pk)
    colleague = member(city["east"], "staff", "east-colleague")
    for user in (colleague, leader, superuser):
        for name in ("export_job", "export_download"):
            response = client_of(user).get(reverse(f"campaign:{name}", args=[job.pk]))
            assert_refused(response, 404)
            assert "东区任务" not in response.content.decode(errors="replace")
    response = Client().get(reverse("campaign:export_download", args=[job.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_an_account_deactivated_before_the_worker_runs_gets_no_file(requester, tasks):
    job = ask(client_of(requester), TASK_LIST, export="xlsx")
    requester.is_active = False
    requester.save()
    background.run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and not job.file


def test_a_job_already_taken_is_not_written_twice(requester, tasks):
    job = ask(client_of(requester), TASK_LIST, export="csv")
    assert background.run(job.pk).status == ExportJob.Status.DONE
    assert background.run(job.pk) is None


def test_old_jobs_and_their_files_are_pruned_by_the_daily_job(requester, tasks, settings):
    from rectification.tasks import prune_exports

    settings.EXPORT_RETENTION_DAYS = 7
    client = client_of(requester)
    old = ask(client, TASK_LIST, export="csv")
    background.run(old.pk)
    old.refresh_from_db()
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    new = background.start(requester, "tasks", "", "csv", "整改任务", queue=background.run)
    new.refresh_from_db()
    assert default_storage.exists(old.file.name) and default_storage.exists(new.file.name)

    assert prune_exports.apply().get() == {"deleted": 1}
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [new.pk]
    assert not default_storage.exists(old.file.name) and default_storage.exists(new.file.name)
    assert JobRun.objects.get(name="campaign.prune_exports").changes == {"deleted": 1}
    assert_refused(client.get(reverse("campaign:export_download", args=[old.pk])), 404)


def test_the_fast_rows_are_the_tables_values_for_every_kind_of_task(city, batch, requester):
    from django.test import RequestFactory

    from rectification.exports import fast_row
    from rectification.models import Task, TaskStatus, Term
    from rectification.tables import TaskTable

    TaskFactory(unit=city["east_community"], problem__batch=batch, status=TaskStatus.CLOSED, term=Term.LONG)
    extended = TaskFactory(unit=city["east_street"], problem__batch=batch, problem__category="conduct", progress=40)
    Task.objects.filter(pk=extended.pk).update(due_date=datetime.date(2027, 9, 30), warning_level=2)
    tasks = list(Task.objects.with_related().with_urgency().order_by("pk"))
    request = RequestFactory().get("/")
    request.user = requester
    values = TaskTable(tasks, request=request).as_values()
    next(values)
    row = fast_row()
    table_rows = sorted((["" if value is None else value for value in cells] for cells in values), key=lambda r: r[0])
    assert sorted((row(task) for task in tasks), key=lambda r: r[0]) == table_rows
    assert {r[1] for r in table_rows} == {"已销号", "整改中"} and "超期" in {r[2] for r in table_rows}


def test_a_ledger_written_by_the_worker_imports_back_and_updates_by_number(requester, city, batch, tasks):
    """The background ledger is the office layout the import reads (issue 9's round trip):
    one changed measure updates its task, the rest is left as it was."""
    from tests.rectification.test_ledger import post_ledger, problems_on_page

    client = client_of(requester)
    job = ask(client, LEDGER_EXPORT, within=city["east"].pk, batch=batch.pk)
    background.run(job.pk)
    workbook = load_workbook(io.BytesIO(download(client, job)))
    sheet = workbook.active
    measures = [c.value for c in sheet[2]].index("整改措施") + 1
    first = tasks[0][4]  # the street's task, first in the ledger's order
    assert sheet.cell(row=3, column=2).value == first.pk
    sheet.cell(row=3, column=measures).value = "改为逐户走访"
    versions = dict(Task.objects.values_list("pk", "version"))
    out = io.BytesIO()
    workbook.save(out)
    response = post_ledger(client, out.getvalue(), batch, city["east"])
    assert response.status_code == 302, problems_on_page(response)
    first.refresh_from_db()
    assert first.measures == "改为逐户走访" and first.version == versions[first.pk] + 1
    assert {pk: v for pk, v in Task.objects.exclude(pk=first.pk).values_list("pk", "version")} == {
        pk: v for pk, v in versions.items() if pk != first.pk
    }
