from campaign import permissions
from campaign.permissions import ADMINISTER, OPERATE, OVERSEE


def scope(request):
    """Flags the page header needs: whether the user may import units, run operations, use the admin
    and make reports (no query more: the user's access is read once per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_is_administrator": permissions.has_any(user, ADMINISTER),
        "user_is_operator": permissions.has_any(user, OPERATE),
        "user_oversees": permissions.has_any(user, OVERSEE),  # the leaders' reports
    }
