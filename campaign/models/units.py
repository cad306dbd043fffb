"""The tree of party units, kept as a materialized path.

`path` is the chain of ids from the root, each zero-padded to the same width,
e.g. ``/0000001/0000004/0000017/``. A unit's subtree is
``path__startswith=unit.path``: one indexed prefix filter, on SQLite and on
PostgreSQL (where Django adds a ``varchar_pattern_ops`` index for it). The
padding makes ordering by path a depth-first walk with siblings in the order
they were set up (an import keeps the order of the office's own list).
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope
from campaign.signals import unit_moved

PATH_STEP_WIDTH = 7  # ids up to 9,999,999 units


def path_step(pk):
    return f"{pk:0{PATH_STEP_WIDTH}d}/"


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Provincial committee")
    CITY = "city", _("City committee")
    DISTRICT = "district", _("District committee")
    STREET = "street", _("Street/town working committee")
    COMMUNITY = "community", _("Community branch")
    VILLAGE = "village", _("Village branch")
    DEPARTMENT = "department", _("Department/organ")
    ENTERPRISE = "enterprise", _("Non-public enterprise")
    INSTITUTION = "institution", _("Institution")


class OrgType(models.TextChoices):
    """What kind of party organisation a unit is (党组织类别), beside the kind of place it is."""

    COMMITTEE = "committee", _("Party committee")
    WORKING_COMMITTEE = "working_committee", _("Party working committee")
    LEADING_GROUP = "leading_group", _("Leading party group")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    BRANCH = "branch", _("Party branch")
    JOINT_BRANCH = "joint_branch", _("Joint party branch")


class UnitQuerySet(RestrictedQuerySet):
    def subtree(self, unit):
        """The unit and everything below it."""
        return self.within(unit)

    def with_child_count(self):
        return self.annotate(child_count=models.Count("children"))


class Unit(models.Model):
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    org_type = models.CharField(
        _("organisation type"), max_length=20, choices=OrgType.choices, blank=True, default="", db_default=""
    )
    code = models.CharField(_("code"), max_length=50, blank=True)
    leader_name = models.CharField(_("leader (secretary)"), max_length=100, blank=True)
    member_count = models.PositiveIntegerField(_("party members"), default=0)
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    objects = UnitQuerySet.as_manager()
    unit_scope = UnitScope(path="path", unit="pk")

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_name_unique_under_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(parent__isnull=True), name="unit_root_name_unique"
            ),
            models.UniqueConstraint(fields=["code"], condition=~models.Q(code=""), name="unit_code_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaign:unit_detail", args=[self.pk])

    @property
    def display_name(self):
        return self.short_name or self.name

    def is_descendant_of(self, other):
        return self.path.startswith(other.path) and self.pk != other.pk

    def ancestor_ids(self):
        """Ids from the root down to and including this unit, read off the path."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def ancestors(self):
        ids = self.ancestor_ids()[:-1]
        return Unit.objects.filter(pk__in=ids).order_by("depth")

    def clean(self):
        super().clean()
        if self.parent_id and self.pk:
            parent = self.parent
            if parent.pk == self.pk or (self.path and parent.path.startswith(self.path)):
                raise ValidationError({"parent": _("A unit cannot be placed under itself or one of its own units.")})

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self.pk is None:
                super().save(*args, **kwargs)
                self._set_path()
                Unit.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
                return
            old_path = Unit.objects.filter(pk=self.pk).values_list("path", flat=True).first()
            self.clean()
            self._set_path()
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                self._move_descendants(old_path)
                unit_moved.send(sender=Unit, old_path=old_path, new_path=self.path)

    def _set_path(self):
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{path_step(self.pk)}"
        self.depth = self.path.count("/") - 2

    def _move_descendants(self, old_path):
        """One UPDATE rewrites the prefix of every unit below a moved unit."""
        depth_change = self.depth - (old_path.count("/") - 2)
        Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
            path=Concat(Value(self.path), Substr("path", len(old_path) + 1), output_field=models.CharField()),
            depth=F("depth") + depth_change,
        )


