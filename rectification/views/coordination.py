"""需上级部门协调: a unit asks an upper department for help with a task; both sides
see the thread, reply in it, and either side marks it resolved."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign.models import Membership, Role
from campaign.scoping import unit_q
from rectification import services
from rectification.forms.coordination import CoordinationReplyForm, CoordinationRequestForm
from rectification.models import CoordinationRequest, Task
from rectification.permissions import can_report_progress

# Who speaks for a unit in a thread: its office staff, administrators and leaders.
SPEAKERS = {Role.STAFF, Role.ADMIN, Role.LEADER}
RESOLVED_SHOWN = 30


def visible_requests(user):
    """Requests from or to a unit the user sees (a department's staff see what is
    asked of them, whoever asks), and those the user asked."""
    return CoordinationRequest.objects.visible_to(user) | CoordinationRequest.objects.filter(created_by=user)


def speaking_unit(user, request):
    """The side ``user`` speaks for: the unit asked or the asking unit, whichever the
    user belongs to most closely (the unit asked on a tie); None for neither."""
    if user.is_superuser:
        return request.to_unit
    paths = list(Membership.objects.filter(user=user, role__in=SPEAKERS).values_list("unit__path", flat=True))
    best, closeness = None, 0
    for unit in (request.to_unit, request.from_unit):
        depth = max((p.count("/") for p in paths if unit.path.startswith(p)), default=0)
        if depth > closeness:
            best, closeness = unit, depth
    if best is None and request.created_by_id == user.pk:
        return request.from_unit
    return best


def _listed(requests):
    """Open ones first, oldest first; then the most recently resolved, up to RESOLVED_SHOWN."""
    resolved = CoordinationRequest.Status.RESOLVED
    waiting = list(requests.exclude(status=resolved).order_by("created_at", "pk"))
    done = list(requests.filter(status=resolved).order_by("-resolved_at", "-pk")[: RESOLVED_SHOWN + 1])
    return {
        "waiting": waiting,
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
        "received": _listed(requests.filter(unit_q(user, "to_unit__"))),
        "sent": _listed(requests.filter(unit_q(user, "from_unit__") | Q(created_by=user))),
    }
    return render(request, "rectification/coordination_inbox.html", context)


def _get_request(user, pk):
    queryset = visible_requests(user).select_related("task", "from_unit", "to_unit", "created_by", "resolved_by")
    return get_object_or_404(queryset, pk=pk)


def _thread_context(user, coordination, form=None):
    speaker = speaking_unit(user, coordination)
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
    speaker = speaking_unit(request.user, coordination)
    if speaker is None:
        raise PermissionDenied
    form = CoordinationReplyForm(request.POST)
    if coordination.status == CoordinationRequest.Status.RESOLVED:
        form.add_error(None, _("This request is resolved; it takes no more replies."))
    if form.is_valid():
        services.reply_coordination(coordination, request.user, speaker, form.cleaned_data["text"])
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
    if speaking_unit(request.user, coordination) is None:
        raise PermissionDenied
    if services.resolve_coordination(coordination, request.user):
        messages.success(request, _("The request is marked resolved."))
    return redirect("rectification:coordination_detail", pk=pk)


@login_required
def coordination_create(request):
    """Ask for coordination on a task (?task=<id>)."""
    task_id = request.GET.get("task", "")
    tasks = Task.objects.visible_to(request.user).select_related("unit")
    task = get_object_or_404(tasks, pk=int(task_id) if task_id.isdigit() else None)
    if not can_report_progress(request.user, task):
        raise PermissionDenied
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
