"""领导批示 (issue 11): a leader writes an instruction on a unit or a task (from the
dashboard or from the task's own page); the unit's staff and supervisors are told; the
unit answers with what it did (落实情况), which the leader reads beside the instruction.

From a task's page (``next`` is the task's address) a mistake shows the task's page
again with the instruction as typed; from elsewhere it goes back with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign import permissions
from campaign.models import Unit
from campaign.permissions import EDIT, Refused
from rectification import services
from rectification.forms.instructions import AnswerForm, InstructionForm, task_instruction_form
from rectification.models import Instruction, Task

from .tasks import Allowed, detail_context, visible_task

LIST_LENGTH = 100


def _back(request, default):
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


@login_required
@require_POST
def instruct(request):
    """Write a 批示 on ``unit`` (or ``task``); the unit and its supervisors are told."""
    permissions.require_any(request.user, permissions.INSTRUCT)
    task = unit = None
    if request.POST.get("task", "").isdigit():
        task = get_object_or_404(Task.objects.visible_to(request.user), pk=request.POST["task"])
    elif request.POST.get("unit", "").isdigit():
        unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=request.POST["unit"])
    else:
        messages.error(request, _("Choose the unit or the task the instruction is on."))
        return HttpResponseRedirect(_back(request, "/"))
    from_task_page = task is not None and request.POST.get("next") == task.get_absolute_url()
    form = task_instruction_form(request.POST) if from_task_page else InstructionForm(request.POST)
    if form.is_valid():
        try:
            instruction = services.give_instruction(request.user, unit, form.cleaned_data["text"], task=task)
        except services.TransitionRefused as refusal:
            form.add_error("text", refusal.messages)
    if not form.is_valid():
        if from_task_page:
            return _task_page_again(request, task, form)
        messages.error(request, _("Write the instruction."))
        return HttpResponseRedirect(_back(request, "/"))
    messages.success(request, _("Your instruction was sent to the unit and its supervisors."))
    return HttpResponseRedirect(_back(request, instruction.get_absolute_url()))


def _task_page_again(request, task, form):
    """The task's page again with the 批示 as typed and what is wrong with it."""
    task = visible_task(request, task.pk)
    allowed = Allowed.of(request.user, task)
    context = detail_context(request, task, allowed, instruction_form=form)
    context["failed_step"] = "instruction_form"
    return render(request, "rectification/task_detail.html", context)


@login_required
def instruction_list(request):
    """The instructions the user sees: a leader's own and those on their units, newest first."""
    rows = Instruction.objects.visible_to(request.user).select_related("unit", "task", "author").prefetch_related(
        "replies__author"
    )
    return render(request, "rectification/instruction_list.html", {"instructions": rows[:LIST_LENGTH]})


@login_required
def instruction_detail(request, pk):
    """One instruction with the unit's answers; its staff answer here."""
    instruction = get_object_or_404(
        Instruction.objects.visible_to(request.user).select_related("unit", "task", "author"), pk=pk
    )
    may_answer = permissions.may(request.user, EDIT, instruction)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if not may_answer:
            raise Refused(permissions.refusal(request.user, EDIT, instruction))
        if form.is_valid():
            try:
                services.answer_instruction(instruction, request.user, form.cleaned_data["text"])
            except ValidationError as error:
                form.add_error("text", error)
            else:
                messages.success(request, _("Your answer was sent to the leader."))
                return redirect(instruction)
    context = {
        "instruction": instruction,
        "replies": instruction.replies.select_related("author"),
        "form": form if may_answer else None,
    }
    return render(request, "rectification/instruction_detail.html", context)
