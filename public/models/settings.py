from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicSettings(models.Model):
    """What a campaign decides about the public's side; defaults until the office changes them."""

    campaign = models.OneToOneField(
        "campaign.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="public_settings"
    )
    satisfaction_threshold = models.DecimalField(
        _("satisfaction threshold %"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("90.0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Units whose satisfaction falls under it rectify again."),
    )
    contact_retention_days = models.PositiveIntegerField(
        _("days contact details are kept after the campaign ends"), default=90
    )
    opinion_yellow_days = models.PositiveSmallIntegerField(_("an untreated opinion turns yellow after (days)"), default=3)
    opinion_red_days = models.PositiveSmallIntegerField(_("an untreated opinion turns red after (days)"), default=7)
    comment_period_days = models.PositiveSmallIntegerField(_("default comment period of a published plan (days)"), default=7)

    class Meta:
        verbose_name = _("public settings")
        verbose_name_plural = _("public settings")

    def __str__(self):
        return str(self.campaign)

    @classmethod
    def of(cls, campaign):
        """The campaign's settings, or the defaults (unsaved) when it has none yet."""
        campaign_id = getattr(campaign, "pk", campaign)
        found = cls.objects.filter(campaign_id=campaign_id).first()
        return found or cls(campaign_id=campaign_id)
