"""The three reports, each from its parameters (a unit's subtree, a batch or all, an
as-of date) to a PDF: :func:`make` returns (PDF bytes, figures, warnings)."""

from django.utils import timezone

from . import facts as facts_module
from . import pdf, summary
from .models import ReportKind


def summary_context(unit, batch=None, as_of=None):
    f = facts_module.facts(unit, batch=batch, as_of=as_of)
    texts = summary.narrative(unit, batch, f)
    return f, {"doc": summary.document(f, texts)}


def make(kind, unit, *, batch=None, as_of=None, number="", progress=None, user=None):
    """Render report ``kind``; returns (:class:`reports.pdf.Rendered`, figures as JSON)."""
    as_of = as_of or timezone.localdate()
    if kind == ReportKind.SUMMARY:
        f, context = summary_context(unit, batch, as_of)
        figures = f.as_json()
        template = "reports/pdf/summary.html"
    elif kind == ReportKind.LEDGER:
        from . import ledger_pdf

        context, figures = ledger_pdf.context(unit, batch, as_of)
        template = "reports/pdf/ledger.html"
    elif kind == ReportKind.CIRCULAR:
        from . import circular

        context, figures = circular.context(unit, batch, as_of, number)
        template = "reports/pdf/circular.html"
    else:
        raise ValueError(kind)
    if progress:
        progress(20)
    rendered = pdf.render(template, context, progress=progress)
    figures["pages"] = rendered.pages
    return rendered, figures
