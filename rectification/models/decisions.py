"""Requests and the decisions on them; every decision is a row, never an edit."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Verification(models.Model):
    """申请销号: staff ask to close a task; a supervisor approves it or returns it (退回)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Awaiting verification")
        APPROVED = "approved", _("Closed")
        RETURNED = "returned", _("Returned")

    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="verifications")
    note = models.TextField(_("summary of the work done"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id", requester="requested_by")

    class Meta:
        verbose_name = _("verification request")
        verbose_name_plural = _("verification requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=models.Q(outcome="pending"), name="one_pending_verification_per_task"
            )
        ]


class ExplanationReason(models.TextChoices):
    FUNDS = "funds", _("Lack of funds")
    POLICY = "policy", _("Policy constraints")
    COORDINATION = "coordination", _("Needs coordination")
    OBJECTIVE = "objective", _("Objective conditions")
    SUBJECTIVE = "subjective", _("Subjective delay")
    OTHER = "other", _("Other")


class Explanation(models.Model):
    """说明原因: why an overdue task is late."""

    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="explanations")
    reason_code = models.CharField(_("reason"), max_length=20, choices=ExplanationReason.choices)
    text = models.TextField(_("explanation"))
    due_date = models.DateField(_("due date explained"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("given at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    # 认可 (True) or 不予认可（要求重新说明）(False); None while nobody has reviewed it.
    accepted = models.BooleanField(_("accepted"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id", requester="author")

    class Meta:
        verbose_name = _("overdue explanation")
        verbose_name_plural = _("overdue explanations")
        ordering = ["-created_at", "-pk"]


class ExtensionRequest(models.Model):
    """延期申请: a new due date asked for, approved or refused by a supervisor."""

    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="extension_requests")
    previous_due_date = models.DateField(_("due date before"))
    requested_due_date = models.DateField(_("new due date asked for"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id", requester="requested_by")

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=models.Q(decision="pending"), name="one_pending_extension_per_task"
            )
        ]


class Urge(models.Model):
    """催办: a supervisor urges a unit to act on a task."""

    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="urges")
    message = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    reply_by = models.DateField(_("reply by"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id")

    class Meta:
        verbose_name = _("urge")
        verbose_name_plural = _("urges")
        ordering = ["-created_at", "-pk"]
