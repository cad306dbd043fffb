"""Work done by a background worker for one user (issue 10): a large export, a large unit roster import."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExportJob(models.Model):
    """One export asked for by one user; only that user reads its page and downloads its file.

    The file is kept in the default storage (``STORAGES["default"]``) and deleted with the
    record after ``EXPORT_RETENTION_DAYS`` (campaign.background.prune)."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("export status", "Waiting")
        RUNNING = "running", _("Writing the file")
        DONE = "done", _("Ready")
        FAILED = "failed", pgettext_lazy("export status", "Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked for by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("asked for at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    kind = models.CharField(_("export"), max_length=40)  # a producer registered in campaign.background
    params = models.TextField(_("filters"), blank=True)  # the list's query string
    format = models.CharField(_("format"), max_length=10)
    language = models.CharField(max_length=10, default="zh-hans")
    title = models.CharField(_("title"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True, max_length=255)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)  # offered to the browser
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_at"], name="exportjob_created")]

    def __str__(self):
        return self.file_name or self.kind

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class ImportRun(models.Model):
    """A large file imported by a background worker for the user who uploaded it
    (:func:`campaign.importers.run_queued`): all of it, or nothing and its problems by row
    and column. Only the uploader follows its page. Each kind of import adds its upload and
    its counts (:class:`UnitImportRun` here, ``rectification.LedgerImportRun``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import status", "Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Nothing imported")
        FAILED = "failed", pgettext_lazy("import status", "Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=255)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)  # [{"row", "column", "message"}]
    error = models.TextField(_("error"), blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.file_name

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)

    def record_outcome(self, result):
        """Keep the counts of a finished import (an ``ImportResult``); the worker saves."""

    def discard_upload(self):
        """Drop the uploaded file once the worker is done with it; the worker saves."""


class UnitImportRun(ImportRun):
    """A large unit roster imported by a background worker (campaign.importers.run)."""

    data = models.BinaryField(blank=True, default=b"")  # the upload, kept until the worker has read it
    created_count = models.PositiveIntegerField(_("units created"), default=0)

    class Meta(ImportRun.Meta):
        verbose_name = _("unit import")
        verbose_name_plural = _("unit imports")

    def record_outcome(self, result):
        self.created_count = len(result.created)

    def discard_upload(self):
        self.data = b""
