"""How people are named on pages and in messages."""


def person_name(user):
    """Chinese order, family name first and no space (张晓梅); the login name when
    no name is set; an empty string for nobody."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()
