from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from campaign.models import Campaign, IndicatorValue, Membership, Participation, Phase, Unit


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    campaigns = list(Campaign.objects.visible_to(user).select_related("issuing_unit"))
    current_phases = (
        Phase.objects.filter(batch__campaign__in=campaigns, start_date__lte=today, end_date__gte=today)
        .select_related("batch")
        .order_by("batch__number")
    )
    context = {
        "memberships": Membership.objects.filter(user=user).select_related("unit").order_by("unit__path"),
        "groups": user.supervision_groups.all(),
        "campaigns": campaigns,
        "current_phases": current_phases,
        "today": today,
        "unit_count": Unit.objects.visible_to(user).count(),
        "totals": Participation.objects.visible_to(user).totals(),
        "indicators": IndicatorValue.objects.visible_to(user).rollup(),
    }
    return render(request, "home.html", context)
