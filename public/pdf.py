"""Plans printed as PDF in the office format (WeasyPrint, Noto CJK, lang zh-Hans).

The URL fetcher serves the app's own static files and nothing else: no file://,
no address outside, no media (InvenTree's report/ habit)."""

from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


class RefusedFetch(ValueError):
    pass


def static_file(url):
    """The bytes and type of a ``/static/…`` URL (as the page links it); anything else is refused."""
    parsed = urlparse(url)
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
    mime = "text/css" if relative.endswith(".css") else "image/svg+xml" if relative.endswith(".svg") else "image/png"
    return data, mime


def static_only_fetcher():
    """A WeasyPrint URL fetcher that answers only the app's static files and ``data:`` URIs."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 70 and later

        class StaticOnly(urls.URLFetcher):
            def fetch(self, url, headers=None):
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                data, mime = static_file(url)
                return urls.URLFetcherResponse(url, data, {"Content-Type": mime})

        return StaticOnly(allowed_protocols=["data"])

    def fetch(url, *args, **kwargs):  # earlier WeasyPrint: a function returning a dict
        if url.startswith("data:"):
            return urls.default_url_fetcher(url, *args, **kwargs)
        data, mime = static_file(url)
        return {"string": data, "mime_type": mime, "redirected_url": url}

    return fetch


def render_pdf(template, context):
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url="static:///", url_fetcher=static_only_fetcher()).write_pdf()
