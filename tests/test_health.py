"""/healthz: database, broker, worker heartbeat and the age of the last sweep,
for load balancers and monitors; no login, and nothing but status in the answer.

The broker is a real Redis server started here and then stopped; the worker is
a real Celery worker process (against this run's test database) that is then
killed."""

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from rectification import health
from rectification.models import JobRun, WorkerHeartbeat
from rectification.sweep import JOB_NAME
from tests.test_celery_worker import stop
from tests.test_demo_in_production import database_url_of_this_run

URL = reverse("healthz")


def answer(client, **params):
    response = client.get(URL, {"format": "json", **params})
    return response.status_code, json.loads(response.content)


def alive(worker_age=5, sweep_age=600):
    now = timezone.now()
    WorkerHeartbeat.objects.create(hostname="celery@web-2.intranet", seen_at=now - datetime.timedelta(seconds=worker_age))
    JobRun.objects.create(
        name=JOB_NAME, started_at=now - datetime.timedelta(seconds=sweep_age + 1),
        finished_at=now - datetime.timedelta(seconds=sweep_age), ok=True,
    )  # fmt: skip


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
class TestAnswers:
    def test_all_well_is_200_with_status_and_ages_only_for_an_anonymous_visitor(self, client):
        alive()
        status, body = answer(client)
        assert status == 200
        assert body == {
            "status": "ok",
            "checks": {
                "database": {"status": "ok"},
                "broker": {"status": "ok"},
                "worker": {"status": "ok", "age_seconds": body["checks"]["worker"]["age_seconds"]},
                "sweep": {"status": "ok", "age_seconds": body["checks"]["sweep"]["age_seconds"]},
            },
        }
        assert 5 <= body["checks"]["worker"]["age_seconds"] <= 10 and 600 <= body["checks"]["sweep"]["age_seconds"] <= 610
        assert "web-2" not in json.dumps(body)  # no host names
        assert "sessionid" not in client.cookies

    def test_a_sweep_older_than_two_hours_or_none_at_all_fails(self, client):
        alive(sweep_age=3 * 3600)
        status, body = answer(client)
        assert status == 503 and body["status"] == "fail"
        assert body["checks"]["sweep"]["status"] == "fail" and body["checks"]["worker"]["status"] == "ok"
        JobRun.objects.all().delete()
        assert answer(client)[1]["checks"]["sweep"] == {"status": "fail", "age_seconds": None}

    def test_a_failed_sweep_does_not_count(self, client):
        alive(sweep_age=3 * 3600)
        JobRun.objects.create(name=JOB_NAME, started_at=timezone.now(), finished_at=timezone.now(), ok=False, error="boom")
        status, body = answer(client)
        assert status == 503 and body["checks"]["sweep"]["status"] == "fail" and "boom" not in json.dumps(body)

    def test_no_recent_heartbeat_fails_the_worker(self, client):
        alive(worker_age=600)
        assert answer(client)[1]["checks"]["worker"]["status"] == "fail"

    def test_a_load_balancer_asks_only_for_the_database(self, client):
        status, body = answer(client, only="database")  # no worker, no sweep: the web process can still serve
        assert status == 200 and body == {"status": "ok", "checks": {"database": {"status": "ok"}}}

    def test_people_get_plain_text(self, client):
        alive()
        response = client.get(URL)
        assert response["Content-Type"].startswith("text/plain")
        assert response.content.decode().splitlines()[:3] == ["ok", "database: ok", "broker: ok"]
        assert response["Cache-Control"].startswith("max-age=0")

    def test_a_database_error_fails_without_saying_what_it_was(self, client, monkeypatch):
        def broken():
            raise OperationalError('connection to server at "db.intranet" (10.1.2.3) failed: password authentication')

        monkeypatch.setattr(health, "check_database", broken)
        status, body = answer(client, only="database")
        assert status == 503 and body == {"status": "fail", "checks": {"database": {"status": "fail"}}}

    def test_a_broker_folder_that_is_gone_fails_the_embedded_broker(self, client, settings, tmp_path):
        settings.CELERY_BROKER_URL = "filesystem://"
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "queue")}
        assert answer(client, only="broker")[0] == 503
        (tmp_path / "queue").mkdir()
        assert answer(client, only="broker")[0] == 200


@pytest.mark.slow
@pytest.mark.django_db
def test_the_broker_check_follows_a_real_redis_going_down(client, settings, tmp_path):
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is needed (Debian package redis-server; CI starts one)"
    port = free_port()
    server = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while answer(client, only="broker")[0] != 200:
            assert time.monotonic() < deadline, "the Redis server did not come up"
            time.sleep(0.1)
        server.terminate()
        server.wait(timeout=10)
        status, body = answer(client, only="broker")
        assert status == 503 and body == {"status": "fail", "checks": {"broker": {"status": "fail"}}}
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.slow
@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_worker_check_follows_a_real_worker_that_is_killed(client, settings, tmp_path):
    token = uuid.uuid4().hex
    var_dir = tmp_path / "var"
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(var_dir),
        DATABASE_URL=database_url_of_this_run(), WORKER_HEARTBEAT_SECONDS="1",
    )  # fmt: skip
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--queues", f"test-health-{token}",
        "--hostname", f"test-health-{token}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO",
    ]  # fmt: skip
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while answer(client, only="worker")[0] != 200:
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"no heartbeat in 60 s:\n{log_path.read_text()}"
            time.sleep(0.2)
        os.killpg(worker.pid, signal.SIGKILL)  # a crash: nothing is cleaned up
        worker.wait(timeout=10)
        settings.HEALTH_WORKER_MAX_AGE = 2
        time.sleep(3)
        status, body = answer(client, only="worker")
        assert status == 503 and body["checks"]["worker"]["status"] == "fail"
        assert body["checks"]["worker"]["age_seconds"] >= 2
    finally:
        stop(worker)


@pytest.mark.django_db
def test_a_worker_that_stops_takes_its_heartbeat_with_it():
    health.beat_heart("celery@web-1")
    health.beat_heart("celery@web-1")
    assert WorkerHeartbeat.objects.count() == 1
    health.stop_heart("celery@web-1")
    assert not WorkerHeartbeat.objects.exists()
