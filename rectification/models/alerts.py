"""The overdue engine's rows: policies, alerts, notifications and job runs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.links import absolute
from campaign.permissions import RestrictedQuerySet, UnitScope
from rectification import policy
from rectification.choices import Term, WarningLevel


class WarningPolicyQuerySet(models.QuerySet):
    def effective(self, batch_id, term):
        """The ``policy.Policy`` that applies to a task of ``batch_id`` and
        ``term``: its campaign's, or the default (one query)."""
        stored = self.filter(campaign__batches=batch_id, term=term).first() if batch_id else None
        return policy.for_term(term, stored)


class WarningPolicy(models.Model):
    """A campaign's warning window and escalation thresholds for one term; the
    rule that uses them, their defaults and their limits are rectification.policy."""

    campaign = models.ForeignKey(
        "campaign.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="warning_policies"
    )
    term = models.CharField(_("term"), max_length=20, choices=Term.choices)
    window_days = models.PositiveSmallIntegerField(_("warning window (days before due)"))
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate when overdue by more than (days)"), default=policy.ESCALATE_AFTER_DAYS
    )
    explanation_grace_days = models.PositiveSmallIntegerField(
        _("escalate when unexplained for more than (days)"), default=policy.EXPLANATION_GRACE_DAYS
    )
    reminder_days = models.PositiveSmallIntegerField(_("remind this many days before due"), default=0)

    objects = WarningPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("warning policy")
        verbose_name_plural = _("warning policies")
        constraints = [models.UniqueConstraint(fields=["campaign", "term"], name="warning_policy_unique")]

    def __str__(self):
        return f"{self.campaign} · {self.get_term_display()}"

    def clean(self):
        policy.validate({name: getattr(self, name) for name in policy.LIMITS})


class Alert(models.Model):
    """One row per (task, level, due date): the sweep's record of a level change."""

    # No index of its own: the unique (task, level, due_date) index starts with the task.
    task = models.ForeignKey(
        "rectification.Task", verbose_name=_("task"), on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=WarningLevel.choices)
    due_date = models.DateField(_("due date"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("notifications made at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id")

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["task", "level", "due_date"], name="alert_once_per_level_and_due")]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(processed_at__isnull=True), name="alert_unprocessed")]


class Notification(models.Model):
    """An in-app message to one user, with its e-mail delivery state."""

    class Email(models.TextChoices):
        NONE = "none", _("No e-mail")
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications")
    alert = models.ForeignKey(Alert, verbose_name=_("alert"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30)
    key = models.CharField(max_length=120, help_text="Makes a notification unique per user, e.g. alert:17 or digest:2026-11-28.")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(_("e-mail"), max_length=10, choices=Email.choices, default=Email.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")]
        indexes = [
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
            models.Index(fields=["email_status"], name="notification_email_status"),
        ]

    def __str__(self):
        return self.title

    @property
    def link(self):
        """The notification's link as a full address (SITE_URL): what every channel shows."""
        return absolute(self.url)


class JobRun(models.Model):
    """When a background job last ran, how long it took and what it changed."""

    name = models.CharField(_("job"), max_length=100)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["name", "-started_at"], name="jobrun_latest_per_name")]


class WorkerHeartbeat(models.Model):
    """A Celery worker's sign of life, written every few seconds by the worker
    itself (config.celery.HeartbeatStep) and removed when it stops; the health
    check reads the newest."""

    hostname = models.CharField(_("worker"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return self.hostname
