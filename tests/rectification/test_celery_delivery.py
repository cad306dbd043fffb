"""Real Celery workers send each notification's e-mail exactly once.

Each test starts real worker processes (`celery -A config worker --pool=solo`)
against the configured broker (Redis when REDIS_URL is set, else the
filesystem broker in a temporary VAR_DIR) and the test's own database (on
SQLite, a file copy of it: see ``shared_db``). The workers listen on a queue
of this test alone (``worker_settings``), write e-mails with Django's file
backend into a temporary folder, and the test counts the messages there.
"""

import datetime
import email
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from campaign.models import Role
from rectification.models import Alert, Notification, Term
from rectification.notify import email_text
from tests.factories import MembershipFactory, SupervisionGroupFactory, TaskFactory, UserFactory
from tests.rectification.email_backends import message_key
from tests.rectification.shared_db import database_url, shared_database
from tests.test_celery_worker import broker_client, stop

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SWEEP = "rectification.tasks.sweep_overdue"
DELIVER_PENDING = "rectification.tasks.deliver_pending"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
FAIL_FIRST_BACKEND = "tests.rectification.email_backends.FailFirstFileBackend"
WAIT_SECONDS = 90
COPIES = 3  # of each of the three tasks (yellow, red, escalated)
SETTLE_SECONDS = 3  # the filesystem broker polls once a second
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
LOG_LINE = re.compile(r"Task (\S+)\[([0-9a-f-]+)\] (received|succeeded|retry|raised)")


class Workers:
    """Worker processes of one test, the client publishing to them, and their mail folder."""

    def __init__(self, folder, email_backend):
        self.token = uuid.uuid4().hex
        self.queue = f"test-delivery-{self.token}"
        self.folder = folder
        self.var_dir = folder / "var"
        self.var_dir.mkdir()
        self.mail_dir = folder / "mail"
        self.mail_dir.mkdir()
        self.email_backend = email_backend
        self.client = broker_client(self.var_dir)
        self.processes = []

    def start(self, database, count=1):
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="tests.rectification.worker_settings",
            VAR_DIR=str(self.var_dir),
            EMAIL_BACKEND=self.email_backend,
            TEST_EMAIL_DIR=str(self.mail_dir),
            TEST_CELERY_QUEUE=self.queue,
        )
        url = database_url(database)
        if url:
            env["DATABASE_URL"] = url
        else:  # SQLite: the embedded shape, $VAR_DIR/db.sqlite3 (shared_database wrote it there)
            env.pop("DATABASE_URL", None)
            assert Path(database["NAME"]) == self.var_dir / "db.sqlite3"
        for number in range(len(self.processes), len(self.processes) + count):
            log = self.folder / f"worker-{number}.log"
            command = [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
                "-Q", self.queue, "--hostname", f"w{number}-{self.token}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
            ]  # fmt: skip
            with open(log, "wb") as output:
                process = subprocess.Popen(
                    command, cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=output,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
            self.processes.append((process, log))
        self.wait_until(lambda: all("ready." in self.log(log) for _p, log in self.processes), "workers ready")

    def send(self, task_name, times=1):
        for _ in range(times):
            self.client.send_task(task_name, queue=self.queue)

    def log(self, path):
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self):
        return "\n".join(f"--- {log.name}\n{self.log(log)}" for _p, log in self.processes)

    def wait_until(self, condition, what, seconds=WAIT_SECONDS):
        deadline = time.monotonic() + seconds
        while not condition():
            for process, _log in self.processes:
                if process.poll() is not None:
                    pytest.fail(f"a worker exited with {process.returncode} waiting for {what}:\n{self.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"waited {seconds}s for {what}; worker logs:\n{self.logs()}")
            time.sleep(0.2)

    def task_events(self):
        """{task id: (name, Counter of received/succeeded/retry/raised)} from the logs."""
        events = {}
        for match in LOG_LINE.finditer(self.logs()):
            name, task_id, event = match.groups()
            events.setdefault(task_id, (name, Counter()))[1][event] += 1
        return events

    def finished(self, task_name):
        return sum(c["succeeded"] for name, c in self.task_events().values() if name == task_name)

    def wait_idle(self):
        """Until every task received has ended (succeeded, retried or raised) and
        nothing new was logged for SETTLE_SECONDS."""
        state = {"text": None, "since": time.monotonic()}

        def idle():
            text = self.logs()
            if text != state["text"]:
                state.update(text=text, since=time.monotonic())
                return False
            balanced = all(
                c["received"] == c["succeeded"] + c["retry"] + c["raised"] for _n, c in self.task_events().values()
            )
            return balanced and time.monotonic() - state["since"] >= SETTLE_SECONDS

        self.wait_until(idle, "the workers to go idle")

    def messages(self):
        """Every e-mail written, as (recipient, subject)."""
        found = []
        for path in sorted(self.mail_dir.iterdir()):
            for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
                if chunk.strip():
                    message = email.message_from_bytes(chunk)
                    found.append((message["To"], str(make_header(decode_header(message["Subject"])))))
        return found

    def close(self):
        for process, _log in self.processes:
            stop(process)
        if settings.CELERY_BROKER_URL.startswith("redis"):
            try:  # the queue, its exchange's bindings: every key named after this run's queue
                import redis

                server = redis.Redis.from_url(settings.CELERY_BROKER_URL)
                keys = list(server.scan_iter(match=f"*{self.queue}*"))
                if keys:
                    server.delete(*keys)
                server.close()
            except Exception:  # noqa: BLE001 - cleanup must not hide the test's outcome
                pass
        self.client.close()


@pytest.fixture
def workers(tmp_path):
    """Make workers with ``workers(backend)``; all are stopped after the test, whatever happens."""
    made = []

    def make(email_backend=FILE_BACKEND):
        folder = tmp_path / f"run{len(made)}"
        folder.mkdir()
        made.append(Workers(folder, email_backend))
        return made[-1]

    try:
        yield make
    finally:
        for harness in made:
            harness.close()


def member(unit, role, username, **fields):
    return MembershipFactory(unit=unit, role=role, user=UserFactory(username=username, **fields)).user


@pytest.fixture
def overdue(city, batch):
    """Tasks at every level, with the people they concern. Returns how many
    e-mails one sweep must send: per copy, yellow → staff (1); red → staff (1);
    escalated → staff and the supervision group member (2). The leaders are not
    asked to explain (their daily digest tells them). A staff member without an
    address gets no e-mail."""
    unit = city["east_community"]
    member(unit, Role.STAFF, "staff")
    member(unit, Role.STAFF, "staff-without-email", email="")
    member(unit, Role.LEADER, "leader")
    member(city["east"], Role.LEADER, "district-leader")
    group = SupervisionGroupFactory(campaign=batch.campaign, organising_unit=city["city"])
    group.units.add(city["east"])
    group.members.add(UserFactory(username="group-member"))
    today = timezone.localdate()
    for copy in range(COPIES):
        for offset in (1, -1, -40):  # yellow, red, escalated
            TaskFactory(
                unit=unit, problem__batch=batch, term=Term.SHORT, title=f"整改任务{copy}({offset}天)",
                due_date=today + datetime.timedelta(days=offset),
            )  # fmt: skip
    return COPIES * (1 + 1 + 2)


def assert_each_sent_once(harness, expected):
    messages = harness.messages()
    duplicates = {message: n for message, n in Counter(messages).items() if n > 1}
    assert not duplicates, f"sent more than once: {duplicates}"
    assert len(messages) == expected
    sent = Notification.objects.filter(email_status="sent").select_related("user")
    assert {(n.user.email, email_text(n)[0]) for n in sent} == set(messages)
    assert not Notification.objects.exclude(email_status__in=["sent", "none"]).exists()
    assert not Alert.objects.filter(processed_at__isnull=True).exists()


def test_two_sweeps_in_a_row_send_one_email_per_alert_and_recipient(workers, overdue):
    harness = workers()
    with shared_database(harness.var_dir) as database:
        harness.start(database)
        harness.send(SWEEP)
        harness.wait_until(lambda: len(harness.messages()) >= overdue, f"{overdue} e-mails")
        harness.wait_idle()
        harness.send(SWEEP)
        harness.send(DELIVER_PENDING)
        harness.wait_until(lambda: harness.finished(SWEEP) == 2 and harness.finished(DELIVER_PENDING) == 1, "2nd run")
        harness.wait_idle()
        harness.close()
    assert_each_sent_once(harness, overdue)
    # and in-app only for the staff member without an address, once per alert:
    assert Notification.objects.filter(email_status="none").count() == Alert.objects.count() == 3 * COPIES


def test_two_workers_at_once_still_send_one_email_each(workers, overdue):
    harness = workers()
    with shared_database(harness.var_dir) as database:
        harness.start(database, count=2)
        harness.send(SWEEP, times=2)
        harness.send(DELIVER_PENDING, times=2)
        harness.wait_until(lambda: len(harness.messages()) >= overdue, f"{overdue} e-mails")
        harness.wait_idle()
        harness.close()
    assert_each_sent_once(harness, overdue)
    assert harness.finished(SWEEP) == 2 and harness.finished(DELIVER_PENDING) == 2


def test_a_failed_send_is_retried_and_delivered_once(workers, overdue):
    harness = workers(FAIL_FIRST_BACKEND)
    with shared_database(harness.var_dir) as database:
        harness.start(database)
        harness.send(SWEEP)
        harness.wait_until(lambda: len(harness.messages()) >= overdue, f"{overdue} e-mails after retries")
        harness.wait_idle()
        harness.close()
    assert_each_sent_once(harness, overdue)
    failed_once = {path.name for path in (harness.folder / "failed-once").iterdir()}
    assert failed_once == {message_key_of(to, subject) for to, subject in harness.messages()}
    assert set(Notification.objects.filter(email_status="sent").values_list("email_attempts", flat=True)) == {2}
    assert "retry: Retry in" in harness.logs()


def message_key_of(to, subject):
    """The FailFirst backend's key of a message, from what was written."""
    return message_key(type("Message", (), {"to": [to], "subject": subject})())
