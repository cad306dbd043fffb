"""The public's pages under /public/: no account, phone first, no script needed.

Nothing here shows a person of the staff, a contact detail or an internal note.
"""

import secrets

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from campaign.models import Campaign, Unit
from public import board as board_service
from public import opinions, plans, ratelimit, surveys
from public.forms import OpinionForm, PlanCommentForm, StatusLookupForm, SurveyAnswerForm
from public.models import Opinion, RectificationPlan, SurveyMode, SurveyTarget
from public.models.opinions import normalise_receipt

from .guard import RATE_LIMITED, public_form

UNIT_CHOICES_MAX = 60
DEVICE_COOKIE = "survey_device"
DEVICE_COOKIE_AGE = 400 * 24 * 3600


def index(request):
    campaigns = Campaign.objects.select_related("issuing_unit").order_by("-start_date")
    return render(request, "public/index.html", {"campaigns": campaigns, "lookup": StatusLookupForm()})


def _campaign(pk):
    return get_object_or_404(Campaign.objects.select_related("issuing_unit"), pk=pk)


def _add_form_error(form, error):
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET", "POST"])
@public_form("opinion")
def opinion_form(request, campaign_pk, unit_pk=None):
    """Give an opinion on a unit; the unit is found by name (a GET search), or fixed by the unit's link."""
    campaign = _campaign(campaign_pk)
    all_units = opinions.campaign_units(campaign)
    fixed = get_object_or_404(all_units, pk=unit_pk) if unit_pk else None
    query = request.GET.get("q", "").strip()[:50]
    choices = all_units.order_by("path")
    if fixed is None and query:
        choices = choices.filter(name__icontains=query) | all_units.filter(short_name__icontains=query)
    form = OpinionForm(request.POST or None, units=all_units, fixed_unit=fixed)
    if request.method == "POST":
        if request.rate_limited:
            form.is_valid()
            form.add_error(None, RATE_LIMITED)
        elif form.is_valid():
            data = form.cleaned_data
            unit = fixed or data["unit"]
            try:
                opinion = opinions.submit_opinion(campaign, unit, data["text"], name=data["name"], phone=data["phone"])
            except ValidationError as error:
                _add_form_error(form, error)
            else:
                return redirect("public:receipt", code=opinion.receipt)
    form.fields["unit"].queryset = choices.distinct().order_by("path") if fixed is None else all_units
    status = 429 if getattr(request, "rate_limited", False) else 200
    context = {
        "campaign": campaign, "form": form, "fixed_unit": fixed, "query": query,
        "too_many": fixed is None and choices.count() > UNIT_CHOICES_MAX and not query,
    }  # fmt: skip
    return render(request, "public/opinion_form.html", context, status=status)


def receipt(request, code):
    """Just after submitting: the receipt code to keep, and where to look it up."""
    opinion = get_object_or_404(Opinion.objects.select_related("unit", "campaign"), receipt=normalise_receipt(code))
    return render(request, "public/receipt.html", {"opinion": opinion})


@public_form("status")
def status_lookup(request):
    form = StatusLookupForm(request.GET or None)
    if form.is_bound:
        if not ratelimit.allowed(request, "status"):
            form.is_valid()
            form.add_error(None, _("Too many look-ups from your network. Please try again in an hour."))
            return render(request, "public/status_lookup.html", {"form": form}, status=429)
        if form.is_valid():
            code = normalise_receipt(form.cleaned_data["code"])
            if Opinion.objects.filter(receipt=code).exists():
                return redirect("public:status", code=code)
            form.add_error("code", _("No opinion has this receipt code. Check the code on your receipt."))
    return render(request, "public/status_lookup.html", {"form": form})


def status(request, code):
    """What became of an opinion, read by its receipt code (rate-limited like the look-up)."""
    if not ratelimit.allowed(request, "status"):
        return render(request, "public/refused.html", {"message": _("Too many look-ups from your network. Please try again in an hour.")}, status=429)
    opinion = Opinion.objects.select_related("unit", "problem").filter(receipt=normalise_receipt(code)).first()
    if opinion is None:
        raise Http404
    return render(request, "public/status.html", {"status": opinions.public_status(opinion)})


def results_board(request, campaign_pk):
    campaign = _campaign(campaign_pk)
    context = {"campaign": campaign, "districts": board_service.board(campaign), "plans": plans.published_plans(campaign)}
    return render(request, "public/board.html", context)


def _published_plan(pk):
    rows = RectificationPlan.objects.published().select_related("unit", "batch", "batch__campaign")
    return get_object_or_404(rows, pk=pk)


@require_http_methods(["GET", "POST"])
@public_form("opinion")
def plan_page(request, pk):
    """A published plan as the public reads it (no names), with the comment form during the period."""
    plan = _published_plan(pk)
    version = plan.approved_version()
    campaign = plan.batch.campaign
    units = Unit.objects.filter(pk=plan.unit_id)
    form = PlanCommentForm(request.POST or None, units=units, fixed_unit=plan.unit) if plan.in_comment_period() else None
    if form is not None and request.method == "POST":
        if request.rate_limited:
            form.is_valid()
            form.add_error(None, RATE_LIMITED)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                opinion = opinions.submit_opinion(
                    campaign, plan.unit, data["text"], name=data["name"], phone=data["phone"], plan=plan
                )
            except ValidationError as error:
                _add_form_error(form, error)
            else:
                return redirect("public:receipt", code=opinion.receipt)
    context = {
        "plan": plan, "version": version, "campaign": campaign, "form": form,
        "content": plans.without_names(version.content if version else []),
    }  # fmt: skip
    return render(request, "public/plan.html", context, status=429 if getattr(request, "rate_limited", False) else 200)


@require_http_methods(["GET", "POST"])
@public_form("survey")
def survey(request, key):
    """Rate a unit: 满意 / 基本满意 / 不满意. Open link: one answer per device (a cookie)
    and a limit per address; printed slips: one answer per code."""
    target = get_object_or_404(SurveyTarget.objects.select_related("round", "unit", "round__campaign"), key=key.upper())
    survey_round = target.round
    with_code = survey_round.mode == SurveyMode.TOKENS
    initial = {"code": request.GET.get("t", "")[:20]} if with_code else None
    form = SurveyAnswerForm(request.POST or None, with_code=with_code, initial=initial)
    device = request.get_signed_cookie(DEVICE_COOKIE, default="", salt="survey")
    closed = not survey_round.is_open or survey_round.closes_on < timezone.localdate()
    done = False
    if request.method == "POST" and not closed:
        if request.rate_limited:
            form.is_valid()
            form.add_error(None, RATE_LIMITED)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                if with_code:
                    surveys.answer_with_token(target, data["code"], data["answer"], data["comment"])
                elif not device:
                    raise surveys.SurveyRefused(_("Your browser must accept cookies to answer this survey."))
                else:
                    surveys.answer_open(
                        target, data["answer"], data["comment"], device=device, address=ratelimit.client_address(request)
                    )
                done = True
            except ValidationError as error:
                _add_form_error(form, error)
    context = {
        "target": target, "round": survey_round, "form": form, "closed": closed, "done": done,
        "tasks": target.tasks.order_by("due_date") if survey_round.scope == "tasks" else [],
    }  # fmt: skip
    status_code = 429 if getattr(request, "rate_limited", False) else 200
    response = render(request, "public/survey.html", context, status=status_code)
    if not device and not with_code:
        response.set_signed_cookie(
            DEVICE_COOKIE, secrets.token_urlsafe(16), salt="survey", max_age=DEVICE_COOKIE_AGE,
            httponly=True, samesite="Lax", secure=request.is_secure(),
        )  # fmt: skip
    return response
