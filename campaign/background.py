"""Large exports in the background (issue 10): a Celery worker writes the file, the page follows.

A list or the ledger asked for as a file with more than ``EXPORT_BACKGROUND_ROWS``
rows is not written in the request: :func:`start` records an
:class:`~campaign.models.ExportJob` and queues it; :func:`run` (the worker)
asks the job's *producer* for its rows and streams them into a file — CSV
row by row, .xlsx with openpyxl's write-only workbook — so that memory stays
constant whatever the number of rows; the producer reads them a keyset page
at a time (:func:`campaign.paging.keyset_chunks`). Progress (rows written of
rows counted) is saved every :data:`PROGRESS_EVERY` rows; the page of the job
reloads its status by itself and offers the file when done. The file goes
through Django's default storage (``STORAGES["default"]``: the disk, or S3).

Producers live with the lists they export (this module is below them): a
higher layer registers ``kind -> function(user, params) -> Source`` with
:func:`register` when its app is ready. The producer is called with the
requester as they are when the job runs, so the rows are what they may see then.

:func:`prune` (a daily beat job) deletes jobs, and their files, older than
``EXPORT_RETENTION_DAYS``.
"""

import csv
import datetime
import io
import logging
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from campaign.cells import csv_safe
from campaign.models import ExportJob
from campaign.paging import capped_count

logger = logging.getLogger(__name__)

PRODUCERS = {}
PROGRESS_EVERY = 1000
FORMATS = ("csv", "xlsx")


@dataclass
class Source:
    """What a producer gives: the header, the rows (an iterable of value lists, read lazily),
    and how many there are (for the progress bar)."""

    title: str
    header: list
    rows: Iterable
    total: int | None = None
    title_row: bool = False  # the office layout: a merged title row above the header
    widths: tuple = ()
    wrap: bool = False
    sheet_title: str = ""  # the .xlsx sheet's name (the title by default)
    prepare: Callable | None = None  # called with the .xlsx sheet before the rows: print setup, hidden columns


def register(kind, producer):
    PRODUCERS[kind] = producer


def threshold():
    return settings.EXPORT_BACKGROUND_ROWS


def too_large(queryset):
    """True when ``queryset`` has more rows than an export written in the request may have
    (one capped count: it stops counting at the threshold)."""
    return capped_count(queryset, cap=threshold()).capped


def start(user, kind, params, fmt, title, *, queue):
    """Record an export of ``kind`` for ``user`` with the list's ``params`` (a QueryDict or
    query string) and queue it after the commit (``queue``: the Celery task's
    ``delay_on_commit``, so that this module does not import the tasks that import it)."""
    if isinstance(params, QueryDict):
        params = params.copy()
        for name in ("export", "format", "cursor", "back", "page"):
            params.pop(name, None)
        params = params.urlencode()
    job = ExportJob.objects.create(
        created_by=user,
        kind=kind,
        params=params,
        format=fmt,
        title=str(title)[:255],
        language=translation.get_language() or "zh-hans",
    )
    queue(job.pk)
    return job


def run(job_id):
    """Write the file of a queued job; idempotent: a job already taken is left alone."""
    if not ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(status=ExportJob.Status.RUNNING):
        return None
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        with translation.override(job.language):
            _write(job)
    except Exception as error:  # recorded on the job for its page; the worker goes on
        logger.exception("export %s failed", job_id)
        job.status = ExportJob.Status.FAILED
        job.error = f"{type(error).__name__}: {error}"[:2000]
    else:
        job.status = ExportJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "file", "file_name", "rows_done", "rows_total"])
    return job


def _write(job):
    user = job.created_by
    if not user.is_active:
        raise PermissionError("the account that asked for the export is no longer active")
    source = PRODUCERS[job.kind](user, QueryDict(job.params))
    job.rows_total = source.total
    ExportJob.objects.filter(pk=job.pk).update(rows_total=source.total)
    rows = _counted(job, source.rows)
    with tempfile.TemporaryFile() as temporary:
        if job.format == "csv":
            _write_csv(temporary, source, rows)
        else:
            _write_xlsx(temporary, source, rows)
        temporary.seek(0)
        stamp = f"{timezone.localdate():%Y%m%d}"
        job.file_name = f"{source.title}-{stamp}.{job.format}"
        job.file.save(f"export-{job.pk}-{stamp}.{job.format}", File(temporary), save=False)


def _counted(job, rows):
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)
    job.rows_done = done


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return csv_safe(value)


def _write_csv(binary, source, rows):
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")  # the BOM: Excel reads UTF-8 Chinese
    writer = csv.writer(text)
    writer.writerow([_plain(value) for value in source.header])
    for row in rows:
        writer.writerow([_plain(value) for value in row])
    text.flush()
    text.detach()


def _write_xlsx(binary, source, rows):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(source.sheet_title or source.title)[:31] or "export")
    width = len(source.header)
    for index, column_width in enumerate(source.widths, start=1):
        sheet.column_dimensions[_letter(index)].width = column_width
    if source.prepare is not None:  # before the first row: a write-only sheet writes its columns then
        source.prepare(sheet)
    bold = Font(bold=True)
    if source.title_row:
        title = _cell(sheet, str(source.title))
        title.font = Font(bold=True, size=16)
        title.alignment = Alignment(horizontal="center", vertical="center")
        sheet.append([title])
        sheet.merged_cells.add(f"A1:{_letter(width)}1")
    header = []
    for value in source.header:
        cell = _cell(sheet, str(value))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A3" if source.title_row else "A2"
    wrap = Alignment(wrap_text=True, vertical="top") if source.wrap else None
    for row in rows:
        cells = []
        for value in row:
            cell = _cell(sheet, value)
            if wrap is not None:
                cell.alignment = wrap
            cells.append(cell)
        sheet.append(cells)
    workbook.save(binary)


def _cell(sheet, value):
    """A write-only cell; text is always a string cell, never a formula (see campaign.exports)."""
    if value is None:
        value = ""
    elif isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = timezone.localtime(value).replace(tzinfo=None)  # .xlsx has no time zones: Asia/Shanghai
    elif not isinstance(value, (int, float, datetime.date, str)):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _letter(index):
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def prune(now=None):
    """Delete the jobs, and their files, asked for more than ``EXPORT_RETENTION_DAYS`` ago.
    Returns how many jobs were deleted."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    deleted = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).iterator():
        if job.file:
            job.file.delete(save=False)
        with transaction.atomic():
            job.delete()
        deleted += 1
    return deleted
