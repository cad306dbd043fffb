"""What every page's header needs from the rectification app."""

from django.utils.functional import SimpleLazyObject


def header(request):
    """Flags and counts for the page header, each computed only when shown.

    ``unread_notifications``: how many unread notifications the user has;
    ``user_is_supervisor``: whether the supervisors' pages belong in the menu;
    ``user_oversees``: whether the overdue dashboard does (supervisors, leaders, administrators).
    """
    context = notifications(request)
    user = getattr(request, "user", None)
    if context and user is not None:
        from rectification.queues import is_supervisor

        from campaign.permissions import OVERSEE, has_any

        context["user_is_supervisor"] = SimpleLazyObject(lambda: is_supervisor(user))
        context["user_oversees"] = SimpleLazyObject(lambda: has_any(user, OVERSEE))
    return context


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
