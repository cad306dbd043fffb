from django.utils.functional import SimpleLazyObject

from campaign import permissions
from campaign.permissions import ADMINISTER, EDIT


def header(request):
    """``user_treats_opinions`` and ``user_marks_board``: menu entries of the public's side, computed when shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_treats_opinions": SimpleLazyObject(lambda: permissions.has_any(user, EDIT)),
        "user_marks_board": SimpleLazyObject(lambda: permissions.has_any(user, ADMINISTER)),
    }
