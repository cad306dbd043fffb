"""领导批示: a leader's instruction on a unit (or one of its tasks), and the unit's
answers saying what it did (落实情况). Issue 11."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope


class Instruction(models.Model):
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="instructions")
    task = models.ForeignKey(
        "rectification.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="instructions",
    )  # fmt: skip
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("instruction"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id", author="author")

    class Meta:
        verbose_name = _("leader's instruction")
        verbose_name_plural = _("leaders' instructions")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.text[:50]

    def get_absolute_url(self):
        return reverse("rectification:instruction_detail", args=[self.pk])


class InstructionReply(models.Model):
    instruction = models.ForeignKey(Instruction, verbose_name=_("instruction"), on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("what was done"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="instruction__unit__path", unit="instruction__unit_id")

    class Meta:
        verbose_name = _("answer to an instruction")
        verbose_name_plural = _("answers to instructions")
        ordering = ["created_at", "pk"]
