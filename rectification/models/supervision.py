from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope
from rectification.choices import TaskStatus


class SpotCheckQuerySet(RestrictedQuerySet):
    def restrict(self, user, action="view"):
        """Spot checks that checked a unit where the user may do ``action`` (one row each)."""
        return self.filter(pk__in=super().restrict(user, action).values("pk"))


class SpotCheck(models.Model):
    """抽查 by a supervision group; a failed finding reopens its task."""

    group = models.ForeignKey(
        "campaign.SupervisionGroup", verbose_name=_("supervision group"), on_delete=models.PROTECT, related_name="spot_checks"
    )
    checked_on = models.DateField(_("date of the check"))
    units = models.ManyToManyField("campaign.Unit", verbose_name=_("units checked"), blank=True, related_name="spot_checks")
    summary = models.TextField(_("summary"), blank=True)
    # A random draw records its size and seed: the same seed over the same tasks draws the same sample.
    sample_size = models.PositiveIntegerField(_("sample size"), null=True, blank=True)
    seed = models.BigIntegerField(_("random seed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = SpotCheckQuerySet.as_manager()
    unit_scope = UnitScope(path="units__path")

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self):
        return f"{self.group} · {self.checked_on}"


class SpotCheckFinding(models.Model):
    spot_check = models.ForeignKey(SpotCheck, verbose_name=_("spot check"), on_delete=models.CASCADE, related_name="findings")
    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="spot_check_findings")
    passed = models.BooleanField(_("passed"))
    note = models.TextField(_("finding"), blank=True)
    # A failed finding returns the task (退回重新整改) with the due date the group sets.
    new_due_date = models.DateField(_("new due date"), null=True, blank=True)
    status_checked = models.CharField(_("state when checked"), max_length=30, blank=True, choices=TaskStatus.choices)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id")

    class Meta:
        verbose_name = _("spot check finding")
        verbose_name_plural = _("spot check findings")
        constraints = [models.UniqueConstraint(fields=["spot_check", "task"], name="one_finding_per_task_and_check")]


class SpotCheckUnitFinding(models.Model):
    """A finding on a unit's own work: its 回头看 and rectification work as a whole."""

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name=_("spot check"), on_delete=models.CASCADE, related_name="unit_findings"
    )
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField(_("passed"))
    note = models.TextField(_("finding"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("spot check finding on a unit")
        verbose_name_plural = _("spot check findings on units")
        constraints = [models.UniqueConstraint(fields=["spot_check", "unit"], name="one_unit_finding_per_check")]


class AccountabilityMeasure(models.TextChoices):
    TALK = "talk", _("Admonishing talk")
    CIRCULAR = "circular", _("Circulated criticism")
    WARNING = "warning", _("Formal warning")
    ORGANISATIONAL = "organisational", _("Organisational handling")
    OTHER = "other", _("Other")


def document_path(instance, filename):
    """Decision documents beside the evidence, under a name nobody can guess."""
    import uuid
    from pathlib import PurePath

    return f"accountability/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class AccountabilityRecord(models.Model):
    """问责: a measure taken against a unit or a person."""

    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="accountability_records")
    person_name = models.CharField(_("person"), max_length=100, blank=True)
    person_post = models.CharField(_("post"), max_length=100, blank=True)
    measure = models.CharField(_("measure"), max_length=20, choices=AccountabilityMeasure.choices)
    tasks = models.ManyToManyField("rectification.Task", verbose_name=_("tasks"), blank=True, related_name="accountability_records")
    decided_on = models.DateField(_("date decided"))
    # The body that decided (a unit: the 市委, its 纪委 or 组织部, a district committee), never a
    # supervision group; ``decided_by`` keeps the name as it was written (records made before).
    deciding_unit = models.ForeignKey(
        "campaign.Unit", verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.CharField(_("decided by"), max_length=200, blank=True)
    document = models.FileField(_("decision document"), upload_to=document_path, max_length=300, blank=True)
    document_name = models.CharField(_("file name"), max_length=255, blank=True)
    document_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveBigIntegerField(default=0)
    note = models.TextField(_("details"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("accountability record")
        verbose_name_plural = _("accountability records")
        ordering = ["-decided_on", "-pk"]

    def __str__(self):
        return f"{self.unit} · {self.get_measure_display()}"

    @property
    def deciding_body(self):
        """The name of the deciding body: its unit's name, or the name written in older records."""
        return self.deciding_unit.name if self.deciding_unit_id else self.decided_by
