"""Group-chat robots (企业微信 and 钉钉 群机器人) that a unit's administrator sets up,
and the messages posted to them, each delivered once (rectification/notify/robots.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope


class ChatRobot(models.Model):
    """A group chat's robot: messages about a unit's tasks are posted to its webhook."""

    class Platform(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信) group robot")
        DINGTALK = "dingtalk", _("DingTalk (钉钉) group robot")

    class Format(models.TextChoices):
        MARKDOWN = "markdown", _("Markdown (bold title, link)")
        TEXT = "text", _("Plain text")

    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="chat_robots")
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=100, help_text=_("The group chat's name, e.g. 乌达区整改工作群."))
    # Both hold secrets (the webhook's key or access token, and DingTalk's signing secret): never shown in full.
    webhook_url = models.CharField(_("webhook address"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    message_format = models.CharField(_("message format"), max_length=10, choices=Format.choices, default=Format.MARKDOWN)
    include_below = models.BooleanField(
        _("also the units below"), default=False,
        help_text=_("Also post the messages about the tasks of every unit below this one."),
    )  # fmt: skip
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("group-chat robot")
        verbose_name_plural = _("group-chat robots")
        ordering = ["unit__path", "name", "pk"]

    def __str__(self):
        return self.name

    @property
    def masked_url(self):
        """The webhook address without its key or token: scheme, host and path, then the last 4 characters."""
        return mask_url(self.webhook_url)

    @property
    def masked_secret(self):
        return mask(self.secret)


def mask(value, shown=4):
    """``••••abcd``: enough to recognise a secret, not to use it; empty stays empty."""
    if not value:
        return ""
    return "••••" + (value[-shown:] if len(value) > 3 * shown else "")


def mask_url(url):
    base, _sep, query = url.partition("?")
    return f"{base}?{mask(query)}" if query else base


class RobotMessage(models.Model):
    """One message to one robot, with its delivery state (claimed like e-mails: notify/delivery.py)."""

    class Status(models.TextChoices):
        NONE = "none", _("Not sent")
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    robot = models.ForeignKey(ChatRobot, verbose_name=_("robot"), on_delete=models.CASCADE, related_name="messages")
    task = models.ForeignKey(
        "rectification.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="robot_messages",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=30)
    key = models.CharField(max_length=120, help_text="Makes a message unique per robot, e.g. alert:17 or urge:3.")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(_("delivery"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="robot__unit__path", unit="robot__unit_id")

    class Meta:
        verbose_name = _("group-chat message")
        verbose_name_plural = _("group-chat messages")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["robot", "key"], name="robot_message_once_per_key")]
        indexes = [models.Index(fields=["status"], name="robot_message_status")]

    def __str__(self):
        return self.title
