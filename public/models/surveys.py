"""Satisfaction surveys (满意度测评): rounds, the units rated, tokens and answers."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope

from .opinions import RECEIPT_ALPHABET

COMMENT_MAX = 300


def new_key(length):
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(length))


class SurveyMode(models.TextChoices):
    TOKENS = "tokens", _("One-time codes on printed slips")
    OPEN = "open", _("Open link (one answer per device, a limit per address)")


class SurveyScope(models.TextChoices):
    UNITS = "units", _("The units' rectification as a whole")
    TASKS = "tasks", _("The units' closed tasks")


class Answer(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    FAIRLY = "fairly", _("Fairly satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class SurveyRound(models.Model):
    """A round of ratings a supervisor opens for some units of a campaign."""

    campaign = models.ForeignKey(
        "campaign.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="survey_rounds"
    )
    title = models.CharField(_("title"), max_length=200)
    mode = models.CharField(_("how the public answers"), max_length=10, choices=SurveyMode.choices)
    scope = models.CharField(_("what is rated"), max_length=10, choices=SurveyScope.choices, default=SurveyScope.UNITS)
    per_address_limit = models.PositiveSmallIntegerField(
        _("answers per address and unit (open link)"),
        default=30,
        help_text=_("Offices and villages often share one address: keep room for them."),
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closes_on = models.DateField(_("closes on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    threshold = models.DecimalField(_("threshold applied %"), max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-opened_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.closed_at is None


class SurveyTargetQuerySet(RestrictedQuerySet):
    pass


class SurveyTarget(models.Model):
    """One unit rated in a round, with its own link (and QR code), and its result once closed."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="survey_targets")
    key = models.CharField(max_length=12, unique=True, editable=False)
    tasks = models.ManyToManyField("rectification.Task", verbose_name=_("closed tasks rated"), blank=True, related_name="+")
    # frozen when the round closes
    answers = models.PositiveIntegerField(_("answers"), null=True, blank=True)
    satisfied = models.PositiveIntegerField(null=True, blank=True)
    fairly = models.PositiveIntegerField(null=True, blank=True)
    dissatisfied = models.PositiveIntegerField(null=True, blank=True)
    below_threshold = models.BooleanField(_("under the threshold"), default=False)
    reopened_tasks = models.ManyToManyField("rectification.Task", blank=True, related_name="+")

    objects = SurveyTargetQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("unit rated")
        verbose_name_plural = _("units rated")
        ordering = ["round", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="survey_target_unique_unit")]

    def __str__(self):
        return f"{self.round} · {self.unit}"

    def save(self, *args, **kwargs):
        if not self.key:
            self.key = new_key(12)
        super().save(*args, **kwargs)


class SurveyToken(models.Model):
    """A one-time code printed on a slip: one answer, once."""

    target = models.ForeignKey(SurveyTarget, on_delete=models.CASCADE, related_name="tokens")
    code = models.CharField(max_length=10, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target", "pk"]

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = new_key(10)
        super().save(*args, **kwargs)


class SurveyResponse(models.Model):
    """One answer. Anonymous: the address and the device are kept only as keyed hashes, to count them."""

    target = models.ForeignKey(SurveyTarget, on_delete=models.CASCADE, related_name="responses")
    answer = models.CharField(_("answer"), max_length=20, choices=Answer.choices)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX, blank=True)
    token = models.OneToOneField(SurveyToken, null=True, blank=True, on_delete=models.PROTECT, related_name="response")
    address_key = models.CharField(max_length=32, blank=True, db_index=True)
    device_key = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "device_key"], condition=~models.Q(device_key=""), name="one_answer_per_device"
            )
        ]
