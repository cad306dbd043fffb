import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.permissions import RestrictedQuerySet, UnitScope


class ProgressUpdate(models.Model):
    """进展: append-only; a correction is a new entry, never an edit."""

    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="progress_updates")
    entry_date = models.DateField(_("date"))
    text = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(_("percent done"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        "campaign.Unit", verbose_name=_("reporting unit"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id")

    class Meta:
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress entries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.task} · {self.entry_date} · {self.percent}%"


def evidence_path(instance, filename):
    """Stored under MEDIA_ROOT (outside static) by task, with a random name."""
    return f"evidence/{instance.task_id}/{uuid.uuid4().hex}{instance.extension}"


def thumbnail_path(instance, filename):
    """Beside the evidence, with a random name of its own."""
    return f"evidence/{instance.task_id}/thumbnails/{uuid.uuid4().hex}.jpg"


class Evidence(models.Model):
    """A file proving progress: a photo, a PDF or an office document."""

    task = models.ForeignKey("rectification.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="evidence")
    progress = models.ForeignKey(
        ProgressUpdate, verbose_name=_("progress entry"), null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    extension = models.CharField(max_length=10, editable=False)
    size = models.PositiveIntegerField(_("size"))
    # A small JPEG of a photo, made on upload (rectification.uploads.make_thumbnail):
    # the task page shows it inline, where the supervisor decides; empty for other files.
    thumbnail = models.FileField(_("thumbnail"), upload_to=thumbnail_path, max_length=300, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    unit_scope = UnitScope(path="task__unit_path", co_units="task__co_units", unit="task__unit_id")

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.original_name
