from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign import importers, permissions
from campaign.forms import UnitImportForm
from campaign.models import UnitKind
from campaign.permissions import ADMINISTER
from campaign.tasks import import_units
from campaign.upload_limits import refuse_if_stopped

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_administrator(user):
    permissions.require_any(user, ADMINISTER)


@login_required
def unit_import(request):
    """Upload a unit tree: everything is created, or nothing and every problem is listed."""
    _require_administrator(request.user)
    problems = []
    if request.method == "POST":
        form = UnitImportForm(request.POST, request.FILES)
        refuse_if_stopped(request, form, "file")
        if form.is_valid():
            run = importers.start(
                request.user, form.cleaned_data["file"].name, form.data_bytes, form.rows, queue=import_units.delay_on_commit
            )
            if run is not None:  # a large file: a worker imports it, the page follows
                return redirect("campaign:unit_import_run", pk=run.pk)
            result = importers.import_units(form.rows, request.user)
            if result.ok:
                count = len(result.created)
                message = ngettext("Imported %(count)s unit.", "Imported %(count)s units.", count)
                messages.success(request, message % {"count": count})
                return redirect("campaign:unit_import")
            problems = result.problems
    else:
        form = UnitImportForm()
    context = {
        "form": form,
        "problems": problems,
        "columns": importers.COLUMNS,
        "kinds": _kind_words(),
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_rows": importers.MAX_ROWS,
    }
    return render(request, "campaign/unit_import.html", context)


def _kind_words():
    """(kind label, [words accepted for it]) for the instructions."""
    words = {value: [value] for value in UnitKind.values}
    for word, value in importers.KIND_WORDS.items():
        words[value].insert(-1, word)
    return [(UnitKind(value).label, words[value]) for value in UnitKind.values]


@login_required
def unit_import_template(request):
    """The blank .xlsx users fill in: the header row and two example rows."""
    _require_administrator(request.user)
    response = HttpResponse(importers.template_workbook(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _("unit import template") + ".xlsx")
    return response


@login_required
def unit_import_run(request, pk):
    """A large roster imported in the background: its progress, then what came of it (the
    uploader's own run only). While the worker runs, the status reloads itself (htmx)."""
    run = get_object_or_404(permissions.unit_import_runs(request.user), pk=pk)
    context = {"run": run, "problems": run.problems}
    template = "campaign/_unit_import_status.html" if request.htmx else "campaign/unit_import_run.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response
