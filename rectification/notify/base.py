"""Notification rows: their kinds, and making each once per (user, key)."""


from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy

from rectification.models import (
    Notification,
)

ALERT, REMINDER, DIGEST, URGE, DECISION, REQUEST = "alert", "reminder", "digest", "urge", "decision", "request"
INSTRUCTION = "instruction"
KIND_LABELS = {
    ALERT: gettext_lazy("Warning"),
    REMINDER: gettext_lazy("Deadline reminder"),
    DIGEST: gettext_lazy("Daily digest"),
    URGE: gettext_lazy("Urged"),
    DECISION: gettext_lazy("Decision"),
    REQUEST: gettext_lazy("To decide"),
    INSTRUCTION: gettext_lazy("Leader's instruction"),
}

BATCH_SIZE = 200


def addresses(user_ids):
    """{user id: e-mail address or ""} of the active users among ``user_ids``."""
    if not user_ids:
        return {}
    rows = get_user_model().objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "email")
    return {pk: (email or "").strip() for pk, email in rows}


def build(user_ids, addresses, **fields):
    """Unsaved notifications for the active users among ``user_ids``."""
    return [
        Notification(
            user_id=user_id,
            email_status=Notification.Email.PENDING if addresses[user_id] else Notification.Email.NONE,
            **fields,
        )
        for user_id in sorted(user_ids)
        if user_id in addresses
    ]


def save_new(notifications):
    """Insert the notifications whose (user, key) is not taken yet; return how
    many were new. The unique constraint settles races with a concurrent run."""
    if not notifications:
        return 0
    keys = {n.key for n in notifications}
    taken = set(
        Notification.objects.filter(key__in=keys, user_id__in={n.user_id for n in notifications}).values_list(
            "user_id", "key"
        )
    )
    new = [n for n in notifications if (n.user_id, n.key) not in taken]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def task_url(task):
    return reverse("rectification:task_detail", args=[task.pk])


def unit_name(unit):
    return unit.display_name


