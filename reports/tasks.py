"""Celery tasks of the reports: thin, taking ids or dates (reports.runs and
reports.snapshots do the work)."""

import datetime

from celery import shared_task

from rectification.jobs import job_run, recorded


@shared_task
def render_report(run_id):
    """Render one report run into its PDF (queued → running → done or failed)."""
    from .runs import execute

    return execute(run_id)


@shared_task
def snapshot_ended_phases():
    """Daily: a summary snapshot of every batch whose phase has just ended."""
    from .runs import snapshot_ended_phases as snapshot

    with job_run("reports.snapshot_ended_phases") as run:
        made = snapshot(queue=render_report.delay_on_commit)
        run.changes = {"snapshots": len(made)}
    return run.changes


@shared_task
@recorded("reports.take_snapshots")
def take_snapshots(day=None):
    """Save every unit's figures for ``day`` (ISO date; today in Asia/Shanghai). Idempotent."""
    from . import snapshots

    when = datetime.date.fromisoformat(day) if day else None
    return {"units": snapshots.take(when)}
