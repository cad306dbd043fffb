"""Printable slips with initial passwords: A4, a page per unit, one slip per person.

Each slip says the site's address, the person's name, unit and role, their
login and initial password, and that the password must be changed at the
first login. Made with WeasyPrint from ``campaign/slips.html``; nothing is
fetched while rendering (no file:// or network URLs).
"""

from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from campaign.models import Membership

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "slips.css"


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"slips fetch nothing: {url}")


def site_address(request=None):
    """The address people type to reach the site: SITE_URL, else the request's own."""
    if settings.SITE_URL:
        return settings.SITE_URL + "/"
    return request.build_absolute_uri("/") if request is not None else "/"


def slip_pages(slips):
    """[(unit, [slip, …])] from (unit, user, password) triples sorted by unit, with each person's roles there."""
    user_ids = {user.pk for _unit, user, _password in slips}
    roles = {}
    for membership in Membership.objects.filter(user_id__in=user_ids):
        roles.setdefault((membership.user_id, membership.unit_id), []).append(membership.get_role_display())
    pages = []
    for unit, group in groupby(slips, key=lambda slip: slip[0]):
        entries = [
            {"user": user, "password": password, "roles": "、".join(roles.get((user.pk, unit.pk), []))}
            for _unit, user, password in group
        ]
        pages.append((unit, entries))
    return pages


def slips_pdf(slips, request=None):
    """The PDF bytes of the slips (unit, user, password), grouped by unit."""
    from weasyprint import CSS, HTML

    context = {
        "pages": slip_pages(slips),
        "site": site_address(request),
        "made_at": timezone.localtime(),
        "max_age_days": settings.INITIAL_PASSWORD_MAX_AGE_DAYS,
    }
    html = render_to_string("campaign/slips.html", context, request=request)
    document = HTML(string=html, url_fetcher=_refuse_fetch)
    return document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET), url_fetcher=_refuse_fetch)])
