"""Two beats started against one Redis send each scheduled job once per period,
not twice (celery-redbeat's lock), and the waiting one takes over when the
sender is killed.

Both beats are real `celery beat` processes with the project's settings,
except for a schedule of their own: the overdue sweep every second, sent to a
queue of this test (no worker consumes it, so the test counts the messages
waiting in Redis), under a key prefix of this test, with a short lock.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings

from tests.conftest import without_production_services
from tests.test_celery_worker import stop

pytestmark = [pytest.mark.slow, pytest.mark.celery]
PERIOD = 1.0
LOCK_TIMEOUT = 3

SETTINGS = """
from config.settings import *  # noqa

CELERY_BEAT_SCHEDULE = {{
    "sweep-overdue": {{
        "task": "rectification.tasks.sweep_overdue",
        "schedule": {period},
        "options": {{"queue": "{queue}", "expires": 300}},
    }},
}}
CELERY_REDBEAT_KEY_PREFIX = "{prefix}"
CELERY_REDBEAT_LOCK_TIMEOUT = {lock}
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
"""


@pytest.fixture
def redis_client():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        without_production_services("beats share their lock through Redis (CI sets REDIS_URL); the embedded shape runs one beat")
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    client.close()


def start_beat(folder, name, env):
    log_path = folder / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
             "--schedule", str(folder / f"{name}-schedule")],
            cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return process, log_path


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_two_beats_send_one_sweep_per_period_and_one_takes_over_from_the_other(tmp_path, redis_client):
    token = uuid.uuid4().hex[:12]
    queue, prefix = f"test-beat-{token}", f"test-redbeat-{token}:"
    (tmp_path / "beat_settings.py").write_text(SETTINGS.format(period=PERIOD, queue=queue, prefix=prefix, lock=LOCK_TIMEOUT))
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="beat_settings", PYTHONPATH=f"{tmp_path}{os.pathsep}{settings.BASE_DIR}",
    )  # fmt: skip
    beats = {}
    try:
        for name in ("first", "second"):
            beats[name] = start_beat(tmp_path, name, env)
        holder = lambda: [n for n, (_p, log) in beats.items() if "Acquired lock" in log.read_text(errors="replace")]  # noqa: E731
        wait_for(lambda: holder(), 30, "no beat acquired the lock")
        wait_for(lambda: redis_client.llen(queue) >= 1, 15, "no sweep was sent")
        assert len(holder()) == 1, "both beats hold the lock"

        start, sent_before = time.monotonic(), redis_client.llen(queue)
        time.sleep(6)
        sent = redis_client.llen(queue) - sent_before
        periods = (time.monotonic() - start) / PERIOD
        assert all(process.poll() is None for process, _log in beats.values()), "a beat exited"
        assert periods - 2 <= sent <= periods + 1, f"{sent} sweeps sent in {periods:.1f} periods by two beats"

        sender = holder()[0]
        waiting = "second" if sender == "first" else "first"
        os.killpg(beats[sender][0].pid, signal.SIGKILL)  # the sender dies without releasing its lock
        wait_for(lambda: waiting in holder(), LOCK_TIMEOUT + 15, f"the {waiting} beat did not take over")
        after = redis_client.llen(queue)
        wait_for(lambda: redis_client.llen(queue) >= after + 2, 10, "the beat that took over sends nothing")
    finally:
        for process, _log in beats.values():
            stop(process)
        redis_client.delete(queue, *redis_client.keys(f"{prefix}*"))
