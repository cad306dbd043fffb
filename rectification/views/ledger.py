"""The ledger (整改台账): the page, its Excel/CSV export, the import of office ledgers and its template."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign.exports import csv_response
from campaign.models import Membership, Unit
from config.uploads import refuse_if_stopped
from rectification import ledger
from rectification.forms.ledger import LedgerImportForm, LedgerScopeForm
from rectification.models import Term
from rectification.models.problems import ProblemSource

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50


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
    page = Paginator(ledger.ledger_tasks(request.user, within, batch), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": ledger.ledger_rows(page.object_list, start=page.start_index()),
        "headers": ledger.EXPORT_HEADERS,
        "title": ledger.ledger_title(within, batch),
        "scope_query": _scope_query(within, batch),
        "can_import": ledger.editable_units(request.user).exists(),
    }
    return render(request, "rectification/ledger_list.html", context)


@login_required
def ledger_export(request):
    """The same rows as an .xlsx in the office layout (default) or a .csv."""
    _form, within, batch = _scope(request)
    rows = ledger.ledger_rows(ledger.ledger_tasks(request.user, within, batch))
    title = ledger.ledger_title(within, batch)
    stamp = f"{timezone.localdate():%Y%m%d}"
    if request.GET.get("format") == "csv":
        return csv_response(ledger.ledger_csv_rows(rows), f"ledger-{stamp}")
    response = HttpResponse(ledger.ledger_workbook(rows, title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{title}-{stamp}.xlsx")
    return response


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
            batch = form.cleaned_data["batch"]
            result = ledger.import_ledger(form.rows, request.user, batch, form.cleaned_data["default_unit"])
            if result.ok:
                count = len(result.created)
                message = ngettext(
                    "Imported %(count)s task into %(batch)s.", "Imported %(count)s tasks into %(batch)s.", count
                )
                messages.success(request, message % {"count": count, "batch": batch.name})
                within = _visible_common_unit(request.user, result.created)
                return redirect(f"{reverse('rectification:ledger')}?{_scope_query(within, batch)}")
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
    }
    return render(request, "rectification/ledger_import.html", context)


def _visible_common_unit(user, tasks):
    """The deepest unit holding all the imported tasks that the user sees and that
    the lists offer as a scope (a unit with units below it, or one of the user's own)."""
    pk = ledger.common_unit([task.unit for task in tasks])
    if pk is None:
        return None
    unit = Unit.objects.visible_to(user).filter(pk=pk).first()
    if unit is None or unit.children.exists() or Membership.objects.filter(user=user, unit=unit).exists():
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
    response = HttpResponse(ledger.template_workbook(unit), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _("ledger import template") + ".xlsx")
    return response


urlpatterns = [
    path("ledger/", ledger_page, name="ledger"),
    path("ledger/export/", ledger_export, name="ledger_export"),
    path("ledger/import/", ledger_import, name="ledger_import"),
    path("ledger/template/", ledger_template, name="ledger_template"),
]
