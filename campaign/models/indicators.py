from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.permissions import RestrictedQuerySet, UnitScope


class Rollup(models.TextChoices):
    SUM = "sum", _("Sum")
    MAX = "max", _("Maximum")
    AVG = "avg", _("Average")


class Indicator(models.Model):
    """A figure the report quotes (funds, venues, 三员 …), defined per campaign."""

    campaign = models.ForeignKey(
        "campaign.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    measure = models.CharField(_("unit of measure"), max_length=20)
    rollup = models.CharField(_("roll-up"), max_length=10, choices=Rollup.choices, default=Rollup.SUM)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    needs_evidence = models.BooleanField(
        _("needs evidence"), default=False, help_text=_("Units attach a document proving the figure they report.")
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["campaign", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="indicator_code_unique")]

    def __str__(self):
        return f"{self.name} ({self.measure})"


class IndicatorValueQuerySet(RestrictedQuerySet):
    def rolled_up(self, unit, batch=None):
        """Each indicator's value over ``unit``'s subtree (see :meth:`rollup`)."""
        values = self.within(unit)
        if batch is not None:
            values = values.filter(batch=batch)
        return values.rollup()

    def rollup(self):
        """Each indicator's value over the rows of this queryset, in two queries.

        Returns a list of (indicator, value) in the indicators' order, each value
        rolled up as its indicator says (sum, maximum or average); indicators
        with no value among the rows are left out.
        """
        rows = self.values("indicator").annotate(
            total=models.Sum("value"), biggest=models.Max("value"), mean=models.Avg("value")
        )
        by_indicator = {row["indicator"]: row for row in rows}
        if not by_indicator:
            return []
        result = []
        for indicator in Indicator.objects.filter(pk__in=by_indicator).order_by("order", "code"):
            row = by_indicator[indicator.pk]
            value = {"sum": row["total"], "max": row["biggest"], "avg": row["mean"]}[indicator.rollup]
            result.append((indicator, Decimal(value).quantize(Decimal("0.01"))))
        return result


def evidence_path(instance, filename):
    """Evidence of reported figures, under a name nobody can guess."""
    import uuid
    from pathlib import PurePath

    return f"figures/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values")
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="indicator_values")
    batch = models.ForeignKey(
        "campaign.Batch", verbose_name=_("batch"), on_delete=models.CASCADE, related_name="indicator_values"
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, max_length=300, blank=True)
    evidence_name = models.CharField(_("file name"), max_length=255, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    evidence_size = models.PositiveBigIntegerField(default=0)

    objects = IndicatorValueQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit", "batch"], name="indicator_value_unique")
        ]

    def __str__(self):
        return f"{self.indicator.name} · {self.unit} · {self.value}"
