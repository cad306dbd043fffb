from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView
from django_tables2.views import SingleTableMixin

from campaign import permissions, rollups
from campaign.exports import ExportMixin
from campaign.filters import ParticipationFilterSet
from campaign.models import Campaign, Participation, Unit
from campaign.paging import Key, Keyset, KeysetListMixin, Tally, capped_count, parse_int
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


# Unit by unit (the order of the unique index on unit and batch): keyset pages.
PARTICIPATION_SORTS = {"": Keyset("unit", (Key("unit_id", parse_int), Key("batch_id", parse_int)))}


class ParticipationListView(LoginRequiredMixin, ExportMixin, KeysetListMixin, SingleTableMixin, FilterView):
    """Participation of units in batches: one queryset, one FilterSet, one Table; keyset
    pages; totals and count from the roll-ups when the list is a scope."""

    table_class = ParticipationTable
    filterset_class = ParticipationFilterSet
    template_name = "campaign/participation_list.html"
    keysets = PARTICIPATION_SORTS
    export_name = _("Participation")

    def scope_totals(self):
        """The roll-up totals when only the scope (within, batch) is filtered; else None."""
        if not hasattr(self, "_scope_totals"):
            self._scope_totals = None
            form = self.filterset.form
            if form.is_valid():
                data = form.cleaned_data
                if not {name for name, value in data.items() if value not in (None, "", False)} - {"within", "batch"}:
                    units = [data["within"]] if data.get("within") else permissions.outermost_unit_ids(self.request.user)
                    self._scope_totals = rollups.participation_totals(units, batch=data.get("batch"))
        return self._scope_totals

    def list_count(self, rows):
        totals = self.scope_totals()
        return Tally(totals["units"]) if totals is not None else capped_count(rows)

    def get_queryset(self):
        return Participation.objects.visible_to(self.request.user).select_related("unit", "batch")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        totals = self.scope_totals()
        if totals is None and not self.page.count.capped:
            totals = self.object_list.totals()  # a filtered list of at most COUNT_CAP rows
        context["totals"] = totals
        return context
