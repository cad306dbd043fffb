"""需上级部门协调: a unit asks an upper department for help with a task; both sides
see the thread, reply in it, and either side marks it resolved."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Unit
from campaign.paging import Tally, capped_count
from campaign.permissions import REPORT
from rectification import services
from rectification.forms.coordination import CoordinationReplyForm, CoordinationRequestForm
from rectification.models import CoordinationRequest, Task

RESOLVED_SHOWN = 30
WAITING_SHOWN = 100


def visible_requests(user):
    """Requests from or to a unit the user sees (a department's staff see what is
    asked of them, whoever asks), and those the user asked."""
    return CoordinationRequest.objects.visible_to(user)


def _listed(requests):
    """Open ones first, oldest first; then the most recently resolved, up to RESOLVED_SHOWN."""
    resolved = CoordinationRequest.Status.RESOLVED
    waiting = requests.exclude(status=resolved)
    shown = list(waiting.order_by("created_at", "pk")[:WAITING_SHOWN])
    done = list(requests.filter(status=resolved).order_by("-resolved_at", "-pk")[: RESOLVED_SHOWN + 1])
    return {
        "waiting": shown,
        # A province's inbox may hold thousands: the oldest are listed, the rest counted (up to a cap).
        "waiting_count": capped_count(waiting) if len(shown) == WAITING_SHOWN else Tally(len(shown)),
        "waiting_shown": WAITING_SHOWN,
        "resolved": done[:RESOLVED_SHOWN],
        "more_resolved": len(done) > RESOLVED_SHOWN,
        "resolved_shown": RESOLVED_SHOWN,
    }


@login_required
def coordination_inbox(request):
    """Two lists: what is asked of units in the user's scope, and what they asked.

    A department's staff see what is asked of their department; a district's
    staff, supervisors and leaders see every request to or from a unit below them.
    """
    user = request.user
    requests = (
        visible_requests(user)
        .select_related("task", "from_unit", "to_unit")
        .annotate(reply_count=Count("replies"))
    )
    context = {
        "received": _listed(requests.filter(to_unit__in=Unit.objects.visible_to(user))),
        "sent": _listed(requests.filter(Q(from_unit__in=Unit.objects.visible_to(user)) | Q(created_by=user))),
    }
    return render(request, "rectification/coordination_inbox.html", context)


def _get_request(user, pk):
    queryset = visible_requests(user).select_related("task", "from_unit", "to_unit", "created_by", "resolved_by")
    return get_object_or_404(queryset, pk=pk)


def _thread_context(user, coordination, form=None):
    speaker = permissions.coordination_side(user, coordination)
    return {
        "coordination": coordination,
        "replies": coordination.replies.select_related("author", "unit"),
        "speaker": speaker,
        "is_resolved": coordination.status == CoordinationRequest.Status.RESOLVED,
        "form": form or CoordinationReplyForm(),
    }


@login_required
def coordination_detail(request, pk):
    coordination = _get_request(request.user, pk)
    return render(request, "rectification/coordination_detail.html", _thread_context(request.user, coordination))


@login_required
@require_POST
def coordination_reply(request, pk):
    coordination = _get_request(request.user, pk)
    form = CoordinationReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_coordination(coordination, request.user, form.cleaned_data["text"])
        except ValidationError as error:  # resolved meanwhile; a refusal (PermissionDenied) answers 403
            form.add_error(None, error)
        else:
            if not request.htmx:
                messages.success(request, _("Your reply was sent."))
                return redirect("rectification:coordination_detail", pk=pk)
            coordination.refresh_from_db()
            form = None
    context = _thread_context(request.user, coordination, form)
    template = "rectification/_coordination_thread.html" if request.htmx else "rectification/coordination_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def coordination_resolve(request, pk):
    coordination = _get_request(request.user, pk)
    if services.resolve_coordination(coordination, request.user):
        messages.success(request, _("The request is marked resolved."))
    return redirect("rectification:coordination_detail", pk=pk)


@login_required
def coordination_create(request):
    """Ask for coordination on a task (?task=<id>)."""
    task_id = request.GET.get("task", "")
    tasks = Task.objects.visible_to(request.user).select_related("unit")
    task = get_object_or_404(tasks, pk=int(task_id) if task_id.isdigit() else None)
    permissions.require(request.user, REPORT, task)
    form = CoordinationRequestForm(request.POST or None, task=task)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            coordination = services.ask_coordination(task, request.user, data["to_unit"], data["subject"], data["text"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your request was sent to %(unit)s.") % {"unit": data["to_unit"].name})
            return redirect("rectification:coordination_detail", pk=coordination.pk)
    return render(request, "rectification/coordination_form.html", {"form": form, "task": task})
