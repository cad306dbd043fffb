"""Group-chat robots (企业微信 / 钉钉 群机器人): the second channel, for the chats offices read.

A unit's administrator sets up a robot (rectification/views/robots.py). Every
message about a task of that unit (warnings, reminders, urges, decisions; and,
when the robot says so, of the units below it) becomes one ``RobotMessage`` per
robot, unique per (robot, key), made with the notifications. Each is delivered
once by the machinery e-mails use (notify/delivery.py): a JSON POST to the
robot's webhook, claimed by compare-and-set, retried on transient failures
(connection refused, timeouts, 5xx, 429 and the platforms' rate-limit codes),
refused for good on a 4xx or another error code, with the reason kept.

The platforms' formats:
- WeCom: ``POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`` with
  ``{"msgtype": "markdown", "markdown": {"content": …}}`` or ``{"msgtype": "text", "text": {"content": …}}``;
  content at most 4096 bytes (markdown), 2048 (text); 20 messages a minute per robot.
- DingTalk: ``POST https://oapi.dingtalk.com/robot/send?access_token=…`` with
  ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`` or the same ``text``
  form; with a signing secret, ``&timestamp=<ms>&sign=<url-encoded base64 HMAC-SHA256
  of "<timestamp>\\n<secret>" keyed by the secret>``; 20 messages a minute per robot.
Both answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``, or another errcode.

Only hosts in ``settings.CHAT_ROBOT_HOSTS`` are ever posted to (the two
platforms' by default), and redirects are not followed: an administrator's
address cannot make the server reach into the intranet.
"""

import base64
import datetime
import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign.links import absolute
from rectification.models import ChatRobot, RobotMessage

from .delivery import Deferred, NothingToSend, Outbox, PermanentDeliveryError, TransientDeliveryError

ROBOTS = Outbox(RobotMessage, "robot message")
TEST = "test"
TIMEOUT_SECONDS = 10
RESPONSE_MAX_BYTES = 64 * 1024
# Bytes of UTF-8 the platforms accept in a message's content (a margin under their limits).
CONTENT_MAX_BYTES = {
    (ChatRobot.Platform.WECOM, ChatRobot.Format.MARKDOWN): 4000,
    (ChatRobot.Platform.WECOM, ChatRobot.Format.TEXT): 2000,
    (ChatRobot.Platform.DINGTALK, ChatRobot.Format.MARKDOWN): 4000,
    (ChatRobot.Platform.DINGTALK, ChatRobot.Format.TEXT): 4000,
}
# errcodes that mean "too many, try later": WeCom's -1 (busy) and 45009 (rate), DingTalk's 130101 (rate).
BUSY_CODES = {-1, 45009, 130101}


# --- where the messages go ----------------------------------------------------------------


def robots_for(units):
    """{unit id: [enabled robots that hear about its tasks]}: its own robots, and those of
    the units above it that asked for the units below. One query."""
    chains = {unit.pk: unit.ancestor_ids() for unit in units}
    ids = set().union(*chains.values()) if chains else set()
    by_unit = defaultdict(list)
    for robot in ChatRobot.objects.filter(enabled=True, unit_id__in=ids).order_by("pk"):
        by_unit[robot.unit_id].append(robot)
    return {
        unit_id: [robot for above in chain for robot in by_unit[above] if above == unit_id or robot.include_below]
        for unit_id, chain in chains.items()
    }


def robot_messages(robots, **fields):
    """Unsaved messages, one per robot."""
    return [RobotMessage(robot=robot, **fields) for robot in robots]


def save_new_messages(messages):
    """Insert the messages whose (robot, key) is not taken yet; return the ids of the new ones."""
    if not messages:
        return []
    keys = {message.key for message in messages}
    robot_ids = {message.robot_id for message in messages}
    taken = set(RobotMessage.objects.filter(key__in=keys, robot_id__in=robot_ids).values_list("robot_id", "key"))
    new = [message for message in messages if (message.robot_id, message.key) not in taken]
    RobotMessage.objects.bulk_create(new, ignore_conflicts=True)
    return list(
        RobotMessage.objects.filter(key__in={m.key for m in new}, robot_id__in={m.robot_id for m in new},
                                    status=RobotMessage.Status.PENDING).values_list("pk", flat=True)
    ) if new else []  # fmt: skip


def tell_robots(task, kind, key, title, body, url):
    """The messages of one task's notice to the robots of its unit; returns the new ids."""
    robots = robots_for([task.unit])[task.unit_id]
    return save_new_messages(robot_messages(robots, task=task, kind=kind, key=key, title=title[:200], body=body, url=url))


def tell_unit_robots(unit, kind, key, title, body, url):
    """The messages of a notice about a unit itself (not one of its tasks) to its robots; returns the new ids."""
    robots = robots_for([unit])[unit.pk]
    return save_new_messages(robot_messages(robots, task=None, kind=kind, key=key, title=title[:200], body=body, url=url))


def make_test_message(robot, user):
    """A test message for ``robot`` (from its page's button); returns its id."""
    from campaign.people import person_name

    with translation.override(settings.LANGUAGE_CODE):
        title = _("Test message")
        body = _("%(person)s set up this group's robot for %(unit)s: notices about its tasks will appear here.") % {
            "person": person_name(user), "unit": robot.unit.display_name,
        }  # fmt: skip
    message = RobotMessage.objects.create(
        robot=robot, kind=TEST, key=f"{TEST}:{time.time_ns()}", title=title, body=body, url="/",
    )  # fmt: skip
    return message.pk


# --- what is posted -----------------------------------------------------------------------


def _fit(text, max_bytes):
    """``text`` cut to ``max_bytes`` of UTF-8, on a character boundary, with … when cut."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode(errors="ignore") + "…"


def _markdown_safe(text):
    """Text a user typed, unable to make links or headings in the chat's markdown."""
    return text.replace("[", "［").replace("]", "］").replace("<", "＜").replace(">", "＞").replace("#", "＃")


def robot_payload(robot, message):
    """The JSON document posted for ``message``, in the robot's platform's and format's shape."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("[Rectification tracker] %(title)s") % {"title": message.title}
        link = absolute(message.url) if message.url else ""
        limit = CONTENT_MAX_BYTES[(robot.platform, robot.message_format)]
        if robot.message_format == ChatRobot.Format.TEXT:
            tail = ("\n\n" + _("Open it in the rectification tracker: %(link)s") % {"link": link}) if link else ""
            head = title + ("\n\n" if message.body else "")
            content = head + _fit(message.body, limit - len((head + tail).encode())) + tail
            return {"msgtype": "text", "text": {"content": content}}
        label = _("Open it in the rectification tracker")
        tail = f"\n\n[{label}]({link})" if link else ""
        head = (f"**{_markdown_safe(title)}**" if robot.platform == ChatRobot.Platform.WECOM
                else f"#### {_markdown_safe(title)}") + ("\n\n" if message.body else "")  # fmt: skip
        body = "\n".join(f"> {line}" if line else ">" for line in _markdown_safe(message.body).splitlines())
        content = head + _fit(body, limit - len((head + tail).encode())) + tail
        if robot.platform == ChatRobot.Platform.WECOM:
            return {"msgtype": "markdown", "markdown": {"content": content}}
        return {"msgtype": "markdown", "markdown": {"title": _fit(title, 200), "text": content}}


def dingtalk_signature(secret, timestamp_ms):
    """DingTalk's ``sign``: base64 of HMAC-SHA256(key=secret, "<timestamp>\\n<secret>"), url-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def signed_url(robot, timestamp_ms=None):
    """The address posted to: the webhook, plus ``timestamp`` and ``sign`` for a DingTalk robot with a secret."""
    if robot.platform != ChatRobot.Platform.DINGTALK or not robot.secret:
        return robot.webhook_url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    separator = "&" if "?" in robot.webhook_url else "?"
    return f"{robot.webhook_url}{separator}timestamp={timestamp_ms}&sign={dingtalk_signature(robot.secret, timestamp_ms)}"


def webhook_problem(url):
    """Why ``url`` may not be a robot's webhook (in the active language), or None."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is no number
    except ValueError:
        return _("This is not a web address.")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Give the full webhook address the group's robot shows, starting with https://.")
    allowed = [host.lower() for host in settings.CHAT_ROBOT_HOSTS]
    if parts.hostname.lower() not in allowed:
        return _("Only these hosts may receive messages: %(hosts)s.") % {"hosts": ", ".join(allowed)}
    if parts.username or parts.password or parts.fragment:
        return _("The address may not carry a user name, a password or a fragment.")
    return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx becomes an HTTPError: refused, not followed


_opener = urllib.request.build_opener(_NoRedirects)


def post_json(url, payload):
    """POST ``payload`` as JSON; returns (status, parsed JSON or None). Raises the delivery errors."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read(RESPONSE_MAX_BYTES)
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code}: {exc.read(500).decode(errors='replace')}".strip()
        if exc.code >= 500 or exc.code == 429:
            raise TransientDeliveryError(reason) from exc
        raise PermanentDeliveryError(reason) from exc
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as exc:
        raise TransientDeliveryError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from exc
    try:
        answer = json.loads(raw.decode())
    except ValueError:
        answer = None
    return status, answer


def posted_last_minute(robot, message):
    """How many messages ``robot`` was sent, or is being sent, in the last minute (not counting ``message``)."""
    since = timezone.now() - datetime.timedelta(minutes=1)
    return (
        RobotMessage.objects.filter(robot=robot)
        .filter(Q(sent_at__gte=since) | Q(status=RobotMessage.Status.SENDING, claimed_at__gte=since))
        .exclude(pk=message.pk)
        .count()
    )


def _send(message):
    robot = message.robot
    if not robot.enabled:
        raise NothingToSend("robot disabled")
    if (problem := webhook_problem(robot.webhook_url)) is not None:
        raise PermanentDeliveryError(problem)
    if posted_last_minute(robot, message) >= settings.CHAT_ROBOT_MESSAGES_PER_MINUTE:
        # Both platforms take 20 a minute per robot, and DingTalk then blocks the robot for
        # 10 minutes: a burst (a sweep's many warnings for one unit) waits its turn instead.
        raise Deferred("more than %s messages a minute" % settings.CHAT_ROBOT_MESSAGES_PER_MINUTE, seconds=60)
    _status, answer = post_json(signed_url(robot), robot_payload(robot, message))
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code not in (0, "0", None):
        reason = f"errcode {code}: {answer.get('errmsg', '')}"
        if code in BUSY_CODES:
            raise TransientDeliveryError(reason)
        raise PermanentDeliveryError(reason)


def deliver_robot_message(message_id):
    """Post one message to its robot, at most once; returns what happened ("sent",
    "not claimed", "failed", "robot disabled"). A transient failure raises
    TransientDeliveryError for the task to retry; past the robot's messages per
    minute it raises Deferred (a TransientDeliveryError whose attempt is not counted)."""
    return ROBOTS.deliver(message_id, _send, select_related=("robot__unit",))


def deliverable_messages(now=None):
    return ROBOTS.deliverable(now)
