"""Plans (整改方案): the unit's staff draft and submit, the unit above reviews, the unit publishes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Participation
from campaign.permissions import EDIT, REVIEW, VIEW
from public import plans
from public.forms import PreambleForm, PublishForm, ReviewForm
from public.models import PlanStatus, PublicSettings, RectificationPlan
from public.pdf import render_pdf


@login_required
def plan_list(request):
    context = {
        "participations": plans.participations(request.user, VIEW)[:300],
        "to_review": plans.to_review(request.user),
        "counts": plans.dashboard_counts(request.user),
    }
    plan_rows = RectificationPlan.objects.visible_to(request.user).values_list("unit_id", "batch_id", "pk", "status")
    context["plans"] = {(unit_id, batch_id): (pk, status) for unit_id, batch_id, pk, status in plan_rows}
    context["statuses"] = dict(PlanStatus.choices)
    return render(request, "public/staff/plan_list.html", context)


@login_required
def plan_start(request, participation_pk):
    """The unit's plan for the batch (created as a draft the first time its staff open it)."""
    participation = get_object_or_404(Participation.objects.visible_to(request.user), pk=participation_pk)
    existing = RectificationPlan.objects.filter(unit=participation.unit_id, batch=participation.batch_id).first()
    if existing is None:
        permissions.require(request.user, EDIT, participation)
        existing = plans.plan_for(participation)
    return redirect("public_staff:plan_detail", pk=existing.pk)


def _plan(request, pk):
    rows = RectificationPlan.objects.select_related("unit", "batch", "batch__campaign", "submitted_by")
    visible = rows.filter(pk__in=RectificationPlan.objects.visible_to(request.user).values("pk")) | rows.filter(
        pk__in=RectificationPlan.objects.restrict(request.user, REVIEW).values("pk")
    )
    return get_object_or_404(visible, pk=pk)


@login_required
def plan_detail(request, pk, **bound):
    plan = _plan(request, pk)
    user = request.user
    may_edit = permissions.may(user, EDIT, plan)
    review_refusal = permissions.refusal(user, REVIEW, plan) if plan.status == PlanStatus.SUBMITTED else None
    default_until = timezone.localdate() + timezone.timedelta(days=PublicSettings.of(plan.batch.campaign_id).comment_period_days)
    context = {
        "plan": plan,
        "content": plans.assemble(plan),
        "versions": plan.versions.select_related("submitted_by", "decided_by"),
        "may_edit": may_edit and plan.status in plans.EDITABLE,
        "may_publish": may_edit and plan.status == PlanStatus.APPROVED,
        "may_review": plan.status == PlanStatus.SUBMITTED and review_refusal is None,
        "review_refusal": review_refusal if permissions.has_any(user, REVIEW) else None,
        "preamble_form": bound.get("preamble_form") or PreambleForm(initial={"preamble": plan.preamble}),
        "review_form": bound.get("review_form") or ReviewForm(),
        "publish_form": bound.get("publish_form") or PublishForm(initial={"comment_until": default_until}),
        "comments": plan.comments.count(),
    }
    return render(request, "public/staff/plan_detail.html", context)


def _errors_to(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_POST
def plan_edit(request, pk):
    plan = _plan(request, pk)
    form = PreambleForm(request.POST)
    permissions.require(request.user, EDIT, plan)
    if form.is_valid():
        try:
            plans.save_preamble(plan, request.user, form.cleaned_data["preamble"])
            if "submit" in request.POST:
                version = plans.submit(plan, request.user)
                messages.success(request, _("Version %(n)s submitted to the unit above for review.") % {"n": version.number})
            else:
                messages.success(request, _("Preamble saved."))
            return redirect("public_staff:plan_detail", pk=plan.pk)
        except ValidationError as error:
            _errors_to(form, error)
    return plan_detail(request, pk, preamble_form=form)


@login_required
@require_POST
def plan_review(request, pk):
    plan = _plan(request, pk)
    permissions.require(request.user, REVIEW, plan)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                plans.approve(plan, request.user, form.cleaned_data["reason"])
                messages.success(request, _("Plan approved; its unit can now publish it."))
            else:
                plans.return_plan(plan, request.user, form.cleaned_data["reason"])
                messages.success(request, _("Plan returned with your reason."))
            return redirect("public_staff:plan_detail", pk=plan.pk)
        except ValidationError as error:
            _errors_to(form, error)
    return plan_detail(request, pk, review_form=form)


@login_required
@require_POST
def plan_publish(request, pk):
    plan = _plan(request, pk)
    permissions.require(request.user, EDIT, plan)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            plans.publish(plan, request.user, form.cleaned_data["comment_until"])
            messages.success(request, _("Published on the public board; comments flow into the opinions queue."))
            return redirect("public_staff:plan_detail", pk=plan.pk)
        except ValidationError as error:
            _errors_to(form, error)
    return plan_detail(request, pk, publish_form=form)


@login_required
def plan_pdf(request, pk):
    plan = _plan(request, pk)
    version = plan.versions.first()  # the newest version, else the draft as it reads today
    context = {
        "plan": plan,
        "preamble": version.preamble if version and plan.status != PlanStatus.DRAFT else plan.preamble,
        "content": version.content if version and plan.status != PlanStatus.DRAFT else plans.assemble(plan),
        "version": version if plan.status != PlanStatus.DRAFT else None,
        "today": timezone.localdate(),
    }
    pdf = render_pdf("public/pdf/plan.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=plan-{plan.pk}.pdf"
    return response
