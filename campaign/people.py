"""How people are named on pages and in messages."""


def person_name(user):
    """Chinese order, family name first and no space (张晓梅); the login name when
    no name is set; an empty string for nobody."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def supervision_roles(user):
    """[(group, role as people say it)] for ``user``'s supervision groups: 督导组组长
    for a group they lead, 督导组成员 for one they belong to (one query)."""
    from django.db.models import Q
    from django.utils.translation import gettext as _

    from campaign.models import SupervisionGroup

    groups = (
        SupervisionGroup.objects.filter(Q(leader=user) | Q(members=user))
        .distinct()
        .select_related("campaign")
        .order_by("name", "pk")
    )
    return [
        (group, _("Supervision group leader") if group.leader_id == user.pk else _("Supervision group member"))
        for group in groups
    ]
