"""Background jobs of the reports: the daily snapshot of every unit (issue 11)."""

import datetime

from celery import shared_task

from rectification.jobs import recorded


@shared_task
@recorded("reports.take_snapshots")
def take_snapshots(day=None):
    """Save every unit's figures for ``day`` (ISO date; today in Asia/Shanghai). Idempotent."""
    from . import snapshots

    when = datetime.date.fromisoformat(day) if day else None
    return {"units": snapshots.take(when)}
