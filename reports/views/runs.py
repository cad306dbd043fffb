"""The leaders' reports: the summary's narrative and check page, asking for a report,
its progress and its download. Who may: OVERSEE over the report's unit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.permissions import OVERSEE
from reports import facts, runs, summary
from reports.forms import NarrativeForm, ReportRequestForm, ReportScopeForm
from reports.models import ReportRun, RunStatus
from reports.tasks import render_report

RECENT_RUNS = 20


def _default_unit(user):
    from campaign.models import Unit

    ids = permissions.outermost_unit_ids(user, OVERSEE)
    return Unit.objects.filter(pk__in=ids[:1]).first()


@login_required
def summary_page(request):
    """The summary of a scope before it is rendered: the check page (figures without data)
    and the narrative paragraphs, drafted from the facts, edited here with their history."""
    permissions.require_any(request.user, OVERSEE)
    data = request.GET.copy()
    if not data.get("unit") and not data.get("unit_search"):
        unit = _default_unit(request.user)
        if unit is not None:
            data["unit"] = str(unit.pk)
    scope = ReportScopeForm(data, user=request.user)
    context = {"scope": scope, "form": None}
    if scope.is_valid():
        unit, batch = scope.cleaned_data["unit"], scope.cleaned_data["batch"]
        as_of = scope.cleaned_data["as_of"] or timezone.localdate()
        f = facts.facts(unit, batch=batch, as_of=as_of)
        kept = summary.stored(unit, batch)
        texts = summary.narrative(unit, batch, f)
        versions = {key: n.version for key, n in kept.items()}
        if request.method == "POST":
            form = NarrativeForm(request.POST, texts=texts, versions=versions)
            if form.is_valid():
                try:
                    changed = summary.save_narrative(
                        unit, batch, form.texts(), form.versions(), request.user, current=texts
                    )
                except summary.EditedMeanwhile as clash:
                    for key in clash.keys:
                        form.add_error(key, _("Someone else saved this paragraph meanwhile: copy your text, reload and edit again."))
                else:
                    messages.success(request, _("%(count)d paragraphs saved.") % {"count": changed})
                    return redirect(f"{request.path}?{request.GET.urlencode()}")
        else:
            form = NarrativeForm(texts=texts, versions=versions)
        history = (
            summary.Narrative.history.filter(unit=unit, batch=batch)
            .select_related("history_user", "updated_by")
            .order_by("-history_date")[:10]
        )
        context.update(
            form=form, unit=unit, batch=batch, as_of=as_of, facts=f, missing=f.missing,
            title=summary.title(f), history=history,
            scope_query=urlencode(
                {"unit": unit.pk, **({"batch": batch.pk} if batch else {}), "as_of": as_of.isoformat()}
            ),
            request_form=ReportRequestForm(
                user=request.user,
                initial={"kind": "summary", "unit": unit.pk, "batch": batch.pk if batch else None, "as_of": as_of},
            ),
        )
    return render(request, "reports/summary.html", context)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def summary_docx(request):
    """The summary of a scope as a Word file, made at once (no PDF to lay out)."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from reports import documents, word

    permissions.require_any(request.user, OVERSEE)
    scope = ReportScopeForm(request.GET, user=request.user)
    if not scope.is_valid():
        raise Http404
    unit, batch = scope.cleaned_data["unit"], scope.cleaned_data["batch"]
    as_of = scope.cleaned_data["as_of"] or timezone.localdate()
    _facts, context = documents.summary_context(unit, batch, as_of)
    response = HttpResponse(word.summary_docx(context["doc"]), content_type=DOCX_TYPE)
    name = f"{unit.short_name or unit.name}{batch.name if batch else ''}总结报告-{as_of:%Y%m%d}.docx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
def run_list(request):
    """Ask for a report (POST) and see the recent runs of the user's scope."""
    permissions.require_any(request.user, OVERSEE)
    if request.method == "POST":
        form = ReportRequestForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            run, reused = runs.request_run(
                request.user, data["kind"], data["unit"], batch=data["batch"],
                as_of=data["as_of"] or timezone.localdate(), number=data["number"],
                queue=render_report.delay_on_commit,
            )
            if reused:
                messages.info(request, _("The same report was made a moment ago: here it is."))
            return redirect("reports:run_detail", pk=run.pk)
    else:
        form = ReportRequestForm(user=request.user, initial={"kind": "summary", "as_of": timezone.localdate()})
    recent = (
        ReportRun.objects.restrict(request.user, OVERSEE)
        .select_related("unit", "batch", "requested_by")
        .order_by("-created_at", "-pk")[:RECENT_RUNS]
    )
    return render(request, "reports/runs.html", {"form": form, "runs": recent})


def _run(request, pk):
    return get_object_or_404(ReportRun.objects.restrict(request.user, OVERSEE).select_related("unit", "batch"), pk=pk)


@login_required
def run_detail(request, pk):
    """A run's progress (htmx asks again every two seconds until it is finished) and its download."""
    run = _run(request, pk)
    template = "reports/_run_status.html" if request.htmx else "reports/run_detail.html"
    return render(request, template, {"run": run})


@login_required
def run_download(request, pk):
    """The PDF as it was stored when the run was made, byte for byte."""
    run = _run(request, pk)
    if run.status != RunStatus.DONE or not run.file:
        raise Http404
    return FileResponse(run.file.open("rb"), as_attachment=True, filename=run.filename(), content_type="application/pdf")


