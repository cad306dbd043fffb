"""Plans printed as PDF in the office format (WeasyPrint, Noto CJK, lang zh-Hans).

The URL fetcher serves the app's own static files and nothing else: no file://,
no address outside, no media (InvenTree's report/ habit)."""

from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


class RefusedFetch(ValueError):
    pass


def static_only_fetcher(url, *args, **kwargs):
    """Only ``/static/…`` (as the page links it) from the static folders; anything else is refused."""
    from weasyprint.urls import default_url_fetcher

    parsed = urlparse(url)
    if parsed.scheme == "data":
        return default_url_fetcher(url, *args, **kwargs)
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if parsed.scheme not in ("", "static") or parsed.netloc or not parsed.path.startswith(prefix):
        raise RefusedFetch(f"refused: {url}")
    relative = unquote(parsed.path[len(prefix):])
    if ".." in relative.split("/"):
        raise RefusedFetch(f"refused: {url}")
    found = finders.find(relative)
    if not found:
        raise RefusedFetch(f"not a static file: {url}")
    with open(found, "rb") as handle:
        data = handle.read()
    mime = "text/css" if relative.endswith(".css") else None
    return {"string": data, "mime_type": mime, "encoding": "utf-8" if mime else None, "redirected_url": url}


def render_pdf(template, context):
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url="static:///", url_fetcher=static_only_fetcher).write_pdf()
