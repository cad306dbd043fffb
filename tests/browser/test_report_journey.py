"""A leader's report, in the browser: ``leader`` picks 乌达区 and the second batch, rewrites
one paragraph of the summary, asks for the report, watches its progress and downloads
it; the file is a PDF whose first page shows the title and whose text holds the
paragraph as rewritten.

The worker is played by a thread that takes the run a moment after the request
commits (what a Celery worker does), so that the page shows the queued run first.
"""

import threading
import time

import pytest
from playwright.sync_api import expect

from tests.reports import pdfs

EDITED = "乌达区坚持领导带头、督导跟进,对整改不到位的问题逐项盯办,这是浏览器里改写的一段。"


@pytest.fixture
def worker(monkeypatch):
    """``render_report.delay_on_commit`` replaced by a thread that renders the run after 1.5 s."""
    from django.db import connection

    from reports import runs
    from reports.views import runs as views

    threads = []

    def work(run_id):
        time.sleep(1.5)
        try:
            runs.execute(run_id)
        finally:
            connection.close()

    class Task:
        @staticmethod
        def delay_on_commit(run_id):
            thread = threading.Thread(target=work, args=(run_id,), daemon=True)
            threads.append(thread)
            thread.start()

    monkeypatch.setattr(views, "render_report", Task)
    yield
    for thread in threads:
        thread.join(timeout=60)


def test_a_leader_edits_the_summary_of_a_district_and_downloads_it(demo, live_server, login, page, worker):
    login("leader")
    page.goto(f"{live_server.url}/reports/summary/")
    scope = page.locator("[data-testid=summary-scope]")
    scope.locator("#id_unit").fill("乌达区")
    page.locator("#id_unit-results li", has_text="中共乌达区委员会").first.click()
    second = scope.locator("#id_batch option", has_text="第二批").get_attribute("value")
    scope.locator("#id_batch").select_option(second)
    scope.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=summary-title]")).to_have_text(
        "中共乌达区委员会关于保持共产党员先进性教育活动第二批整改工作情况的报告"
    )
    expect(page.locator("[data-testid=check-page]")).to_be_visible()

    form = page.locator("[data-testid=narrative-form]")
    form.locator("#id_practice_1").fill(EDITED)
    form.locator("[data-testid=save-narrative]").click()
    expect(page.locator(".messages")).to_contain_text("已保存 1 个段落")
    expect(page.locator("#id_practice_1")).to_have_value(EDITED)

    page.locator("[data-testid=report-request] [data-testid=ask-report]").click()
    status = page.locator("[data-testid=run-status]")
    expect(status).to_have_attribute("data-status", "queued")
    expect(page.locator("[data-testid=run-state]")).to_have_text("排队中")
    expect(status).to_have_attribute("data-status", "done", timeout=60_000)
    with page.expect_download() as download_info:
        page.locator("[data-testid=run-download]").click()
    pdf = open(download_info.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF")
    first_page = pdfs.pages(pdf)[0].replace("\n", "")
    assert "中共乌达区委员会关于保持共产党员先进性教育活动第二批整改工作情况的报告" in first_page
    assert EDITED in pdfs.text(pdf)
    assert pdfs.first_page_ink(pdf) > 0.005
