from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from campaign.models import Campaign, IndicatorValue, Membership, Participation, Phase, Unit
from campaign.permissions import EXPLAIN
from public import dashboard as public_dashboard
from rectification import queues
from rectification.models import Task

EXPLAIN_LIST_LENGTH = 10


@login_required
def home(request):
    """Everyone's first page: their units, the campaign under way, and what needs doing.

    Staff see their own units' overdue tasks that still need an explanation,
    supervisors what waits for their decision, everyone the figures of their scope.
    """
    user = request.user
    today = timezone.localdate()
    campaigns = list(Campaign.objects.visible_to(user).select_related("issuing_unit"))
    visible_tasks = Task.objects.visible_to(user)
    # The demand to explain goes to those who keep the unit's ledger (its office
    # staff, 填报员), for the tasks of their own units: not to leaders reading the
    # figures, nor to administrators of the whole city.
    own_tasks = Task.objects.restrict(user, EXPLAIN)
    context = {
        "memberships": Membership.objects.filter(user=user).select_related("unit").order_by("unit__path"),
        "groups": user.supervision_groups.all(),
        "campaigns": campaigns,
        "current_phases": Phase.objects.filter(
            batch__campaign__in=campaigns, start_date__lte=today, end_date__gte=today
        ).select_related("batch").order_by("batch__number"),
        "today": today,
        "unit_count": Unit.objects.visible_to(user).count(),
        "totals": Participation.objects.visible_to(user).totals(),
        "indicators": IndicatorValue.objects.visible_to(user).rollup(),
        "task_counts": visible_tasks.counts(),
        "to_explain": list(
            own_tasks.needing_explanation().with_related().order_by("due_date", "pk")[:EXPLAIN_LIST_LENGTH]
        ),
        "to_explain_count": own_tasks.needing_explanation().count(),
    }
    context.update(public_dashboard.home_context(user))
    if queues.is_supervisor(user):
        context["to_decide"] = {
            "verifications": queues.pending_verifications(user, detailed=False).count(),
            "extensions": queues.pending_extensions(user, detailed=False).count(),
            "explanations": queues.unreviewed_explanations(user, detailed=False).count(),
            "overdue": queues.unexplained_overdue(user, detailed=False).count(),
        }
    return render(request, "reports/home.html", context)
