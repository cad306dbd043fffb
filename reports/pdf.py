"""PDF rendering of the reports: WeasyPrint, Noto CJK (HarfBuzz subsetting), A4,
``lang="zh-Hans"``, their own print CSS (static/css/report-pdf.css).

Nothing is fetched but the app's own static files (public.pdf.static_only_fetcher:
no ``file://``, no other host). WeasyPrint's warnings during a render (a refused
fetch, a missing font, bad CSS) are collected and returned: the tests fail on any.
"""

import logging
from contextlib import contextmanager

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from public.pdf import static_only_fetcher


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def collected_warnings():
    """The WeasyPrint (and fontTools) warnings logged inside the block, as a list."""
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in ("weasyprint", "weasyprint.progress", "fontTools")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def stylesheet_url(name="css/report-pdf.css"):
    """The print CSS as the fetcher finds it: /static/<name>, unhashed (finders read the sources)."""
    return "/" + settings.STATIC_URL.strip("/") + "/" + name


class Rendered:
    def __init__(self, pdf, warnings, pages):
        self.pdf, self.warnings, self.pages = pdf, warnings, pages


def render(template, context, progress=None):
    """Render ``template`` with ``context`` to PDF; returns :class:`Rendered` (bytes, warnings, pages).
    ``progress(percent)`` is called between the steps (HTML, layout, PDF)."""
    from weasyprint import HTML

    context = {**context, "stylesheet": stylesheet_url()}
    with translation.override("zh-hans"), collected_warnings() as warnings:
        html = render_to_string(template, context)
        if progress:
            progress(40)
        document = HTML(string=html, base_url="static:///", url_fetcher=static_only_fetcher()).render()
        if progress:
            progress(80)
        pdf = document.write_pdf()
    return Rendered(pdf, list(warnings), len(document.pages))
