"""What the reports keep: the daily snapshot of every unit's figures (issue 11).

A :class:`UnitSnapshot` is the roll-up of a unit's whole subtree (every batch)
as it stood at the end of one day (Asia/Shanghai): the counters of
``rectification.rollups.Figures`` plus the overdue ages. ``reports.snapshots``
writes them (the daily job, and a rebuild of a past day from the tasks'
history); the dashboard reads them for "since yesterday / last week", for its
as-of date and for its trend charts.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rectification.models.rollups import Counters


class UnitSnapshot(Counters):
    unit = models.ForeignKey("campaign.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(_("day"))
    age_1_7 = models.BigIntegerField(default=0)
    age_8_30 = models.BigIntegerField(default=0)
    age_31_90 = models.BigIntegerField(default=0)
    age_91 = models.BigIntegerField(default=0)
    oldest_overdue = models.DateField(null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), auto_now=True)

    class Meta:
        verbose_name = _("daily snapshot")
        verbose_name_plural = _("daily snapshots")
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="unit_snapshot_once_a_day")]
        indexes = [models.Index(fields=["day"], name="unit_snapshot_day")]
