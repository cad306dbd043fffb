from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "staff", _("Office staff")
    SUPERVISOR = "supervisor", _("Supervisor")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class Membership(models.Model):
    """A user works for a unit in a role; the unit's subtree is what they see."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class SupervisionGroup(models.Model):
    """督导组: supervisors who watch over some units' subtrees."""

    campaign = models.ForeignKey(
        "campaign.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="supervision_groups"
    )
    name = models.CharField(_("name"), max_length=100)
    organising_unit = models.ForeignKey(
        "campaign.Unit", verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="organised_groups"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("group leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_supervision_groups",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="supervision_groups"
    )
    units = models.ManyToManyField(
        "campaign.Unit", verbose_name=_("supervised units"), blank=True, related_name="supervision_groups"
    )

    class Meta:
        verbose_name = _("supervision group")
        verbose_name_plural = _("supervision groups")
        ordering = ["campaign", "name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="supervision_group_name_unique")]

    def __str__(self):
        return self.name
