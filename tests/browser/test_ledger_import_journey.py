"""A large ledger in the browser: ``staff`` uploads a ledger of more rows than
LEDGER_IMPORT_BACKGROUND_ROWS, lands on the run's page, which shows the queued run,
follows the worker by itself (htmx, no inline script under the strict CSP) and ends
with the number of tasks added.

The worker is played by a thread that takes the run a moment after the request
commits (what a Celery worker does), so that the page shows the queued run first.
"""

import threading
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.rectification.test_ledger import row, xlsx_bytes

ROWS = [row(n, f"浏览器导入的问题{n}", due="2027-06-30") for n in range(1, 6)]


@pytest.fixture
def worker(monkeypatch, settings):
    """``import_ledger.delay_on_commit`` replaced by a thread that imports the run after 1.5 s."""
    from django.db import connection

    from rectification.ledger import importer
    from rectification.views import ledger as views

    settings.LEDGER_IMPORT_BACKGROUND_ROWS = 3
    threads = []

    def work(run_id):
        time.sleep(1.5)
        try:
            importer.run(run_id)
        finally:
            connection.close()

    class Task:
        @staticmethod
        def delay_on_commit(run_id):
            thread = threading.Thread(target=work, args=(run_id,), daemon=True)
            threads.append(thread)
            thread.start()

    monkeypatch.setattr(views, "import_ledger_task", Task)
    yield
    for thread in threads:
        thread.join(timeout=60)


def test_staff_upload_a_large_ledger_and_watch_it_imported(demo, live_server, login, page, worker, tmp_path):
    from rectification.models import Task

    ledger = tmp_path / "东区整改台账.xlsx"
    ledger.write_bytes(xlsx_bytes(ROWS))
    login("staff")
    page.goto(f"{live_server.url}{reverse('rectification:ledger_import')}")
    page.set_input_files("#id_file", str(ledger))
    page.locator("form button[type=submit].primary").click()

    status = page.locator("[data-testid=run-status]")
    expect(status).to_have_attribute("data-status", "queued")
    expect(page.locator("h1")).to_contain_text("东区整改台账.xlsx")
    expect(status).to_have_attribute("data-status", "done", timeout=60_000)
    expect(page.locator("[data-testid=count-added]")).to_have_text("5")
    expect(page.locator("[data-testid=run-progress]")).to_have_attribute("value", "100")
    assert Task.objects.filter(title__startswith="浏览器导入的问题").count() == 5
