"""How people are named on pages and in messages."""


def person_name(user):
    """Chinese order, family name first and no space (张晓梅); the login name when
    no name is set; an empty string for nobody."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def supervision_roles(user):
    """[(group, role as people say it)] for ``user``'s supervision groups: 督导组组长
    for the group they lead, 督导组成员 for those they belong to (two queries)."""
    from django.utils.translation import gettext as _

    from campaign.models import SupervisionGroup

    led = list(SupervisionGroup.objects.filter(leader=user).select_related("campaign").order_by("name", "pk"))
    led_ids = {group.pk for group in led}
    joined = SupervisionGroup.objects.filter(members=user).exclude(pk__in=led_ids).select_related("campaign")
    return [(group, _("Supervision group leader")) for group in led] + [
        (group, _("Supervision group member")) for group in joined.order_by("name", "pk")
    ]
