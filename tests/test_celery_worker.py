"""A real Celery worker consumes a real message from the configured broker.

The worker is a subprocess with the test's environment: Redis when REDIS_URL is
set, else the filesystem broker under a temporary VAR_DIR. It listens on a
queue of its own, so no other worker on the same Redis can take the message.
The task writes a file, which the test can see without sharing a database.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

pytestmark = [pytest.mark.celery, pytest.mark.slow]

BASE_DIR = Path(settings.BASE_DIR)
TASK_NAME = "campaign.tasks.write_worker_heartbeat"
WAIT_SECONDS = 60


def broker_client(var_dir):
    """A Celery app that publishes exactly where a worker with VAR_DIR=var_dir consumes."""
    app = Celery("celery-worker-test", set_as_current=False)
    app.conf.broker_url = settings.CELERY_BROKER_URL
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    # The filesystem broker's folders sit under VAR_DIR: move them to the temporary one.
    app.conf.broker_transport_options = {
        key: value.replace(str(settings.VAR_DIR), str(var_dir)) if isinstance(value, str) else value
        for key, value in options.items()
    }
    for folder in app.conf.broker_transport_options.values():
        if isinstance(folder, str) and folder.startswith(str(var_dir)):
            Path(folder).mkdir(parents=True, exist_ok=True)
    app.conf.task_serializer = settings.CELERY_TASK_SERIALIZER
    app.conf.accept_content = settings.CELERY_ACCEPT_CONTENT
    app.conf.broker_connection_retry_on_startup = False
    return app


def stop(process):
    """SIGTERM the worker's process group, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def test_worker_consumes_a_task_from_the_broker(tmp_path):
    token = uuid.uuid4().hex
    queue = f"test-worker-{token}"
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    heartbeat = var_dir / "heartbeats" / token
    log_path = tmp_path / "worker.log"

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(var_dir))
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool=solo", "--queues", queue, "--hostname", f"test-{token}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
    ]  # fmt: skip
    client = broker_client(var_dir)
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        client.send_task(TASK_NAME, args=[token], queue=queue)
        deadline = time.monotonic() + WAIT_SECONDS
        while not heartbeat.exists():
            if worker.poll() is not None:
                pytest.fail(f"worker exited with {worker.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no heartbeat after {WAIT_SECONDS}s; worker log:\n{log_path.read_text()}")
            time.sleep(0.2)
        assert heartbeat.read_text().strip(), "the heartbeat file is empty"
        assert "succeeded" in wait_for_log(log_path, "succeeded"), log_path.read_text()
    finally:
        stop(worker)
        if settings.CELERY_BROKER_URL.startswith("redis"):
            try:
                with client.connection_for_write() as connection:
                    connection.default_channel.queue_delete(queue)  # drop the one-off queue's binding
            except Exception:  # noqa: BLE001 - cleanup must not hide the test's outcome
                pass
        client.close()
    assert worker.returncode is not None


def wait_for_log(log_path, needle, seconds=10):
    """The worker logs `Task ... succeeded` just after the task returns."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if needle in text:
            return text
        time.sleep(0.2)
    return log_path.read_text(errors="replace")
