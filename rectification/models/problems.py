from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.permissions import RestrictedQuerySet, UnitScope


class ProblemSource(models.TextChoices):
    PUBLIC = "public", _("Public opinion")
    SELF = "self", _("Self-inspection")
    SUPERVISION = "supervision", _("Supervision finding")
    ABOVE = "above", _("Feedback from above")
    CROSS_BATCH = "cross_batch", _("Another batch")


class ProblemCategory(models.TextChoices):
    LIVELIHOOD = "livelihood", _("People's livelihood")
    CONDUCT = "conduct", _("Work style and conduct")
    ORGANISATION = "organisation", _("Party organisation building")
    DEVELOPMENT = "development", _("Development environment")
    SERVICE = "service", _("Public service")
    OTHER = "other", _("Other")


class ProblemQuerySet(RestrictedQuerySet):
    """``visible_to(user)``: problems shown in, or rooted in, a unit the user sees."""


class Problem(models.Model):
    """查摆问题: a problem found among the public, by self-inspection or by supervisors."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=ProblemSource.choices)
    category = models.CharField(_("category"), max_length=20, choices=ProblemCategory.choices, default=ProblemCategory.OTHER)
    unit = models.ForeignKey(
        "campaign.Unit", verbose_name=_("unit where it showed"), on_delete=models.PROTECT, related_name="problems"
    )
    root_unit = models.ForeignKey(
        "campaign.Unit",
        verbose_name=_("unit where its root lies"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rooted_problems",
        help_text=_("Often an upper department, for problems that show locally but must be solved above."),
    )
    batch = models.ForeignKey("campaign.Batch", verbose_name=_("batch"), on_delete=models.PROTECT, related_name="problems")
    related_problem = models.ForeignKey(
        "self",
        verbose_name=_("related problem of another batch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="related_problems",
    )
    found_on = models.DateField(_("date found"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ProblemQuerySet.as_manager()
    # Seen where it showed, where its root lies, and by whoever sees one of its tasks.
    unit_scope = UnitScope(path="unit__path", also_visible=("root_unit__path",), unit="unit_id", seen_through="tasks")

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-found_on", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("rectification:problem_detail", args=[self.pk])

    @property
    def is_cross_batch(self):
        return self.source == ProblemSource.CROSS_BATCH or self.related_problem_id is not None
