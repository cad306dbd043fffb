from django import template

from campaign.people import person_name

register = template.Library()


@register.filter(name="person")
def person(user):
    """``{{ user|person }}``: the user's name, family name first."""
    return person_name(user)
