"""Totals of participation and indicators over each unit's subtree, by batch: see campaign.rollups."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ParticipationRollup(models.Model):
    unit = models.ForeignKey("campaign.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    batch = models.ForeignKey("campaign.Batch", on_delete=models.CASCADE, related_name="+")
    units = models.BigIntegerField(default=0)
    members_expected = models.BigIntegerField(default=0)
    members_participated = models.BigIntegerField(default=0)
    makeup_members = models.BigIntegerField(default=0)
    members_transformed = models.BigIntegerField(default=0)
    members_handled = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("participation roll-up")
        verbose_name_plural = _("participation roll-ups")
        constraints = [models.UniqueConstraint(fields=["unit", "batch"], name="participation_rollup_unique")]


class IndicatorRollup(models.Model):
    unit = models.ForeignKey("campaign.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    batch = models.ForeignKey("campaign.Batch", on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey("campaign.Indicator", on_delete=models.CASCADE, related_name="+")
    total = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    count = models.BigIntegerField(default=0)
    maximum = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("indicator roll-up")
        verbose_name_plural = _("indicator roll-ups")
        constraints = [models.UniqueConstraint(fields=["unit", "batch", "indicator"], name="indicator_rollup_unique")]
