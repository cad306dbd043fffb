"""Celery tasks of the reports: thin, taking ids (reports.runs does the work)."""

from celery import shared_task

from rectification.jobs import job_run


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
