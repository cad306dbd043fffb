"""Opinions the public gives (征求意见), and what became of each."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope

# No 0/O, 1/I/L: a receipt code is read aloud on the phone and typed from paper.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 10
TEXT_MAX = 2000
NAME_MAX = 50
PHONE_MAX = 30


def new_receipt_code():
    """Ten characters, about 49 bits: not guessable within the status page's rate limit."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def format_receipt(code):
    return f"{code[:5]}-{code[5:]}" if len(code) == RECEIPT_LENGTH else code


def normalise_receipt(text):
    """What someone typed (lower case, spaces, a dash) back to the stored code."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


class OpinionStatus(models.TextChoices):
    NEW = "new", _("Being handled")
    ACCEPTED = "accepted", _("Accepted as a problem to rectify")
    MERGED = "merged", _("Merged into a problem already being rectified")
    DECLINED = "declined", _("Declined")


class OpinionLevel(models.IntegerChoices):
    """How long an untreated opinion has waited, coloured like a task's warning."""

    NONE = 0, _("Recent")
    YELLOW = 1, _("Waiting long")
    RED = 2, _("Waiting too long")


class OpinionQuerySet(RestrictedQuerySet):
    def untreated(self):
        return self.filter(status=OpinionStatus.NEW)


class Opinion(models.Model):
    """An opinion from the public on a unit (or on its published plan), with a receipt code."""

    campaign = models.ForeignKey(
        "campaign.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="opinions"
    )
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit concerned"), on_delete=models.PROTECT, related_name="opinions")
    plan = models.ForeignKey(
        "public.RectificationPlan",
        verbose_name=_("comment on the plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comments",
    )
    text = models.TextField(_("opinion"), max_length=TEXT_MAX)
    # Contact details: seen only by the unit concerned's staff; erased after the retention period.
    name = models.CharField(_("name"), max_length=NAME_MAX, blank=True)
    phone = models.CharField(_("phone"), max_length=PHONE_MAX, blank=True)
    contact_erased_at = models.DateTimeField(_("contact details erased at"), null=True, blank=True, editable=False)
    receipt = models.CharField(_("receipt code"), max_length=RECEIPT_LENGTH, unique=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=OpinionStatus.choices, default=OpinionStatus.NEW)
    problem = models.ForeignKey(
        "rectification.Problem",
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    reply = models.TextField(_("reply to the public"), blank=True)
    treated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("treated by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    treated_at = models.DateTimeField(_("treated at"), null=True, blank=True)

    objects = OpinionQuerySet.as_manager()
    unit_scope = UnitScope(path="unit__path", unit="unit_id")

    class Meta:
        verbose_name = _("public opinion")
        verbose_name_plural = _("public opinions")
        ordering = ["submitted_at", "pk"]
        indexes = [models.Index(fields=["unit", "status"], name="opinion_unit_status")]

    def __str__(self):
        return format_receipt(self.receipt)

    def save(self, *args, **kwargs):
        if not self.receipt:
            self.receipt = new_receipt_code()
        super().save(*args, **kwargs)

    @property
    def receipt_display(self):
        return format_receipt(self.receipt)

    @property
    def has_contact(self):
        return bool(self.name or self.phone)


class OpinionStep(models.Model):
    """One step in an opinion's life (forwarded, accepted, merged, declined): who, when, why.
    Holds no contact details, so erasing them leaves the record whole."""

    class Kind(models.TextChoices):
        FORWARDED = "forwarded", _("Forwarded")
        ACCEPTED = "accepted", _("Accepted as a problem")
        MERGED = "merged", _("Merged into a problem")
        DECLINED = "declined", _("Declined")

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    from_unit = models.ForeignKey("campaign.Unit", null=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("campaign.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
