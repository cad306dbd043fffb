from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope


class CoordinationRequestQuerySet(RestrictedQuerySet):
    """``visible_to(user)``: requests sent from, or to, a unit the user sees, and those the user asked."""


class CoordinationRequest(models.Model):
    """需上级部门协调: a unit asks an upper department for help with a task."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a reply")
        ANSWERED = "answered", _("Answered")
        RESOLVED = "resolved", _("Resolved")

    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="coordination_requests")
    from_unit = models.ForeignKey("campaign.Unit", verbose_name=_("asking unit"), on_delete=models.PROTECT, related_name="coordination_sent")
    to_unit = models.ForeignKey("campaign.Unit", verbose_name=_("department asked"), on_delete=models.PROTECT, related_name="coordination_received")
    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("what is needed"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = CoordinationRequestQuerySet.as_manager()
    unit_scope = UnitScope(
        path="from_unit__path", also_visible=("to_unit__path",), unit="from_unit_id", author="created_by"
    )

    class Meta:
        verbose_name = _("coordination request")
        verbose_name_plural = _("coordination requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.subject

    @property
    def age_days(self):
        end = self.resolved_at or timezone.now()
        return (end - self.created_at).days


class CoordinationReply(models.Model):
    request = models.ForeignKey(CoordinationRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("reply"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coordination reply")
        verbose_name_plural = _("coordination replies")
        ordering = ["created_at", "pk"]
