"""The supervisors' pages: the queue of decisions, urging, spot checks, accountability.

Every list is scoped by :mod:`rectification.queues` (what the user supervises)
or :mod:`rectification.spotchecks`; every decision goes through a service,
which checks the permission again and tells the unit once it commits.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2.views import SingleTableMixin

from campaign.exports import ExportMixin
from campaign.models import Unit
from campaign.paging import capped_count
from campaign.permissions import SUPERVISE
from rectification import queues, services, spotchecks
from rectification.filters import AccountabilityFilterSet, SpotCheckFilterSet
from rectification.forms.supervision import (
    AccountabilityForm,
    ExplanationReviewForm,
    ExtensionDecisionForm,
    SpotCheckFindingsForm,
    SpotCheckStartForm,
    UrgeForm,
    VerificationBulkForm,
)
from rectification.models import AccountabilityRecord, Explanation, ExtensionRequest, Task, Verification
from rectification.tables import AccountabilityTable, SpotCheckTable

# --- the queue ------------------------------------------------------------------

TABS = [
    ("verifications", gettext_lazy("Closing requests")),
    ("extensions", gettext_lazy("Extension requests")),
    ("explanations", gettext_lazy("Overdue explanations")),
    ("overdue", gettext_lazy("Overdue, not explained")),
]
PAGE_SIZE = 25


SOURCES = {
    "verifications": queues.pending_verifications,
    "extensions": queues.pending_extensions,
    "explanations": queues.unreviewed_explanations,
    "overdue": queues.unexplained_overdue,
}


def _render_queue(request, tab, *, bulk_form=None, row_forms=None, status=200):
    """The queue page; after a refused POST, with the user's forms as they typed them."""
    user = request.user
    # Counted up to a cap: a province's supervisor may have thousands waiting ("1,000+").
    counts = {name: capped_count(SOURCES[name](user, detailed=False)) for name, _label in TABS}
    if tab not in SOURCES:
        tab = next((name for name, _label in TABS if counts[name]), TABS[0][0])
    rows = SOURCES[tab](user)
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = counts[tab].value  # already counted for the tab's badge (pages beyond the cap: not offered)
    page = paginator.get_page(request.GET.get("page"))
    row_forms = row_forms or {}
    form_classes = {"extensions": ExtensionDecisionForm, "explanations": ExplanationReviewForm, "overdue": UrgeForm}
    if tab in form_classes:
        for item in page:
            prefix = f"{tab}-{item.pk}"
            item.form = row_forms.get(item.pk) or form_classes[tab](prefix=prefix)
    queue_url = reverse("rectification:queue")
    context = {
        "tab": tab,
        "queue_url": queue_url,
        # After a refused POST the page is shown at the action's URL: return to the queue from there.
        "next": request.get_full_path() if request.method == "GET" else _safe_next(request) or f"{queue_url}?tab={tab}",
        "tabs": [(name, label, counts[name]) for name, label in TABS],
        "page": page,
        "bulk_form": bulk_form or VerificationBulkForm(initial={"action": VerificationBulkForm.APPROVE}),
        "selected": set(bulk_form.data.getlist("ids")) if bulk_form is not None else set(),
    }
    return render(request, "rectification/queue.html", context, status=status)


def _safe_next(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _back(request, tab):
    """Where a queue action returns to: the page it was posted from, or the tab."""
    return redirect(_safe_next(request) or f"{reverse('rectification:queue')}?tab={tab}")


@login_required
def queue(request):
    queues.require_supervisor(request.user)
    return _render_queue(request, request.GET.get("tab"))


@login_required
@require_POST
def verification_bulk(request):
    """Close or return the ticked tasks, each through the service; report each refusal."""
    user = request.user
    queues.require_supervisor(user)
    form = VerificationBulkForm(request.POST)
    if not form.is_valid():
        errors = " ".join(error for field_errors in form.errors.values() for error in field_errors)
        messages.error(request, _("Nothing was decided: %(errors)s") % {"errors": errors})
        return _render_queue(request, "verifications", bulk_form=form)
    approve = form.cleaned_data["action"] == VerificationBulkForm.APPROVE
    note = form.cleaned_data["note"].strip()
    ids = form.cleaned_data["ids"]
    # Looked up in the whole supervision scope: what separation of duties keeps from
    # the user is refused by the service, with the reason, not silently skipped.
    pending = Verification.objects.restrict(user, SUPERVISE).filter(outcome=Verification.Outcome.PENDING)
    found = {item.pk: item for item in pending.select_related("task").filter(pk__in=ids)}
    done, missing = 0, 0
    for pk in dict.fromkeys(ids):
        item = found.get(pk)
        if item is None:
            missing += 1
            continue
        try:
            if approve:
                services.approve_closing(item.task, user, note)
            else:
                services.return_task(item.task, user, note)
            done += 1
        except PermissionDenied as refusal:
            messages.error(request, _("Not decided: “%(task)s”: %(reason)s") % {"task": item.task, "reason": refusal})
        except ValidationError as error:
            messages.error(request, _("Not decided: “%(task)s”: %(reason)s") % {"task": item.task, "reason": " ".join(error.messages)})
    if done:
        text = (
            ngettext("%(count)d task closed.", "%(count)d tasks closed.", done)
            if approve
            else ngettext("%(count)d task returned to its unit.", "%(count)d tasks returned to their units.", done)
        )
        messages.success(request, text % {"count": done})
    if missing:
        messages.warning(
            request,
            ngettext(
                "%(count)d selected request is no longer awaiting verification or is outside your scope.",
                "%(count)d selected requests are no longer awaiting verification or are outside your scope.",
                missing,
            )
            % {"count": missing},
        )
    return _back(request, "verifications")


@login_required
@require_POST
def extension_decide(request, pk):
    user = request.user
    queues.require_supervisor(user)
    extension = get_object_or_404(ExtensionRequest.objects.restrict(user, SUPERVISE).select_related("task"), pk=pk)
    form = ExtensionDecisionForm(request.POST, prefix=f"extensions-{pk}")
    if not form.is_valid():
        messages.error(request, _("The request for “%(task)s” was not decided: see below.") % {"task": extension.task})
        return _render_queue(request, "extensions", row_forms={extension.pk: form})
    try:
        extension = services.decide_extension(extension, user, form.approve, form.cleaned_data["note"].strip())
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
        return _back(request, "extensions")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request, "extensions")
    if form.approve:
        messages.success(
            request,
            _("“%(task)s” is now due on %(date)s.")
            % {"task": extension.task, "date": extension.requested_due_date.isoformat()},
        )
    else:
        messages.success(request, _("The extension for “%(task)s” was refused.") % {"task": extension.task})
    return _back(request, "extensions")


@login_required
@require_POST
def explanation_review(request, pk):
    user = request.user
    queues.require_supervisor(user)
    explanation = get_object_or_404(Explanation.objects.restrict(user, SUPERVISE).select_related("task"), pk=pk)
    form = ExplanationReviewForm(request.POST, prefix=f"explanations-{pk}")
    if not form.is_valid():
        return _render_queue(request, "explanations", row_forms={explanation.pk: form})
    try:
        services.review_explanation(explanation, user, form.cleaned_data["note"].strip(), accepted=form.accepted)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if form.accepted:
            messages.success(request, _("The explanation for “%(task)s” is accepted.") % {"task": explanation.task})
        else:
            messages.success(
                request,
                _("The explanation for “%(task)s” is not accepted: %(unit)s is asked to explain again.")
                % {"task": explanation.task, "unit": explanation.task.unit},
            )
    return _back(request, "explanations")


@login_required
@require_POST
def task_urge(request, pk):
    """催办: a message to the unit of an open task in the user's supervision scope."""
    user = request.user
    queues.require_supervisor(user)
    task = get_object_or_404(queues.supervised_tasks(user).select_related("unit"), pk=pk)
    form = UrgeForm(request.POST, prefix=f"overdue-{pk}")
    if not form.is_valid():
        messages.error(request, _("The urge to “%(task)s” was not sent: see below.") % {"task": task})
        return _render_queue(request, "overdue", row_forms={task.pk: form})
    try:
        services.urge(task, user, form.cleaned_data["message"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Urge sent to %(unit)s about “%(task)s”.") % {"unit": task.unit, "task": task})
    return _back(request, "overdue")


# --- spot checks ----------------------------------------------------------------


class SpotCheckListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    table_class = SpotCheckTable
    export_name = gettext_lazy("Spot checks")
    filterset_class = SpotCheckFilterSet
    template_name = "rectification/spotcheck_list.html"
    paginate_by = 25

    def get_queryset(self):
        user = self.request.user
        checks = spotchecks.visible_spot_checks(user)
        visible_units = Prefetch("units", queryset=Unit.objects.visible_to(user).order_by("path"))
        return spotchecks.with_counts(checks, user).prefetch_related(visible_units)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_record"] = spotchecks.groups_for(self.request.user).exists()
        return context


@login_required
def spotcheck_create(request):
    """Step 1 chooses the group, date, units and tasks (by hand or drawn); step 2 records a finding per item."""
    user = request.user
    if not spotchecks.groups_for(user).exists():
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("step") == "findings":
        form = SpotCheckFindingsForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            findings = form.findings()
            try:
                spot_check = spotchecks.record_spot_check(
                    data["group"], user, data["checked_on"], data["units"], findings, data["summary"],
                    unit_findings=form.unit_findings(), seed=data["seed"], sample_size=data["sample_size"],
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                failed = sum(1 for finding in findings if not finding.passed)
                messages.success(
                    request,
                    ngettext(
                        "Spot check recorded: %(count)d task checked, %(failed)d failed and returned for rectification again.",
                        "Spot check recorded: %(count)d tasks checked, %(failed)d failed and returned for rectification again.",
                        len(findings),
                    )
                    % {"count": len(findings), "failed": failed},
                )
                return redirect("rectification:spotcheck_detail", pk=spot_check.pk)
        return render(request, "rectification/spotcheck_findings.html", {"form": form})
    if request.method == "POST":
        start = SpotCheckStartForm(request.POST, user=user)
        if start.is_valid():
            data = start.cleaned_data
            initial = {"group": data["group"].pk, "checked_on": data["checked_on"], "units": list(data["units"])}
            if not start.by_hand:
                initial.update(seed=start.drawn_seed, sample_size=data["sample_size"])
            form = SpotCheckFindingsForm(user=user, tasks=start.tasks, initial=initial)
            return render(request, "rectification/spotcheck_findings.html", {"form": form, "start": start})
    else:
        start = SpotCheckStartForm(user=user)
    return render(request, "rectification/spotcheck_create.html", {"form": start})


@login_required
def spotcheck_detail(request, pk):
    user = request.user
    spot_check = get_object_or_404(spotchecks.with_counts(spotchecks.visible_spot_checks(user), user), pk=pk)
    findings = (
        spot_check.findings.filter(task__in=Task.objects.visible_to(user))
        .select_related("task", "task__unit")
        .order_by("passed", "task__unit_path", "task__pk")
    )
    unit_findings = (
        spot_check.unit_findings.filter(unit__in=Unit.objects.visible_to(user)).select_related("unit").order_by("passed", "unit__path")
    )
    context = {
        "spot_check": spot_check,
        "findings": findings,
        "unit_findings": unit_findings,
        "units": spotchecks.visible_units(spot_check, user),
    }
    return render(request, "rectification/spotcheck_detail.html", context)


# --- accountability -------------------------------------------------------------


class AccountabilityListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    table_class = AccountabilityTable
    filterset_class = AccountabilityFilterSet
    template_name = "rectification/accountability_list.html"
    paginate_by = 25
    export_name = gettext_lazy("Accountability records")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not spotchecks.can_read_accountability(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            spotchecks.visible_accountability(self.request.user)
            .select_related("unit", "recorded_by", "deciding_unit")
            .prefetch_related("tasks")
        )

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_record"] = spotchecks.can_record_accountability(self.request.user)
        return context


@login_required
def accountability_create(request):
    user = request.user
    if not spotchecks.can_record_accountability(user):
        raise PermissionDenied
    if request.method == "POST":
        form = AccountabilityForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = spotchecks.record_accountability(
                    user,
                    unit=data["unit"],
                    person_name=data["person_name"].strip(),
                    person_post=data["person_post"].strip(),
                    measure=data["measure"],
                    tasks=data["tasks"],
                    decided_on=data["decided_on"],
                    deciding_unit=data["deciding_unit"],
                    note=data["note"].strip(),
                    document=data["document"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Recorded: %(measure)s, %(unit)s.") % {"measure": record.get_measure_display(), "unit": record.unit},
                )
                return redirect("rectification:accountability_list")
    else:
        kept = ("unit", "person_name", "person_post", "measure", "decided_on", "deciding_unit", "note")
        form = AccountabilityForm(user=user, initial={key: request.GET[key] for key in kept if request.GET.get(key)})
    return render(request, "rectification/accountability_create.html", {"form": form})


@login_required
def accountability_document(request, pk):
    """The decision document of an accountability record, to those who see its unit (the unit
    concerned reads the decision on it, as its tasks' timelines show it); 404 to others."""
    record = get_object_or_404(AccountabilityRecord.objects.visible_to(request.user), pk=pk)
    if not record.document:
        raise Http404
    try:
        handle = record.document.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    inline = record.document_type.startswith(("image/", "application/pdf"))
    response = FileResponse(
        handle, as_attachment=not inline, filename=record.document_name, content_type=record.document_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
