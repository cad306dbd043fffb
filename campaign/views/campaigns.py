from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView
from django_tables2.views import SingleTableMixin

from campaign.exports import ExportMixin
from campaign.filters import ParticipationFilterSet
from campaign.models import Campaign, Participation, Unit
from campaign.tables import ParticipationTable
from campaign.timeline import timeline


@login_required
def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    in_scope = Q(participations__unit__in=Unit.objects.visible_to(request.user))
    batches = list(
        campaign.batches.prefetch_related("phases").annotate(
            unit_count=Count("participations", filter=in_scope, distinct=True),
            members=Sum("participations__members_participated", filter=in_scope),
        )
    )
    rows, start, end, today_left = timeline(batches, timezone.localdate())
    context = {
        "campaign": campaign,
        "rows": rows,
        "start": start,
        "end": end,
        "today": timezone.localdate(),
        "today_left": today_left,
    }
    return render(request, "campaign/campaign_detail.html", context)


class ParticipationListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Participation of units in batches: one queryset, one FilterSet, one Table."""

    table_class = ParticipationTable
    filterset_class = ParticipationFilterSet
    template_name = "campaign/participation_list.html"
    paginate_by = 25
    export_name = _("Participation")

    def get_queryset(self):
        return Participation.objects.visible_to(self.request.user).select_related("unit", "batch")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = self.object_list.totals()
        return context
