"""Units report their figures; the unit above sees who has not and returns a report (rectification.figures)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Batch, Campaign, FigureReport, Indicator, IndicatorValue, Participation, Unit
from campaign.paging import capped_count
from campaign.permissions import REPORT
from rectification import figures
from rectification.forms.figures import FiguresForm, ReturnFiguresForm

PAGE_SIZE = 100


def _batch(user, pk):
    return get_object_or_404(Batch.objects.select_related("campaign").filter(campaign__in=Campaign.objects.visible_to(user)), pk=pk)


@login_required
def figures_report(request, unit_pk, batch_pk):
    """The unit's figures for the batch: the form to those who report for the unit, read-only to others who see it."""
    user = request.user
    unit = get_object_or_404(Unit.objects.visible_to(user), pk=unit_pk)
    batch = _batch(user, batch_pk)
    may_report = permissions.may(user, REPORT, unit)
    participation = Participation.objects.filter(unit=unit, batch=batch).first()
    indicators = Indicator.objects.filter(campaign=batch.campaign).order_by("order", "code")
    values = {value.indicator_id: value for value in IndicatorValue.objects.filter(unit=unit, batch=batch)}
    report = FigureReport.objects.filter(unit=unit, batch=batch).select_related("reported_by", "returned_by").first()
    kwargs = {"participation": participation, "batch": batch, "indicators": indicators, "values": values}
    if request.method == "POST":
        if not may_report:
            raise PermissionDenied(permissions.refusal(user, REPORT, unit))
        form = FiguresForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            try:
                figures.report_figures(
                    user, unit, batch, participation=form.participation_data(), indicators=form.indicator_entries(),
                    seen_version=form.cleaned_data["version"],
                )  # fmt: skip
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(request, _("The figures of %(unit)s for %(batch)s are reported.") % {
                    "unit": unit.name, "batch": batch.name})  # fmt: skip
                return redirect("rectification:figures_report", unit_pk=unit.pk, batch_pk=batch.pk)
    else:
        form = FiguresForm(initial={"version": report.version if report else None}, **kwargs)
    context = {
        "unit": unit,
        "batch": batch,
        "form": form,
        "may_report": may_report,
        "report": report,
        "may_return": report is not None and report.status == FigureReport.Status.REPORTED and figures.may_return(user, report),
        "return_form": ReturnFiguresForm(),
        "overdue": report is None and batch.report_due is not None and timezone.localdate() > batch.report_due,
    }
    return render(request, "rectification/figures_report.html", context)


@login_required
@require_POST
def figures_return(request, pk):
    user = request.user
    report = get_object_or_404(FigureReport.objects.visible_to(user).select_related("unit", "batch"), pk=pk)
    form = ReturnFiguresForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
    else:
        try:
            figures.return_figures(user, report, form.cleaned_data["reason"].strip())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The figures of %(unit)s are returned; its staff are told.") % {"unit": report.unit.name})
    return redirect("rectification:figures_report", unit_pk=report.unit_id, batch_pk=report.batch_id)


@login_required
def figures_list(request):
    """Who has reported the figures of a batch, who has not and by when, within what the user sees."""
    user = request.user
    batches = list(Batch.objects.filter(campaign__in=Campaign.objects.visible_to(user)).select_related("campaign").order_by("-start_date"))
    batch = None
    chosen = request.GET.get("batch", "")
    if chosen.isdigit():
        batch = next((b for b in batches if b.pk == int(chosen)), None)
    if batch is None and batches:
        batch = batches[0]
    rows = figures.reporting_status(user, batch) if batch else Participation.objects.none()
    missing_only = request.GET.get("missing") == "on"
    if missing_only:
        rows = rows.filter(Q(report_status__isnull=True) | Q(report_status=FigureReport.Status.RETURNED))
    # Counted no further than COUNT_CAP (pages beyond it are not offered), as the other lists.
    paginator = Paginator(rows, PAGE_SIZE)
    count = capped_count(rows)
    paginator.count = count.value
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "batches": batches,
        "batch": batch,
        "page": page,
        "count": count,
        "missing_only": missing_only,
        "late": batch is not None and batch.report_due is not None and today > batch.report_due,
    }
    return render(request, "rectification/figures_list.html", context)


@login_required
def figures_evidence(request, pk):
    """The evidence of a reported figure, to those who see the unit; 404 to others."""
    value = get_object_or_404(IndicatorValue.objects.visible_to(request.user), pk=pk)
    if not value.evidence:
        raise Http404
    try:
        handle = value.evidence.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    inline = value.evidence_type.startswith(("image/", "application/pdf"))
    response = FileResponse(handle, as_attachment=not inline, filename=value.evidence_name, content_type=value.evidence_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
