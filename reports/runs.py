"""Report runs (issue 12): asked for by a user (or made when a phase ends), rendered
by a Celery worker (:func:`execute`), kept with their parameters, figures and PDF.

A run's key is a digest of its parameters and of the state of its data (the tasks
of the scope: how many and when one last changed; the narrative's last edit): an
identical request while a run with that key is queued, running, or done within
``REPORT_FRESH_SECONDS`` is served that run at once. A stored run is downloaded as
it was made, byte for byte.
"""

import datetime
import hashlib
import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Count, Max
from django.utils import timezone

from campaign import permissions
from campaign.models import Phase
from rectification.models import Task

from . import documents
from .models import Narrative, ReportKind, ReportRun, RunStatus


def fresh_seconds():
    return getattr(settings, "REPORT_FRESH_SECONDS", 600)


def data_stamp(kind, unit, batch):
    """What the report's data looks like now: a change to it gives a new key."""
    tasks = Task.objects.filter(unit_path__startswith=unit.path)
    if batch is not None:
        tasks = tasks.filter(batch=batch)
    found = tasks.aggregate(n=Count("pk"), last=Max("updated_at"))
    stamp = f"{found['n']}:{found['last']}"
    if kind == ReportKind.SUMMARY:
        last = Narrative.objects.filter(unit=unit, batch=batch).aggregate(last=Max("updated_at"))["last"]
        stamp += f":{last}"
    return stamp


def run_key(kind, unit, batch, as_of, number=""):
    parts = [kind, str(unit.pk), str(batch.pk if batch else ""), as_of.isoformat(), number, data_stamp(kind, unit, batch)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def fresh_run(key):
    """A run of ``key`` that serves an identical request: waiting, running, or done lately."""
    since = timezone.now() - datetime.timedelta(seconds=fresh_seconds())
    return (
        ReportRun.objects.filter(key=key, created_at__gte=since)
        .exclude(status=RunStatus.FAILED)
        .order_by("-created_at")
        .first()
    )


def request_run(user, kind, unit, *, queue, batch=None, as_of=None, number="", snapshot=False):
    """The run answering this request: a fresh identical one, or a new one handed to
    ``queue`` (the caller's Celery task, ``reports.tasks.render_report.delay_on_commit``:
    the worker is asked once the transaction commits). Returns (run, reused)."""
    if user is not None:
        permissions.require(user, permissions.OVERSEE, unit)
    as_of = as_of or timezone.localdate()
    key = run_key(kind, unit, batch, as_of, number)
    if not snapshot:
        existing = fresh_run(key)
        if existing is not None:
            return existing, True
    run = ReportRun.objects.create(
        kind=kind, unit=unit, batch=batch, as_of=as_of, number=number, key=key,
        requested_by=user, snapshot=snapshot,
    )
    queue(run.pk)
    return run, False


def _progress(run_id):
    def update(percent):
        ReportRun.objects.filter(pk=run_id).update(progress=percent)

    return update


def execute(run_id):
    """Render run ``run_id`` (the worker's task): claimed once (queued → running), then
    done with its file and figures, or failed with the reason. Returns the final status."""
    claimed = ReportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=5
    )
    if not claimed:
        return None
    run = ReportRun.objects.select_related("unit", "batch").get(pk=run_id)
    started = time.monotonic()
    try:
        rendered, figures = documents.make(
            run.kind, run.unit, batch=run.batch, as_of=run.as_of, number=run.number, progress=_progress(run.pk)
        )
    except Exception as error:  # the reason is kept for the page; the worker goes on
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
        )
        return RunStatus.FAILED
    figures["warnings"] = rendered.warnings
    run.file.save(run.filename(), ContentFile(rendered.pdf), save=False)
    run.figures = figures
    run.size = len(rendered.pdf)
    run.seconds = round(time.monotonic() - started, 3)
    run.status = RunStatus.DONE
    run.progress = 100
    run.finished_at = timezone.now()
    run.save(update_fields=["file", "figures", "size", "seconds", "status", "progress", "finished_at"])
    return RunStatus.DONE


def snapshot_ended_phases(*, queue, today=None):
    """A summary of each batch whose phase ended yesterday or earlier and has none yet,
    for the campaign's issuing unit, as of the phase's last day. Returns the runs made."""
    today = today or timezone.localdate()
    made = []
    phases = Phase.objects.filter(end_date__lt=today, end_date__gte=today - datetime.timedelta(days=7)).select_related(
        "batch__campaign__issuing_unit"
    )
    for phase in phases:
        unit = phase.batch.campaign.issuing_unit
        exists = ReportRun.objects.filter(
            kind=ReportKind.SUMMARY, unit=unit, batch=phase.batch, as_of=phase.end_date, snapshot=True
        ).exists()
        if not exists:
            run, _ = request_run(
                None, ReportKind.SUMMARY, unit, batch=phase.batch, as_of=phase.end_date, snapshot=True, queue=queue
            )
            made.append(run)
    return made
