from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from campaign import rollups as campaign_rollups
from campaign.models import Campaign, Membership, Phase, Unit
from campaign.paging import capped_count
from campaign.people import supervision_roles
from campaign.permissions import EXPLAIN, SUPERVISE
from public import dashboard as public_dashboard
from rectification import figures, queues, rollups
from rectification.models import Task

EXPLAIN_LIST_LENGTH = 10


@login_required
def home(request):
    """Everyone's first page: their units, the campaign under way, and what needs doing.

    Staff see their own units' overdue tasks that still need an explanation,
    supervisors what waits for their decision, everyone the figures of their scope:
    read from the roll-ups of the outermost units they see (a constant number of
    queries, a province as fast as a community).
    """
    user = request.user
    today = timezone.localdate()
    campaigns = list(Campaign.objects.visible_to(user).select_related("issuing_unit"))
    scope = rollups.scope_units(user)
    # Everyone's scope, the units whose overdue tasks the user explains, and those the
    # user supervises: one read of the roll-ups for all of them.
    explained = rollups.scope_units(user, EXPLAIN)
    supervised = rollups.scope_units(user, SUPERVISE) if queues.is_supervisor(user) else []
    found = rollups.figures_for({*scope, *explained, *supervised}, today=today)
    # The demand to explain goes to those who keep the unit's ledger (its office
    # staff, 填报员), for the tasks of their own units: not to leaders reading the
    # figures, nor to administrators of the whole city.
    own_tasks = Task.objects.restrict(user, EXPLAIN)
    context = {
        "memberships": Membership.objects.filter(user=user).select_related("unit").order_by("unit__path"),
        "groups": supervision_roles(user),
        "campaigns": campaigns,
        "current_phases": Phase.objects.filter(
            batch__campaign__in=campaigns, start_date__lte=today, end_date__gte=today
        ).select_related("batch").order_by("batch__number"),
        "today": today,
        "unit_count": Unit.objects.visible_to(user).count(),
        "totals": campaign_rollups.participation_totals(scope),
        "indicators": campaign_rollups.indicator_totals(scope),
        "task_counts": rollups.Figures.total(found[pk] for pk in scope).as_counts(),
        "to_explain": list(
            own_tasks.needing_explanation().with_related().order_by("due_date", "pk")[:EXPLAIN_LIST_LENGTH]
        ),
        "to_explain_count": rollups.Figures.total(found[pk] for pk in explained).unexplained,
        "figures_to_report": figures.to_report(user, today),
    }
    context.update(public_dashboard.home_context(user))
    if queues.is_supervisor(user):
        context["to_decide"] = {
            "verifications": capped_count(queues.pending_verifications(user, detailed=False)),
            "extensions": capped_count(queues.pending_extensions(user, detailed=False)),
            "explanations": capped_count(queues.unreviewed_explanations(user, detailed=False)),
            "overdue": rollups.Figures.total(found[pk] for pk in supervised).unexplained,
        }
    return render(request, "reports/home.html", context)
