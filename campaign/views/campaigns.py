from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.generic import ListView

from campaign.models import Campaign, Participation


@login_required
def campaign_detail(request, pk):
    return render(request, "campaign/campaign_detail.html", {"campaign": get_object_or_404(Campaign, pk=pk)})


class ParticipationListView(ListView):
    model = Participation

    def get_queryset(self):
        return Participation.objects.visible_to(self.request.user)
