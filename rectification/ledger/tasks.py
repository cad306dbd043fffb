"""The Celery task of the ledger import (listed in CELERY_IMPORTS: rectification.tasks may not
import the importer, which reaches it through the services' notifications)."""

from celery import shared_task

from .importer import run


@shared_task
def import_ledger(run_id):
    """Import a large office ledger uploaded by office staff (rectification.ledger.importer.run)."""
    job = run(run_id)
    return {"run": run_id, "status": job.status if job else "taken"}
