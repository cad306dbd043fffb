"""What every page's header needs from the rectification app."""

from django.utils.functional import SimpleLazyObject


def notifications(request):
    """``unread_notifications``: how many unread notifications the user has.

    Lazy: the one COUNT over the partial index ``notification_unread`` runs
    only when a template shows the figure; nothing for anonymous visitors.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        return user.notifications.filter(read_at__isnull=True).count()

    return {"unread_notifications": SimpleLazyObject(count)}
