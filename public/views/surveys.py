"""Survey rounds for supervisors: open, print links, QR codes and slips, read results, close."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Campaign, Unit
from campaign.permissions import SUPERVISE
from public import qr, surveys
from public.forms import SurveyRoundForm
from public.models import SurveyTarget


@login_required
def survey_list(request):
    context = {
        "rounds": surveys.visible_rounds(request.user),
        "may_open": permissions.has_any(request.user, SUPERVISE),
        "flagged": surveys.flagged_units(request.user)[:50],
    }
    return render(request, "public/staff/survey_list.html", context)


@login_required
def survey_create(request):
    permissions.require_any(request.user, SUPERVISE)
    campaigns = Campaign.objects.visible_to(request.user).order_by("-start_date")
    campaign = campaigns.filter(pk=request.GET.get("campaign") or request.POST.get("campaign") or 0).first() or campaigns.first()
    if campaign is None:
        raise permissions.Refused(_("You see no campaign."))
    units = Unit.objects.restrict(request.user, SUPERVISE).within(campaign.issuing_unit).order_by("path")
    form = SurveyRoundForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = surveys.open_round(
                request.user, campaign, title=data["title"], mode=data["mode"], scope=data["scope"],
                units=data["units"], closes_on=data["closes_on"], tokens_per_unit=data["tokens_per_unit"] or 0,
                per_address_limit=data["per_address_limit"],
            )  # fmt: skip
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Round opened: print each unit's notice or slips."))
            return redirect("public_staff:survey_detail", pk=survey.pk)
    return render(request, "public/staff/survey_form.html", {"form": form, "campaign": campaign, "campaigns": campaigns})


def _round(request, pk):
    return get_object_or_404(surveys.visible_rounds(request.user), pk=pk)


@login_required
def survey_detail(request, pk):
    survey = _round(request, pk)
    keys = dict(SurveyTarget.objects.visible_to(request.user).filter(round=survey).values_list("pk", "key"))
    tallies = [t for t in surveys.tallies(survey) if t.target_id in keys]
    for tally in tallies:
        tally.key = keys[tally.target_id]
    context = {
        "round": survey,
        "tallies": tallies,
        "may_manage": surveys.may_manage(request.user, survey),
    }
    return render(request, "public/staff/survey_detail.html", context)


@login_required
@require_POST
def survey_close(request, pk):
    survey = _round(request, pk)
    try:
        surveys.close_round(survey, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        flagged = survey.targets.filter(below_threshold=True).count()
        messages.success(request, _("Round closed: %(n)s unit(s) under the threshold.") % {"n": flagged})
    return redirect("public_staff:survey_detail", pk=survey.pk)


def _managed_target(request, pk):
    target = get_object_or_404(SurveyTarget.objects.select_related("round", "unit", "round__campaign"), pk=pk)
    if not SurveyTarget.objects.visible_to(request.user).filter(pk=pk).exists():
        from django.http import Http404

        raise Http404
    if not surveys.may_manage(request.user, target.round):
        raise permissions.Refused(_("Only the supervisors of this round print its links and codes."))
    return target


def survey_url(request, target, code=""):
    url = request.build_absolute_uri(reverse("public:survey", args=[target.key]))
    return f"{url}?t={code}" if code else url


@login_required
def target_qr(request, pk, kind):
    if kind not in ("svg", "png"):
        from django.http import Http404

        raise Http404
    target = _managed_target(request, pk)
    url = survey_url(request, target)
    if kind == "svg":
        return HttpResponse(qr.qr_svg(url), content_type="image/svg+xml")
    response = HttpResponse(qr.qr_png(url), content_type="image/png")
    response["Content-Disposition"] = f"attachment; filename=survey-{target.key}.png"
    return response


@login_required
def target_notice(request, pk):
    """An A4 notice to print and put up: the unit, the question, the QR code and the link."""
    target = _managed_target(request, pk)
    return render(request, "public/staff/survey_notice.html", {"target": target, "url": survey_url(request, target)})


@login_required
def target_slips(request, pk):
    """The unused one-time codes as slips to cut out, each with its own QR code."""
    target = _managed_target(request, pk)
    tokens = target.tokens.filter(used_at__isnull=True).order_by("pk")
    slips = [(token.code, qr.qr_data_uri(survey_url(request, target, token.code), scale=3)) for token in tokens]
    return render(request, "public/staff/survey_slips.html", {"target": target, "slips": slips, "url": survey_url(request, target)})
