from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from campaign.models import Unit


@login_required
def unit_tree(request):
    return render(request, "campaign/unit_tree.html", {"units": Unit.objects.visible_to(request.user)})


@login_required
def unit_detail(request, pk):
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=pk)
    return render(request, "campaign/unit_detail.html", {"unit": unit})
