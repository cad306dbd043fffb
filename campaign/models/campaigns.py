from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.permissions import RestrictedQuerySet, UnitScope


class CampaignQuerySet(RestrictedQuerySet):
    pass


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    issuing_unit = models.ForeignKey(
        "campaign.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="campaigns"
    )
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()
    # Seen from below too: the city's campaign reaches every community of the city.
    unit_scope = UnitScope(path="issuing_unit__path", unit="issuing_unit_id", seen_from_below="issuing_unit_id")

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaign:campaign_detail", args=[self.pk])


class Batch(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    scope_note = models.CharField(_("who takes part"), max_length=300, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    # Whether this batch's units run the 五查五看 checklist in their look-back (the second
    # batch in the speech); elsewhere the checklist reads "not applicable".
    five_checks = models.BooleanField(_("units run the five checks (五查五看)"), default=False)
    report_due = models.DateField(_("figures due"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["campaign", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="batch_number_unique")]

    def __str__(self):
        return f"{self.campaign.name} · {self.name}"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})


class PhaseKind(models.TextChoices):
    MOBILISE = "mobilise", _("Study and mobilisation")
    ANALYSE = "analyse", _("Analysis and evaluation")
    RECTIFY = "rectify", _("Rectification and improvement")
    LOOK_BACK = "look_back", _("Looking back")


class Phase(models.Model):
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("kind"), max_length=20, choices=PhaseKind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["batch", "order", "start_date"]
        constraints = [models.UniqueConstraint(fields=["batch", "kind"], name="phase_kind_unique_in_batch")]

    def __str__(self):
        return f"{self.batch.name} · {self.get_kind_display()}"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})

    def is_current(self, today):
        return self.start_date <= today <= self.end_date


LOOK_BACK_CHECKS = [
    ("check_plan", _("Rectification plan drawn up and completed")),
    ("check_measures", _("Rectification measures carried out")),
    ("check_mechanisms", _("Long-term mechanisms set up and applied")),
    ("check_coverage", _("Coverage of members, including make-up classes")),
    ("check_obligations", _("Members not meeting their obligations dealt with")),
]


class ParticipationQuerySet(RestrictedQuerySet):
    def totals(self):
        return self.aggregate(
            members_expected=models.Sum("members_expected", default=0),
            members_participated=models.Sum("members_participated", default=0),
            makeup_members=models.Sum("makeup_members", default=0),
            members_transformed=models.Sum("members_transformed", default=0),
            members_handled=models.Sum("members_handled", default=0),
            units=models.Count("id"),
        )


class Participation(models.Model):
    """A unit taking part in a batch, with its figures and the look-back checklist (五查五看)."""

    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="participations")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="participations")
    members_expected = models.PositiveIntegerField(_("members expected"), default=0)
    members_participated = models.PositiveIntegerField(_("members who took part"), default=0)
    makeup_members = models.PositiveIntegerField(_("members in make-up classes"), default=0)
    members_transformed = models.PositiveIntegerField(_("members educated and transformed"), default=0)
    members_handled = models.PositiveIntegerField(_("members handled organisationally"), default=0)
    check_plan = models.BooleanField(LOOK_BACK_CHECKS[0][1], default=False)
    check_measures = models.BooleanField(LOOK_BACK_CHECKS[1][1], default=False)
    check_mechanisms = models.BooleanField(LOOK_BACK_CHECKS[2][1], default=False)
    check_coverage = models.BooleanField(LOOK_BACK_CHECKS[3][1], default=False)
    check_obligations = models.BooleanField(LOOK_BACK_CHECKS[4][1], default=False)
    look_back_note = models.TextField(_("look-back note"), blank=True)

    objects = ParticipationQuerySet.as_manager()
    history = HistoricalRecords()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["batch", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "batch"], name="participation_unique")]

    def __str__(self):
        return f"{self.unit} · {self.batch.name}"

    def clean(self):
        if self.members_participated > self.members_expected:
            raise ValidationError(
                {"members_participated": _("More members took part than were expected; check both figures.")}
            )

    @property
    def checks_done(self):
        """How many of the five checks are done; None where the batch does not run them."""
        if not self.batch.five_checks:
            return None
        return sum(1 for field, _label in LOOK_BACK_CHECKS if getattr(self, field))

    @property
    def checklist(self):
        return [(label, getattr(self, field)) for field, label in LOOK_BACK_CHECKS]

    @property
    def participation_rate(self):
        if not self.members_expected:
            return None
        return round(100 * self.members_participated / self.members_expected, 1)


class FigureReport(models.Model):
    """A unit's report of its figures for a batch (participation, 五查五看, indicators): who
    reported them and when, and whether the unit above returned them (with why)."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        RETURNED = "returned", _("Returned")

    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="figure_reports")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="figure_reports")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("returned by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id", requester="reported_by")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("figures report")
        verbose_name_plural = _("figures reports")
        constraints = [models.UniqueConstraint(fields=["unit", "batch"], name="one_figure_report_per_unit_and_batch")]

    def __str__(self):
        return f"{self.unit} · {self.batch.name}"
