"""Rectification plans (整改方案): drafted by a unit, reviewed by the unit above, published."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope

PREAMBLE_MAX = 8000


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Being drafted")
    SUBMITTED = "submitted", _("Under review")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


class PlanQuerySet(RestrictedQuerySet):
    def published(self):
        return self.filter(status=PlanStatus.PUBLISHED)


class RectificationPlan(models.Model):
    """A participating unit's plan for a batch: its preamble plus its problems and tasks."""

    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="plans")
    batch = models.ForeignKey("campaign.Batch", verbose_name=_("batch"), on_delete=models.PROTECT, related_name="plans")
    preamble = models.TextField(_("preamble"), max_length=PREAMBLE_MAX, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    comment_until = models.DateField(_("public comments until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PlanQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id", requester="submitted_by")

    class Meta:
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")
        ordering = ["batch", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "batch"], name="plan_unique_per_unit_batch")]

    def __str__(self):
        return _("Rectification plan of %(unit)s") % {"unit": self.unit.name}

    @property
    def title(self):
        return str(self)

    def in_comment_period(self, today=None):
        today = today or timezone.localdate()
        return self.status == PlanStatus.PUBLISHED and self.comment_until is not None and today <= self.comment_until

    def approved_version(self):
        return self.versions.filter(outcome=PlanVersion.Outcome.APPROVED).order_by("-number").first()


class PlanVersion(models.Model):
    """What was submitted for review, frozen: the preamble and the problems and tasks of the day,
    and the decision on it. Every version is kept."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Under review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    preamble = models.TextField(_("preamble"), blank=True)
    # [{"title", "description", "source", "tasks": [{"title", "measures", "term", "due_date", "leader_name",
    #   "person_name", "progress", "status"}]}]: the plan as it read when submitted.
    content = models.JSONField(_("problems and tasks"), default=list)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique"),
            models.UniqueConstraint(fields=["plan"], condition=models.Q(outcome="pending"), name="one_pending_plan_version"),
        ]
