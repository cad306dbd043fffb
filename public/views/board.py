"""The office chooses which tasks the public results board shows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Campaign
from campaign.permissions import ADMINISTER
from public import board
from rectification.models import Task


@login_required
def board_edit(request):
    permissions.require_any(request.user, ADMINISTER)
    campaigns = Campaign.objects.visible_to(request.user).order_by("-start_date")
    campaign = campaigns.filter(pk=request.GET.get("campaign") or 0).first() or campaigns.first()
    tasks = board.markable_tasks(request.user, campaign)[:500] if campaign else []
    return render(request, "public/staff/board_edit.html", {"campaigns": campaigns, "campaign": campaign, "tasks": tasks})


@login_required
@require_POST
def board_mark(request, task_pk):
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=task_pk)
    public = request.POST.get("public") == "1"
    board.mark(task, request.user, public)
    messages.success(request, _("“%(task)s” is on the public board.") % {"task": task.title} if public
                     else _("“%(task)s” is off the public board.") % {"task": task.title})
    return redirect(reverse("public_staff:board_edit") + f"?campaign={task.batch.campaign_id}")
