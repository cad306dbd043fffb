"""Real Celery workers post each group-chat message exactly once (the e-mails' harness:
test_celery_delivery.py), to a local HTTP server started here that records what it receives."""

from collections import Counter

import pytest

from rectification.models import Alert, ChatRobot, RobotMessage
from tests.rectification.robot_server import RobotServer
from tests.rectification.shared_db import shared_database
from tests.rectification.test_celery_delivery import DELIVER_PENDING, SWEEP, overdue, workers  # noqa: F401

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SITE = "https://campaign.intranet"


@pytest.fixture
def robot_server(city, monkeypatch):
    """A DingTalk robot with a signing secret on the tasks' unit, posting to a local server;
    the workers (started after this) may post to 127.0.0.1 and link to SITE."""
    monkeypatch.setenv("CHAT_ROBOT_HOSTS", "127.0.0.1")
    monkeypatch.setenv("SITE_URL", SITE)
    server = RobotServer(secret="SEC-workers-0123456789")
    ChatRobot.objects.create(
        unit=city["east_community"], platform=ChatRobot.Platform.DINGTALK, name="东区社区整改工作群",
        webhook_url=server.url("/robot/send?access_token=workers"), secret=server.secret,
        message_format=ChatRobot.Format.TEXT,
    )  # fmt: skip
    yield server
    server.close()


def contents(server):
    return [received.body["text"]["content"] for received in server.received]


def assert_each_posted_once(server):
    posted = contents(server)
    duplicates = {text: n for text, n in Counter(posted).items() if n > 1}
    assert not duplicates, f"posted more than once: {duplicates}"
    assert len(posted) == RobotMessage.objects.count() == Alert.objects.count()
    assert all(received.signature_ok for received in server.received)
    assert all(f"{SITE}/rectification/tasks/" in text for text in posted)
    assert set(RobotMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_two_workers_at_once_post_each_message_once(workers, overdue, robot_server):  # noqa: F811
    harness = workers()
    with shared_database(harness.var_dir) as database:
        harness.start(database, count=2)
        harness.send(SWEEP, times=2)
        harness.send(DELIVER_PENDING, times=2)
        harness.wait_until(lambda: len(robot_server.received) >= Alert.objects.count() > 0, "the robot messages")
        harness.wait_idle()
        harness.close()
    assert_each_posted_once(robot_server)
    assert set(RobotMessage.objects.values_list("attempts", flat=True)) == {1}


def test_a_500_is_retried_by_the_worker_and_posted_once(workers, overdue, robot_server):  # noqa: F811
    robot_server.script.append((500, {"errcode": -1, "errmsg": "系统繁忙"}, 0))
    harness = workers()
    with shared_database(harness.var_dir) as database:
        harness.start(database)
        harness.send(SWEEP)
        harness.wait_until(lambda: len(robot_server.received) > Alert.objects.count() > 0, "the retried message")
        harness.wait_idle()
        harness.close()
    first, *rest = robot_server.received
    assert first.body in [received.body for received in rest]  # the refused one went again
    robot_server.received = rest
    assert_each_posted_once(robot_server)
    assert sorted(RobotMessage.objects.values_list("attempts", flat=True)) == [1] * (len(rest) - 1) + [2]
    assert "retry: Retry in" in harness.logs()
