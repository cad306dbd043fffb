"""System checks of our own, shown by ``manage.py check --deploy``."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.db.models import Q

PUBLISHED_DEMO_PASSWORD = "demo-pass-2026"  # in the README: anyone can read it
# The demo's logins (demo/data/people.yaml; campaign may not import the demo app, so they are named here).
DEMO_USERNAMES = ("staff", "supervisor", "inspector", "leader", "admin")
MAX_USERS_CHECKED = 200  # each check hashes a password (a fraction of a second): administrators come first


def _matches(raw, encoded):
    """hashers.check_password, not User.check_password, which would save an upgraded hash."""
    try:
        return check_password(raw, encoded)
    except ValueError:  # a hash by an algorithm no longer in PASSWORD_HASHERS: not the demo's
        return False


@register(Tags.security, deploy=True)
def check_demo_passwords(app_configs=None, **kwargs):
    """Warn about every active account that still logs in with the demo password:
    the demo's own logins, and superusers and staff of the Django admin."""
    from django.contrib.auth import get_user_model

    passwords = {PUBLISHED_DEMO_PASSWORD, settings.DEMO_PASSWORD} - {""}
    users = (
        get_user_model()
        .objects.filter(Q(username__in=DEMO_USERNAMES) | Q(is_superuser=True) | Q(is_staff=True), is_active=True)
        .exclude(password="")
        .exclude(password__startswith="!")  # no usable password
        .order_by("-is_superuser", "-is_staff", "pk")
    )
    try:
        users = list(users.values_list("username", "password")[:MAX_USERS_CHECKED])
    except DatabaseError:  # no database yet (before migrate): nothing to check
        return []
    weak = sorted(name for name, encoded in users if any(_matches(raw, encoded) for raw in passwords))
    if not weak:
        return []
    return [
        Warning(
            f"These accounts still log in with the demo password: {', '.join(weak)}.",
            hint="Give each a password of its own (manage.py changepassword NAME), or deactivate it; "
            "a production database should never have been given the demo (see DEMO in .env.example).",
            id="campaign.W001",
        )
    ]


@register(Tags.security)
def check_site_url(app_configs=None, **kwargs):
    """In the production shape (DATABASE_URL set) the site's address must be set and valid:
    every link in an e-mail, an in-app notice or a group-chat message is made from it.
    Not a deploy-only check: every manage.py command runs it, so ``migrate`` at start-up
    (scripts/setup.sh, `make run`) stops before a server sends a single unusable link."""
    from campaign.links import site_url_problem

    if not settings.DATABASE_URL:
        return []  # the embedded shape defaults to what `make run` serves
    problem = site_url_problem(settings.SITE_URL)
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint="Set SITE_URL to the address people type to reach the site, e.g. https://campaign.intranet "
            "(see .env.example and docs/deploy.md): links in notifications are made from it.",
            id="campaign.E001",
        )
    ]
