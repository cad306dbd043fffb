"""A large office ledger imported by a background worker (issue 10): rectification.ledger.importer.run."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.models import Batch, ImportRun, Unit


class LedgerImportRun(ImportRun):
    """The uploaded ledger waits in the default storage (``STORAGES["default"]``) until the
    worker has imported it, and is deleted then; the record keeps what came of it."""

    class Stage(models.IntegerChoices):  # how far the worker is, for the page's progress bar
        READING = 10, _("Reading the file")
        CHECKING = 40, _("Checking every row")
        WRITING = 80, _("Writing the tasks")

    file = models.FileField(_("file"), upload_to="imports/ledgers/%Y/%m/", blank=True, max_length=255)
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="+")
    default_unit = models.ForeignKey(
        Unit, verbose_name=_("default responsible unit"), on_delete=models.CASCADE, related_name="+"
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices, null=True, blank=True)
    created_count = models.PositiveIntegerField(_("tasks added"), default=0)
    updated_count = models.PositiveIntegerField(_("tasks updated"), default=0)

    class Meta(ImportRun.Meta):
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")

    @property
    def percent(self):
        if self.is_finished:
            return 100
        if self.status == self.Status.RUNNING and self.stage:
            return self.stage
        return 0

    def record_outcome(self, result):
        self.created_count = len(result.created)
        self.updated_count = len(result.updated or [])

    def discard_upload(self):
        if self.file:
            self.file.delete(save=False)
