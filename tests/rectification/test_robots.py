"""Group-chat robots (企业微信 / 钉钉), against a local HTTP server that records what it receives
(tests/rectification/robot_server.py), and absolute links in every kind of message.

Delivery is the e-mails' machinery (notify/delivery.py): each message claimed once by
compare-and-set, retried on transient failures, failed for good with its reason on a refusal.
Real Celery workers posting to the server: test_robots_celery.py.
"""

import datetime
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import Role
from rectification import notify, services
from rectification.models import ChatRobot, Notification, RobotMessage, Term
from rectification.notify import email_text
from rectification.notify.robots import dingtalk_signature, robot_payload
from rectification.sweep import run_sweep
from tests.conftest import in_english, member
from tests.factories import SupervisionGroupFactory, TaskFactory, UserFactory
from tests.rectification.robot_server import RobotServer

SITE = "http://campaign.test"  # tests/settings.py
PATH_OF_A_PAGE = re.compile(r"(?<![\w/:.])/(rectification|public|reports|campaign)/[\w/-]*")


@pytest.fixture
def server(settings):
    settings.CHAT_ROBOT_HOSTS = ["127.0.0.1"]
    made = []

    def start(**kwargs):
        made.append(RobotServer(**kwargs))
        return made[-1]

    yield start
    for running in made:
        running.close()


def robot_for(unit, url, **fields):
    return ChatRobot.objects.create(unit=unit, name=fields.pop("name", "东区社区整改工作群"), webhook_url=url,
                                    platform=fields.pop("platform", ChatRobot.Platform.WECOM), **fields)  # fmt: skip


def urge(task, supervisor, text="请本周内拿出方案"):
    """An urge by the service, told as after its commit (without queueing: the test delivers)."""
    row = services.urge(task, supervisor, text)
    notify.notify_urge(row)
    return row


@pytest.fixture
def urged(task, unit_staff, supervisor_in_scope):
    return lambda: urge(task, supervisor_in_scope)


@pytest.mark.django_db
class TestDelivery:
    def test_a_wecom_message_is_posted_once_with_the_tasks_full_address(self, server, city, task, urged):
        wecom = server()
        robot_for(city["east_community"], wecom.url())
        urged()
        (message,) = RobotMessage.objects.all()
        assert notify.deliver_robot_message(message.pk) == "sent"
        assert notify.deliver_robot_message(message.pk) == "not claimed"
        notify.notify_urge(message.task.urges.get())  # the same urge told again adds nothing
        assert RobotMessage.objects.count() == 1
        (received,) = wecom.received
        assert received.path == "/cgi-bin/webhook/send" and received.query == {"key": "test-key-0123456789"}
        assert received.content_type.startswith("application/json")
        assert received.body["msgtype"] == "markdown"
        content = received.body["markdown"]["content"]
        assert "请本周内拿出方案" in content and task.title in content
        assert f"({SITE}/rectification/tasks/{task.pk}/)" in content
        message.refresh_from_db()
        assert message.status == "sent" and message.attempts == 1 and message.sent_at and message.error == ""

    def test_a_dingtalk_message_is_signed_and_the_server_verifies_it(self, server, city, task, urged):
        dingtalk = server(secret="SEC0123456789abcdef")
        robot_for(city["east_community"], dingtalk.url("/robot/send?access_token=token-1"),
                  platform=ChatRobot.Platform.DINGTALK, secret="SEC0123456789abcdef",
                  message_format=ChatRobot.Format.TEXT)  # fmt: skip
        urged()
        message = RobotMessage.objects.get()
        assert notify.deliver_robot_message(message.pk) == "sent"
        (received,) = dingtalk.received
        assert received.signature_ok is True
        assert received.query["access_token"] == "token-1" and set(received.query) == {"access_token", "timestamp", "sign"}
        assert received.body["msgtype"] == "text"
        assert f"{SITE}/rectification/tasks/{task.pk}/" in received.body["text"]["content"]

    def test_a_wrong_secret_is_refused_by_dingtalk_and_recorded_not_retried(self, server, city, urged):
        dingtalk = server(secret="SEC-the-right-one")
        robot_for(city["east_community"], dingtalk.url("/robot/send?access_token=t"),
                  platform=ChatRobot.Platform.DINGTALK, secret="SEC-a-wrong-one")  # fmt: skip
        urged()
        message = RobotMessage.objects.get()
        assert notify.deliver_robot_message(message.pk) == "failed"
        message.refresh_from_db()
        assert message.status == "failed" and "310000" in message.error and "sign not match" in message.error
        assert len(dingtalk.received) == 1 and dingtalk.received[0].signature_ok is False

    def test_the_signature_is_dingtalks(self):
        # DingTalk's documented recipe, computed independently: HMAC-SHA256 keyed by the secret, base64, url-encoded.
        import base64
        import hashlib
        import hmac
        import urllib.parse

        secret, timestamp = "SECexample", 1700000000000
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        assert dingtalk_signature(secret, timestamp) == urllib.parse.quote_plus(base64.b64encode(digest))

    def test_a_500_is_retried_then_delivered_once(self, server, city, urged):
        wecom = server(script=[(500, {"errcode": -1, "errmsg": "internal"}, 0)])
        robot_for(city["east_community"], wecom.url())
        urged()
        message = RobotMessage.objects.get()
        with pytest.raises(notify.TransientDeliveryError, match="HTTP 500"):
            notify.deliver_robot_message(message.pk)
        message.refresh_from_db()
        assert message.status == "pending" and message.attempts == 1 and "HTTP 500" in message.error
        assert notify.deliverable_messages(now=timezone.now() + datetime.timedelta(minutes=6)).filter(pk=message.pk).exists()
        assert notify.deliver_robot_message(message.pk) == "sent"
        assert notify.deliver_robot_message(message.pk) == "not claimed"
        message.refresh_from_db()
        assert message.status == "sent" and message.attempts == 2 and message.error == ""
        assert len(wecom.received) == 2 and wecom.received[0].body == wecom.received[1].body

    @pytest.mark.parametrize(
        "answer,transient",
        [((404, {"errmsg": "no such robot"}, 0), False), ((400, None, 0), False), ((302, None, 0), False),
         ((200, {"errcode": 93000, "errmsg": "invalid webhook url"}, 0), False),
         ((429, None, 0), True), ((503, None, 0), True), ((200, {"errcode": 45009, "errmsg": "api freq out of limit"}, 0), True),
         ((200, {"errcode": 130101, "errmsg": "send too fast"}, 0), True)],
    )  # fmt: skip
    def test_refusals_fail_at_once_with_their_reason_and_busy_answers_are_retried(self, server, city, urged, answer, transient):
        wecom = server(script=[answer])
        robot_for(city["east_community"], wecom.url())
        urged()
        message = RobotMessage.objects.get()
        if transient:
            with pytest.raises(notify.TransientDeliveryError):
                notify.deliver_robot_message(message.pk)
            message.refresh_from_db()
            assert message.status == "pending"
        else:
            assert notify.deliver_robot_message(message.pk) == "failed"
            message.refresh_from_db()
            assert message.status == "failed" and message.attempts == 1
            assert str(answer[0]) in message.error or str(answer[1]["errcode"]) in message.error
            assert not notify.deliverable_messages(now=timezone.now() + datetime.timedelta(hours=1)).exists()
        assert len(wecom.received) == 1  # a redirect is not followed either

    def test_a_timeout_is_retried_and_gives_up_after_the_last_attempt(self, server, city, urged, monkeypatch):
        monkeypatch.setattr("rectification.notify.robots.TIMEOUT_SECONDS", 0.3)
        wecom = server(script=[(200, {"errcode": 0}, 1.0)] * notify.MAX_EMAIL_ATTEMPTS)
        robot_for(city["east_community"], wecom.url())
        urged()
        message = RobotMessage.objects.get()
        for _attempt in range(notify.MAX_EMAIL_ATTEMPTS - 1):
            with pytest.raises(notify.TransientDeliveryError, match="timed out"):
                notify.deliver_robot_message(message.pk)
        assert notify.deliver_robot_message(message.pk) == "failed"
        message.refresh_from_db()
        assert message.status == "failed" and message.attempts == notify.MAX_EMAIL_ATTEMPTS

    def test_a_connection_refused_is_transient(self, server, city, urged):
        wecom = server()
        url = wecom.url()
        wecom.close()  # nobody listens there any more
        robot_for(city["east_community"], url)
        urged()
        with pytest.raises(notify.TransientDeliveryError):
            notify.deliver_robot_message(RobotMessage.objects.get().pk)

    def test_only_the_allowed_hosts_are_posted_to(self, server, city, urged, settings):
        wecom = server()
        robot_for(city["east_community"], wecom.url())
        urged()
        settings.CHAT_ROBOT_HOSTS = ["qyapi.weixin.qq.com"]  # the robot was saved before the host was struck off
        message = RobotMessage.objects.get()
        assert notify.deliver_robot_message(message.pk) == "failed"
        message.refresh_from_db()
        assert "qyapi.weixin.qq.com" in message.error and wecom.received == []  # the reason names the hosts allowed

    def test_a_disabled_robot_gets_nothing_new_and_sends_nothing_waiting(self, server, city, task, urged, supervisor_in_scope):
        wecom = server()
        robot = robot_for(city["east_community"], wecom.url())
        urged()
        robot.enabled = False
        robot.save()
        message = RobotMessage.objects.get()
        assert notify.deliver_robot_message(message.pk) == "robot disabled"
        urge(task, supervisor_in_scope, "第二次催办")
        assert RobotMessage.objects.count() == 1 and wecom.received == []

    def test_robots_of_units_above_hear_only_when_they_ask_for_the_units_below(self, server, city, urged):
        wecom = server()
        street = robot_for(city["east_street"], wecom.url(), name="街道群")
        district = robot_for(city["east"], wecom.url(), name="区群", include_below=True)
        robot_for(city["west_community"], wecom.url(), name="西区群")
        urged()
        assert set(RobotMessage.objects.values_list("robot", flat=True)) == {district.pk}
        assert street.messages.count() == 0

    def test_long_texts_are_cut_to_the_platforms_limit_and_markdown_cannot_make_links(self, city, task):
        robot = ChatRobot(unit=city["east_community"], platform=ChatRobot.Platform.WECOM, webhook_url="x")
        message = RobotMessage(robot=robot, title="[点我](http://evil.example)", body="长" * 5000, url="/rectification/tasks/1/")
        content = robot_payload(robot, message)["markdown"]["content"]
        assert len(content.encode()) <= 4096
        assert "](http://evil.example)" not in content and content.endswith(f"({SITE}/rectification/tasks/1/)")
        robot.message_format = ChatRobot.Format.TEXT
        text = robot_payload(robot, message)["text"]["content"]
        assert len(text.encode()) <= 2048 and text.endswith(f"{SITE}/rectification/tasks/1/")


@pytest.mark.django_db
def test_every_kind_of_message_links_by_full_address(server, client, city, batch, task, unit_staff, supervisor_in_scope):
    """Warnings, reminders, digests, urges, decisions and the unit-without-staff notice: the
    e-mail, the in-app notice and the group-chat message each carry the page's full address."""
    from rectification.accounts import warn_unit_above

    wecom = server()
    robot_for(city["east_community"], wecom.url(), message_format=ChatRobot.Format.TEXT)
    member(city["east_community"], Role.LEADER, "community-leader")
    member(city["west"], Role.STAFF, "west-district-staff")
    group = SupervisionGroupFactory(campaign=batch.campaign, organising_unit=city["city"])
    group.units.add(city["east"])
    group.members.add(UserFactory(username="group-member"))
    today = timezone.localdate()
    for offset in (1, -1, -40):  # due soon (and reminded), overdue, escalated
        TaskFactory(unit=city["east_community"], problem__batch=batch, term=Term.SHORT, title=f"任务{offset}",
                    due_date=today + datetime.timedelta(days=offset))  # fmt: skip
    run_sweep()
    notify.make_alert_notifications()
    notify.make_deadline_reminders()
    notify.make_daily_digests()
    urge(task, supervisor_in_scope)
    extension = services.request_extension(task, unit_staff, task.due_date + datetime.timedelta(days=30), "冬季停工")
    services.decide_extension(extension, supervisor_in_scope, approve=True, note="同意")
    notify.notify_extension_decided(extension)
    with mock.patch("rectification.tasks.deliver_notification.delay_on_commit"):
        warn_unit_above(None, city["west_community"])  # no staff there: the district above is told

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"alert", "reminder", "digest", "urge", "decision", "unit_without_staff"} <= kinds
    for notification in Notification.objects.all():
        assert notification.url and notification.link == SITE + notification.url
        _subject, body = email_text(notification)
        assert SITE + notification.url in body, notification.kind
        assert not PATH_OF_A_PAGE.search(body), f"a bare path in the {notification.kind} e-mail: {body}"

    in_english(client).force_login(unit_staff)
    page = client.get(reverse("rectification:notification_list")).content.decode()
    shown = re.findall(r'name="next" value="([^"]*/rectification/tasks/[^"]*)"', page)
    assert shown and all(link.startswith(SITE + "/") for link in shown)

    robot_kinds = set()
    for message in RobotMessage.objects.all():
        assert notify.deliver_robot_message(message.pk) == "sent"
        robot_kinds.add(message.kind)
    assert robot_kinds == {"alert", "reminder", "urge", "decision"}
    for received in wecom.received:
        content = received.body["text"]["content"]
        assert re.search(re.escape(SITE) + r"/rectification/tasks/\d+/", content), content
        assert not PATH_OF_A_PAGE.search(content), content


@pytest.mark.django_db
def test_past_the_robots_messages_per_minute_a_message_waits_without_losing_an_attempt(server, city, task, supervisor_in_scope, settings):
    settings.CHAT_ROBOT_MESSAGES_PER_MINUTE = 2
    wecom = server()
    robot_for(city["east_community"], wecom.url())
    for number in range(3):
        urge(task, supervisor_in_scope, f"第{number + 1}次催办")
    first, second, third = RobotMessage.objects.order_by("pk")
    assert notify.deliver_robot_message(first.pk) == "sent" and notify.deliver_robot_message(second.pk) == "sent"
    with pytest.raises(notify.Deferred) as deferred:
        notify.deliver_robot_message(third.pk)
    assert deferred.value.seconds == 60 and len(wecom.received) == 2
    third.refresh_from_db()
    assert third.status == "pending" and third.attempts == 0
    RobotMessage.objects.filter(pk__in=[first.pk, second.pk]).update(sent_at=timezone.now() - datetime.timedelta(seconds=61))
    assert notify.deliver_robot_message(third.pk) == "sent"
    third.refresh_from_db()
    assert third.attempts == 1 and len(wecom.received) == 3


def test_every_notice_sent_after_a_decision_takes_both_queues():
    """Services hand each notice function (``_tell_on_commit``) the e-mail and robot queues; a
    function without them would fail after the commit, where the failure is only logged."""
    import inspect

    source = inspect.getsource(services)
    names = sorted(set(re.findall(r"_tell_on_commit\(notify\.(\w+)", source)))
    assert names, "the services send no notice after commit?"
    for name in names:
        parameters = inspect.signature(getattr(notify, name)).parameters
        assert {"queue_emails", "queue_robots"} <= set(parameters), name
