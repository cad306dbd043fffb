"""The in-app inbox: marking a user's own notifications read."""


from django.utils import timezone

from rectification.models import (
    Notification,
)


def mark_read(user, notification_id):
    """Mark one of the user's own notifications read; True when it was unread."""
    return bool(
        Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(read_at=timezone.now())
    )


def mark_all_read(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


