"""What rectification does when accounts change (campaign.signals).

- A deactivated person's e-mails still waiting to go are dropped; the
  notifications stay in their history.
- A unit left without office staff: the staff and administrators of the unit
  above (the nearest unit above that has any) are told, in the app and by
  e-mail, once a day at most per unit.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import Role

from .models import Notification

UNIT_WITHOUT_STAFF = "unit_without_staff"


def drop_waiting_email(sender, user, **kwargs):
    return Notification.objects.filter(
        user=user, email_status__in=(Notification.Email.PENDING, Notification.Email.SENDING)
    ).update(email_status=Notification.Email.NONE, email_error="account deactivated")


def warn_unit_above(sender, unit, **kwargs):
    """Tell the unit above that ``unit`` has no office staff account; returns how many were told."""
    from .notify.base import addresses, build, save_new
    from .tasks import queue_email_delivery

    recipients = _upper_people(unit)
    if not recipients:
        return 0
    key = f"{UNIT_WITHOUT_STAFF}:{unit.pk}:{timezone.localdate().isoformat()}"
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(unit)s has no office staff account") % {"unit": unit.display_name}
        body = _(
            "%(unit)s has no active office staff (填报员) account left, so nobody keeps its ledger. "
            "Give it one: import its people, or add a staff member to it."
        ) % {"unit": unit.name}
    made = save_new(
        build(recipients, addresses(recipients), kind=UNIT_WITHOUT_STAFF, key=key, title=title[:200], body=body,
               url=reverse("campaign:unit_detail", args=[unit.pk]))
    )  # fmt: skip
    queue_email_delivery(
        Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).values_list("pk", flat=True)
    )
    return made


def _upper_people(unit):
    """Active staff and administrators of the nearest unit above ``unit`` that has any."""
    above = unit.ancestor_ids()[:-1]
    holders = permissions.people_by_unit(above, (Role.STAFF, Role.ADMIN))
    for unit_id in reversed(above):
        people = holders.get((unit_id, Role.STAFF), set()) | holders.get((unit_id, Role.ADMIN), set())
        if people:
            return people
    return set()
