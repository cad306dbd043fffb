from campaign.scoping import is_administrator


def scope(request):
    """Flags the page header needs: whether the user may import units and use the admin."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"user_is_administrator": is_administrator(user) or user.is_superuser}
