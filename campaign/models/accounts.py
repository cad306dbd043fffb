"""What the app keeps about accounts beyond Django's user: how people are
reached, how they first sign in, and the bulk provisioning runs that made them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .people import Role


class Profile(models.Model):
    """A person's phone and staff number, and the state of their sign-in.

    ``initial_password_key`` is a random key from which the one-time initial
    password is derived (campaign.accounts): the password itself is stored
    nowhere, only its hash, and the key is cleared by the first change.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    staff_number = models.CharField(_("staff number"), max_length=50, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    initial_password_key = models.CharField(max_length=40, blank=True, editable=False)
    initial_password_set_at = models.DateTimeField(_("initial password made at"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deactivated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("account profile")
        verbose_name_plural = _("account profiles")
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~models.Q(phone=""), name="profile_phone_unique"),
            models.UniqueConstraint(
                fields=["staff_number"], condition=~models.Q(staff_number=""), name="profile_staff_number_unique"
            ),
        ]

    def __str__(self):
        return str(self.user)


class LoginSession(models.Model):
    """A session a user signed in with, so that logging out (or being
    deactivated) ends all of them, on every browser."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")


class ProvisioningRun(models.Model):
    """One spreadsheet of people imported by an administrator, and what came of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import status", "Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Nothing imported")
        FAILED = "failed", pgettext_lazy("import status", "Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=255)
    language = models.CharField(max_length=10, default="zh-hans")
    directory_sign_in = models.BooleanField(_("sign in through the directory"), default=False)
    # The upload, kept only until a background worker has read it.
    data = models.BinaryField(blank=True, default=b"")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)  # [{"row", "column", "message"}]
    counts = models.JSONField(_("changes"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("account import")
        verbose_name_plural = _("account imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.file_name

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)


class ProvisionedAccount(models.Model):
    """A membership a run gave (``created``: with a new account)."""

    run = models.ForeignKey(ProvisioningRun, on_delete=models.CASCADE, related_name="accounts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("campaign.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    row = models.PositiveIntegerField(_("row"))
    created = models.BooleanField(_("new account"), default=False)

    class Meta:
        ordering = ["row", "pk"]
