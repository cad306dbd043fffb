"""The ledger (整改台账) of a scope: the page as on paper, and its .xlsx/.csv export."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from campaign import background, paging
from campaign.exports import csv_response
from campaign.tasks import run_export
from rectification import rollups
from rectification.ledger.importer import editable_units
from reports import ledger
from reports.forms import LedgerScopeForm

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
# The ledger's order, unit by unit, as on paper: keyset pages (campaign.paging).
LEDGER_SORTS = {"": ledger.ORDER}


def _scope(request):
    """(form, within, batch) from the GET parameters; 404 for a unit or batch the user may not see."""
    form = LedgerScopeForm(request.GET, user=request.user)
    if not form.is_valid():
        raise Http404
    return form, form.cleaned_data["within"], form.cleaned_data["batch"]


def _scope_query(within, batch):
    return urlencode({key: value.pk for key, value in (("within", within), ("batch", batch)) if value is not None})


@login_required
def ledger_page(request):
    """The ledger of the chosen scope, as on paper, with links to download it."""
    form, within, batch = _scope(request)
    count = rollups.visible_task_count(request.user, within=within, batch=batch)
    page = paging.paged(request, ledger.ledger_tasks(request.user, within, batch), LEDGER_SORTS, count=count, per_page=PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "rows": ledger.ledger_rows(page.object_list, start=page.start),
        "headers": ledger.EXPORT_HEADERS,
        "number_columns": (1, 2, 12),
        "title": ledger.ledger_title(ledger.title_unit(request.user, within), batch),
        "scope_query": _scope_query(within, batch),
        "can_import": editable_units(request.user).exists(),
    }
    return render(request, "reports/ledger.html", context)


@login_required
def ledger_export(request):
    """The same rows as an .xlsx in the office layout (default) or a .csv; more rows than
    EXPORT_BACKGROUND_ROWS are written by a worker and the user follows it on its page."""
    _form, within, batch = _scope(request)
    tasks = ledger.ledger_tasks(request.user, within, batch)
    title = ledger.ledger_title(ledger.title_unit(request.user, within), batch)
    if background.too_large(tasks):
        fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
        job = background.start(request.user, "ledger", request.GET, fmt, title, queue=run_export.delay_on_commit)
        return redirect("campaign:export_job", pk=job.pk)
    rows = ledger.ledger_rows(tasks)
    if request.GET.get("format") == "csv":
        return csv_response(ledger.ledger_csv_rows(rows), title)  # a Chinese name, as the .xlsx (RFC 5987 filename*)
    response = HttpResponse(ledger.ledger_workbook(rows, title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{title}.xlsx")
    return response
