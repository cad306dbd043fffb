"""Absolute addresses of the site's pages, for messages read outside it.

An e-mail, an in-app notice and a group-chat robot's message all carry the
link of the task they are about. A bare path (``/rectification/tasks/31/``)
opens nothing in a mail client or a chat app, so every message link is made
absolute here from ``settings.SITE_URL``, which the system check
``campaign.E001`` (campaign/checks.py) requires in the production shape.
"""

from urllib.parse import urlsplit

from django.conf import settings


def absolute(path):
    """``path`` (a site path such as ``/rectification/tasks/31/``) as a full address on SITE_URL;
    an address that already has a scheme, or an empty one, is returned as it is."""
    if not path or urlsplit(path).scheme:
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def site_url_problem(value):
    """Why ``value`` cannot be the site's address (for operators, in English like Django's own checks), or None when it can:
    http or https, a host name, nothing after it but an optional port (no path, query, user or fragment)."""
    if not value:
        return "SITE_URL is not set."
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is no number
    except ValueError:
        return "SITE_URL is not an address: %s" % value
    if parts.scheme not in ("http", "https"):
        return "SITE_URL must start with https:// or http://: %s" % value
    if not parts.hostname or parts.username or parts.password:
        return "SITE_URL must name the site's host, and nothing else before it: %s" % value
    if parts.path.strip("/") or parts.query or parts.fragment:
        return "SITE_URL is the site's address only, with no path, query or fragment: %s" % value
    if any(char.isspace() for char in value):
        return "SITE_URL may not contain spaces: %s" % value
    return None
