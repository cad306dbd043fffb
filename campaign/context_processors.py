from campaign import permissions
from campaign.permissions import ADMINISTER, OPERATE


def scope(request):
    """Flags the page header needs: whether the user may import units, run operations and use the admin."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_is_administrator": permissions.has_any(user, ADMINISTER),
        "user_is_operator": permissions.has_any(user, OPERATE),
    }
