"""领导批示 told: the instruction to the unit's staff and its supervisors, the answer
(落实情况) to the leader who wrote it (issue 11)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import Role
from campaign.people import person_name
from rectification.models import Instruction, InstructionReply, Notification

from .base import INSTRUCTION, addresses, build, save_new, unit_name
from .recipients import Audience
from .robots import tell_unit_robots


def instruction_recipients(instruction):
    """The staff of the instruction's unit (or the nearest unit above with staff), and its
    supervisors: supervisors by membership over it and members of the groups watching it."""
    unit = instruction.unit
    chain = unit.ancestor_ids()
    users = Audience({unit}).staff(unit)
    for (_unit_id, _role), people in permissions.people_by_unit(chain, (Role.SUPERVISOR,)).items():
        users |= people
    for groups in permissions.groups_by_unit(chain).values():
        for _campaign_id, people in groups:
            users |= people
    users.discard(instruction.author_id)
    return users


def _queue(key, queue_emails):
    if queue_emails is not None:
        queue_emails(Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).values_list("pk", flat=True))


def notify_instruction(instruction, queue_emails=None, queue_robots=None):
    """The unit's staff and supervisors in person, and the unit's group-chat robots."""
    instruction = Instruction.objects.select_related("unit", "task", "author").get(pk=instruction.pk)
    recipients = instruction_recipients(instruction)
    with translation.override(settings.LANGUAGE_CODE):
        context = {"leader": person_name(instruction.author), "unit": unit_name(instruction.unit), "text": instruction.text}
        title = _("Instruction from %(leader)s on %(unit)s") % context
        body = _("%(leader)s instructs %(unit)s:\n%(text)s") % context
        if instruction.task_id:
            body += "\n" + _("Task: %(task)s") % {"task": instruction.task.title}
    key = f"instruction:{instruction.pk}"
    made = save_new(
        build(recipients, addresses(recipients), task=instruction.task, kind=INSTRUCTION, key=key, title=title[:200],
              body=body, url=instruction.get_absolute_url())
    )  # fmt: skip
    _queue(key, queue_emails)
    posted = tell_unit_robots(instruction.unit, INSTRUCTION, key, title, body, instruction.get_absolute_url())
    if queue_robots is not None and posted:
        queue_robots(posted)
    return made


def notify_instruction_answered(reply, queue_emails=None, queue_robots=None):
    """The leader who wrote the instruction, in person only (``queue_robots`` unused)."""
    reply = InstructionReply.objects.select_related("instruction__unit", "author").get(pk=reply.pk)
    instruction = reply.instruction
    leader = {instruction.author_id}
    with translation.override(settings.LANGUAGE_CODE):
        context = {"unit": unit_name(instruction.unit), "author": person_name(reply.author), "text": reply.text}
        title = _("%(unit)s reports what it did on your instruction") % context
        body = _("%(author)s (%(unit)s):\n%(text)s") % context
    key = f"instruction-reply:{reply.pk}"
    made = save_new(
        build(leader, addresses(leader), task=instruction.task, kind=INSTRUCTION, key=key, title=title[:200], body=body,
              url=instruction.get_absolute_url())
    )  # fmt: skip
    _queue(key, queue_emails)
    return made
