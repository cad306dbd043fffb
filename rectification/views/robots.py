"""A unit's group-chat robots (企业微信 / 钉钉), set up by its administrators (``ADMINISTER``).

A unit the user cannot see is 404; one they see but do not administer is 403
with the reason (campaign.permissions). The webhook's key and the signing
secret are shown masked, never in full. Saving, removing and the test message
are services (rectification/services.py); the test message leaves after the
commit, through the same delivery as every other message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Unit
from campaign.permissions import ADMINISTER
from rectification import services
from rectification.forms.robots import ChatRobotForm
from rectification.models import ChatRobot, RobotMessage

RECENT_MESSAGES = 20


def _robot(user, pk):
    robot = get_object_or_404(ChatRobot.objects.visible_to(user).select_related("unit"), pk=pk)
    permissions.require(user, ADMINISTER, robot)
    return robot


def _save(request, form, robot):
    """Validate and save through the service; errors from the service land on the form."""
    if not form.is_valid():
        return None
    try:
        return services.save_chat_robot(request.user, robot, **form.robot_fields())
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None


@login_required
def robot_list(request, unit_pk):
    """The unit's robots, with what they last sent, and the form to add one."""
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=unit_pk)
    permissions.require(request.user, ADMINISTER, unit)
    form = ChatRobotForm(request.POST or None, instance=ChatRobot(unit=unit))
    if request.method == "POST":
        robot = _save(request, form, ChatRobot(unit=unit))
        if robot is not None:
            messages.success(request, _("The robot %(name)s is saved.") % {"name": robot.name})
            return redirect("rectification:robot_list", unit_pk=unit.pk)
    robots = list(ChatRobot.objects.filter(unit=unit).order_by("name", "pk"))
    recent = (
        RobotMessage.objects.filter(robot__unit=unit)
        .select_related("robot")
        .only("title", "kind", "status", "attempts", "error", "created_at", "sent_at", "robot__name")
        .order_by("-created_at", "-pk")[:RECENT_MESSAGES]
    )
    context = {"unit": unit, "robots": robots, "form": form, "recent": recent}
    return render(request, "rectification/robot_list.html", context)


@login_required
def robot_edit(request, pk):
    robot = _robot(request.user, pk)
    form = ChatRobotForm(request.POST or None, instance=robot)
    if request.method == "POST":
        saved = _save(request, form, robot)
        if saved is not None:
            messages.success(request, _("The robot %(name)s is saved.") % {"name": saved.name})
            return redirect("rectification:robot_list", unit_pk=saved.unit_id)
        robot.refresh_from_db()  # the page shows what is stored, the form what was typed
    return render(request, "rectification/robot_form.html", {"robot": robot, "unit": robot.unit, "form": form})


@login_required
@require_POST
def robot_delete(request, pk):
    robot = _robot(request.user, pk)
    services.delete_chat_robot(request.user, robot)
    messages.success(request, _("The robot %(name)s is removed.") % {"name": robot.name})
    return redirect("rectification:robot_list", unit_pk=robot.unit_id)


@login_required
@require_POST
def robot_test(request, pk):
    robot = _robot(request.user, pk)
    services.send_robot_test(request.user, robot)
    messages.success(
        request, _("A test message to %(name)s is on its way; its result appears below.") % {"name": robot.name}
    )
    return redirect("rectification:robot_list", unit_pk=robot.unit_id)
