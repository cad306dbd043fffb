"""What the reports keep: the narrative of a summary (the leader's own words, with
their history), every report run with its parameters, figures and file (issue 12),
and the daily snapshot of every unit's figures (issue 11).

A :class:`UnitSnapshot` is the roll-up of a unit's whole subtree (every batch)
as it stood at the end of one day (Asia/Shanghai): the counters of
``rectification.rollups.Figures`` plus the overdue ages. ``reports.snapshots``
writes them (the daily job, and a rebuild of a past day from the tasks'
history); the dashboard reads them for "since yesterday / last week", for its
as-of date and for its trend charts.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from campaign.permissions import RestrictedQuerySet, UnitScope
from rectification.models.rollups import Counters


class ReportKind(models.TextChoices):
    SUMMARY = "summary", _("Summary report")
    LEDGER = "ledger", _("Rectification ledger")
    CIRCULAR = "circular", _("Overdue circular")


class Narrative(models.Model):
    """One paragraph (or heading) of a summary written by staff, per scope and batch."""

    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(
        "campaign.Batch", verbose_name=_("batch"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("paragraph"), max_length=40)
    text = models.TextField(_("text"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("edited by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("edited at"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()
    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("report paragraph")
        verbose_name_plural = _("report paragraphs")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "batch", "key"], nulls_distinct=False, name="narrative_unique_per_scope"
            )
        ]

    def __str__(self):
        return f"{self.unit} · {self.key}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", pgettext_lazy("report status", "Failed")


class ReportRun(models.Model):
    """One report asked for (or made when a phase ended): its parameters, its progress,
    the figures it printed and the PDF, stored through Django's storage."""

    kind = models.CharField(_("report"), max_length=20, choices=ReportKind.choices)
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        "campaign.Batch", verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    number = models.CharField(_("document number"), max_length=100, blank=True)
    key = models.CharField(max_length=64, db_index=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.BooleanField(_("snapshot at the end of a phase"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    error = models.TextField(_("why it failed"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.unit} · {self.as_of}"

    @property
    def finished(self):
        return self.status in (RunStatus.DONE, RunStatus.FAILED)

    def filename(self):
        scope = self.unit.short_name or self.unit.name
        batch = self.batch.name if self.batch else ""
        return f"{scope}{batch}{self.get_kind_display()}-{self.as_of:%Y%m%d}.pdf"


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
