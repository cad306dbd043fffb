"""The opinions queue of a unit's staff: accept as a problem, merge, forward, decline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Campaign
from campaign.permissions import EDIT
from public import opinions
from public.forms import AcceptForm, DeclineForm, ForwardForm, MergeForm
from public.models import Opinion, OpinionStatus, PublicSettings


def _campaign_for(request):
    campaigns = list(Campaign.objects.visible_to(request.user).order_by("-start_date"))
    chosen = request.GET.get("campaign", "")
    campaign = next((c for c in campaigns if str(c.pk) == chosen), campaigns[0] if campaigns else None)
    return campaigns, campaign


@login_required
def opinion_queue(request):
    permissions.require_any(request.user, EDIT)
    campaigns, campaign = _campaign_for(request)
    rows, counts = Opinion.objects.none(), {"total": 0, "yellow": 0, "red": 0}
    show = request.GET.get("show", "untreated")
    if campaign is not None:
        rows = opinions.queue(request.user, campaign)
        counts = opinions.counts(request.user, campaign)
        rows = rows.untreated().order_by("submitted_at", "pk") if show == "untreated" else rows.order_by("-submitted_at", "-pk")
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    now = timezone.now()
    for opinion in page:
        opinion.age_days = (now - opinion.submitted_at).days
    context = {"campaigns": campaigns, "campaign": campaign, "page": page, "counts": counts, "show": show}
    return render(request, "public/staff/opinion_queue.html", context)


def _visible(request, pk):
    rows = Opinion.objects.restrict(request.user, EDIT).select_related("unit", "campaign", "plan", "problem", "treated_by")
    return get_object_or_404(rows, pk=pk)


def _forms(request, opinion, bound=None):
    forms = {
        "accept": AcceptForm(opinion=opinion, initial={
            "title": opinion.text[:60].replace("\n", " "), "batch": opinions.batch_of(opinion.unit, opinion.campaign),
        }),  # fmt: skip
        "merge": MergeForm(problems=opinions.mergeable_problems(request.user, opinion)),
        "forward": ForwardForm(units=opinions.forward_targets(opinion)),
        "decline": DeclineForm(),
    }
    if bound:
        forms.update(bound)
    return forms


@login_required
def opinion_detail(request, pk, bound=None, status=200):
    opinion = _visible(request, pk)
    settings_ = PublicSettings.of(opinion.campaign_id)
    age = (timezone.now() - opinion.submitted_at).days
    level = 0
    if opinion.status == OpinionStatus.NEW:
        level = 2 if age >= settings_.opinion_red_days else 1 if age >= settings_.opinion_yellow_days else 0
    context = {
        "opinion": opinion,
        "age_days": age,
        "level": level,
        "sees_contact": permissions.sees_contact_details(request.user, opinion),
        "steps": opinion.steps.select_related("from_unit", "to_unit", "by"),
        "forms": _forms(request, opinion, bound) if opinion.status == OpinionStatus.NEW else None,
    }
    return render(request, "public/staff/opinion_detail.html", context, status=status)


def _treat(request, pk, form_name, form, act, done_message):
    opinion = _visible(request, pk)
    if form.is_valid():
        try:
            act(opinion, form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, done_message)
            return redirect("public_staff:opinion_detail", pk=opinion.pk)
    return opinion_detail(request, pk, bound={form_name: form}, status=200)


@login_required
@require_POST
def opinion_accept(request, pk):
    opinion = _visible(request, pk)
    form = AcceptForm(request.POST, opinion=opinion)

    def act(o, data):
        opinions.accept(o, request.user, title=data["title"], category=data["category"], batch=data["batch"])

    return _treat(request, pk, "accept", form, act, _("Accepted: the opinion is now a problem of the unit's ledger."))


@login_required
@require_POST
def opinion_merge(request, pk):
    opinion = _visible(request, pk)
    form = MergeForm(request.POST, problems=opinions.mergeable_problems(request.user, opinion))
    return _treat(
        request, pk, "merge", form, lambda o, data: opinions.merge(o, request.user, data["problem"]),
        _("Merged into the problem."),
    )  # fmt: skip


@login_required
@require_POST
def opinion_forward(request, pk):
    opinion = _visible(request, pk)
    form = ForwardForm(request.POST, units=opinions.forward_targets(opinion))

    def act(o, data):
        opinions.forward(o, request.user, data["to_unit"], data["note"])

    opinion_unit = opinion.unit
    result = _treat(request, pk, "forward", form, act, _("Forwarded."))
    if result.status_code == 302 and not Opinion.objects.restrict(request.user, EDIT).filter(pk=pk).exists():
        # forwarded out of the user's scope: back to the queue
        messages.info(request, _("%(unit)s no longer holds it.") % {"unit": opinion_unit.display_name})
        return redirect("public_staff:opinion_queue")
    return result


@login_required
@require_POST
def opinion_decline(request, pk):
    form = DeclineForm(request.POST)
    return _treat(
        request, pk, "decline", form, lambda o, data: opinions.decline(o, request.user, data["reason"]),
        _("Declined; the person who wrote it reads your reason with their receipt code."),
    )  # fmt: skip
