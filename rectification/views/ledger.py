"""The import of office ledgers (整改台账) and its template; the ledger page and export are in reports/."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign import permissions
from campaign.models import Unit
from campaign.upload_limits import refuse_if_stopped
from rectification.forms.ledger import LedgerImportForm
from rectification.ledger import importer as ledger
from rectification.ledger.tasks import import_ledger as import_ledger_task
from rectification.ledger.template import template_workbook
from rectification.models import LedgerImportRun, Term
from rectification.models.problems import ProblemSource


def ledger_url(within, batch):
    """The ledger page (reports) scoped to ``within`` and ``batch``."""
    query = urlencode({key: value.pk for key, value in (("within", within), ("batch", batch)) if value is not None})
    return f"{reverse('reports:ledger')}?{query}"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50


@login_required
def ledger_import(request):
    """Upload an office ledger: every row becomes a problem and a task, or nothing does."""
    if not ledger.editable_units(request.user).exists():
        raise PermissionDenied
    problems = []
    if request.method == "POST":
        form = LedgerImportForm(request.POST, request.FILES, user=request.user)
        refuse_if_stopped(request, form, "file")
        if form.is_valid():
            batch, default_unit = form.cleaned_data["batch"], form.cleaned_data["default_unit"]
            run = ledger.start(
                request.user, form.cleaned_data["file"].name, form.data_bytes, form.rows, batch, default_unit,
                queue=import_ledger_task.delay_on_commit,
            )
            if run is not None:  # a large ledger: a worker imports it, the page follows
                return redirect("rectification:ledger_import_run", pk=run.pk)
            result = ledger.import_ledger(form.rows, request.user, batch, default_unit)
            if result.ok:
                count = len(result.created)
                if count or not result.updated:
                    message = ngettext(
                        "Imported %(count)s task into %(batch)s.", "Imported %(count)s tasks into %(batch)s.", count
                    )
                    messages.success(request, message % {"count": count, "batch": batch.name})
                if result.updated:
                    updated = len(result.updated)
                    message = ngettext("Updated %(count)s task.", "Updated %(count)s tasks.", updated)
                    messages.success(request, message % {"count": updated})
                within = _visible_common_unit(request.user, result.created + result.updated)
                return redirect(ledger_url(within, batch))
            problems = result.problems
    else:
        form = LedgerImportForm(user=request.user)
    context = {
        "form": form,
        "problems": problems,
        "columns": ledger.COLUMNS,
        "terms": _words(ledger.TERM_WORDS, Term),
        "sources": _words(ledger.SOURCE_WORDS, ProblemSource),
        "long_words": ledger.LONG_WORDS,
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_rows": ledger.MAX_ROWS,
        "background_rows": settings.LEDGER_IMPORT_BACKGROUND_ROWS,
    }
    return render(request, "rectification/ledger_import.html", context)


@login_required
def ledger_import_run(request, pk):
    """A large ledger imported in the background: its progress, then the tasks added and
    updated or every problem by row and column (the uploader's own run only). While the
    worker runs, the status reloads itself (htmx)."""
    runs = permissions.own_import_runs(request.user, LedgerImportRun.objects.select_related("batch"))
    run = get_object_or_404(runs, pk=pk)
    context = {"run": run, "problems": run.problems, "ledger_url": ledger_url(None, run.batch)}
    template = "rectification/_ledger_import_status.html" if request.htmx else "rectification/ledger_import_run.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


def _visible_common_unit(user, tasks):
    """The deepest unit holding all the imported tasks that the user sees and that
    the lists offer as a scope (a unit with units below it, or one of the user's own)."""
    pk = ledger.common_unit([task.unit for task in tasks])
    if pk is None:
        return None
    unit = Unit.objects.visible_to(user).filter(pk=pk).first()
    if unit is None or unit.children.exists() or unit.pk in permissions.access(user).member_unit_ids:
        return unit
    return Unit.objects.visible_to(user).filter(pk=unit.parent_id).first()


def _words(words, choices):
    """(label, [words accepted for it]) for the instructions."""
    accepted = {value: [] for value in choices.values}
    for word, value in words.items():
        accepted[value].append(word)
    return [(choices(value).label, accepted[value]) for value in choices.values if accepted[value]]


@login_required
def ledger_template(request):
    """The .xlsx to fill in: merged title row, header row, one example row for the user's unit."""
    units = ledger.editable_units(request.user)
    if request.GET.get("unit"):
        unit = get_object_or_404(units, pk=request.GET["unit"]) if request.GET["unit"].isdigit() else None
        if unit is None:
            raise Http404
    else:
        unit = units.first()
        if unit is None:
            raise PermissionDenied
    response = HttpResponse(template_workbook(unit), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _("ledger import template") + ".xlsx")
    return response
