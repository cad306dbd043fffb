from celery import shared_task

from rectification.jobs import job_run


@shared_task
def erase_expired_contacts():
    """Daily: erase the contact details of campaigns past their retention period; the JobRun row
    keeps how many opinions of which campaign lost them (never the details themselves)."""
    from .retention import erase_expired_contacts as erase

    with job_run("public.erase_expired_contacts") as run:
        erased = erase()
        run.changes = {"opinions_erased": sum(erased.values()), "by_campaign": erased}
    return run.changes
