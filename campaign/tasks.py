"""Celery tasks of the campaign app."""

import re
import socket
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.utils import timezone

HEARTBEAT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@shared_task
def write_worker_heartbeat(name):
    """Write `VAR_DIR/heartbeats/<name>` with the time and the worker's host name.

    Proves that a worker consumes messages from the broker without touching the
    database (the Celery worker test and health checks of a deployment use it).
    """
    if not isinstance(name, str) or not HEARTBEAT_NAME.match(name):
        raise ValueError("heartbeat name: 1-64 letters, digits, '-' or '_'")
    folder = Path(settings.VAR_DIR) / "heartbeats"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    partial = folder / f".{name}.partial"
    partial.write_text(f"{timezone.now().isoformat()} {socket.gethostname()}\n")
    partial.replace(path)  # atomic: readers never see half a file
    return str(path)


@shared_task
def provision_accounts(run_id):
    """Import a large account spreadsheet uploaded by an administrator (campaign.provisioning)."""
    from campaign import provisioning

    result = provisioning.run(run_id)
    return {"run": run_id, "status": result.status if result else "taken"}


@shared_task
def run_export(job_id):
    """Write the file of a large export (campaign.background)."""
    from campaign import background

    job = background.run(job_id)
    return {"job": job_id, "status": job.status if job else "taken"}


@shared_task
def import_units(run_id):
    """Import a large unit roster uploaded by an administrator (campaign.importers.run)."""
    from campaign import importers

    run = importers.run(run_id)
    return {"run": run_id, "status": run.status if run else "taken"}
