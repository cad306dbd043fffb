"""The page of a background export (campaign.background) and its file: the requester's only."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from campaign import permissions


def _job_of(request, pk):
    return get_object_or_404(permissions.export_jobs(request.user), pk=pk)


@login_required
def export_job(request, pk):
    """How far the worker is; the file's link when it is written. While it runs, the
    status reloads itself every two seconds (htmx; no inline script)."""
    job = _job_of(request, pk)
    template = "campaign/_export_status.html" if request.htmx else "campaign/export_job.html"
    response = render(request, template, {"job": job, "retention_days": settings.EXPORT_RETENTION_DAYS})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_download(request, pk):
    job = _job_of(request, pk)
    if job.status != job.Status.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=job.file_name)
    response["Cache-Control"] = "no-store"
    return response
