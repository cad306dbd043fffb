"""The ledger PDF (landscape, headers on every page, more rows more pages, merged problem
cells), the overdue circular (文号, worst units, explanations and urges) and the command."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from campaign.models import Batch, Unit
from rectification.models import Task, TaskStatus
from reports import documents
from tests.factories import ProblemFactory, TaskFactory
from tests.reports import pdfs

pytestmark = pytest.mark.django_db


def make(kind, unit, **kwargs):
    rendered, figures = documents.make(kind, unit, **kwargs)
    assert rendered.warnings == [], rendered.warnings
    return rendered, figures


def test_the_ledger_grows_page_by_page_with_its_headers(demo_city):
    district = Unit.objects.get(short_name="乌达区")
    batch = Batch.objects.get(number=2)
    small, figures = make("ledger", district)
    assert figures["tasks"] == Task.objects.filter(unit_path__startswith=district.path).count()
    problem = ProblemFactory(unit=district, batch=batch, title="一个问题多项措施")
    for n in range(120):
        TaskFactory(problem=problem, unit=district, batch=batch, measures=f"第{n + 1}项整改措施,落实到人。",
                    start_date=datetime.date(2026, 7, 1))
    big, figures = make("ledger", district)
    assert big.pages > small.pages + 2
    pages = pdfs.pages(big.pdf)
    for page in pages:
        flat = page.replace("\n", "").replace(" ", "")
        assert "问题描述" in flat and "整改措施" in flat and "责任单位" in flat  # headers on every page
    text = pdfs.text(big.pdf)
    assert "中共乌达区委员会整改台账" in text
    # One problem, many measures: the problem is printed once per page it spans, not per row.
    assert text.count("一个问题多项措施") < 120 / 4
    assert pdfs.uncovered(big.pdf) == set()
    # Landscape A4.
    from pypdf import PdfReader
    import io

    box = PdfReader(io.BytesIO(big.pdf)).pages[0].mediabox
    assert float(box.width) > float(box.height)


def test_the_circular_names_the_worst_units_with_their_reasons(demo_city):
    city = Unit.objects.get(short_name="乌海市")
    rendered, figures = make("circular", city, number="乌教活办〔2026〕12号")
    text = pdfs.text(rendered.pdf)
    today = rendered and figures["as_of"]
    overdue = Task.objects.filter(unit_path__startswith=city.path, due_date__lt=datetime.date.fromisoformat(today)).exclude(
        status=TaskStatus.CLOSED
    )
    assert figures["overdue"] == overdue.count()
    assert "督办通报" in text and "乌教活办〔2026〕12号" in text
    assert f"共有超期未完成整改任务{overdue.count()}项" in text
    oldest = overdue.order_by("due_date").first()
    assert (oldest.unit.short_name or oldest.unit.name) in text
    explanation = oldest.explanations.order_by("-created_at").first()
    if explanation is not None:
        assert explanation.text[:10] in text
    assert pdfs.first_page_ink(rendered.pdf) > 0.005


def test_the_command_writes_each_report(demo_city, tmp_path):
    for kind in ("summary", "ledger", "circular"):
        output = tmp_path / f"{kind}.pdf"
        call_command("render_report", kind, "--unit", "乌海市", "--batch", "2", "--as-of", "2026-11-28",
                     "--output", str(output))
        assert output.read_bytes().startswith(b"%PDF")
    assert "2026年11月28日" in pdfs.text((tmp_path / "summary.pdf").read_bytes())
    call_command("render_report", "summary", "--unit", "150304", "--output", str(tmp_path / "code.pdf"))
    assert "中共乌达区委员会" in pdfs.text((tmp_path / "code.pdf").read_bytes())
    with pytest.raises(CommandError):
        call_command("render_report", "summary", "--unit", "没有这个单位", "--output", str(tmp_path / "x.pdf"))


def test_no_ledger_row_is_split_across_pages(demo_city):
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import HTML

    from public.pdf import static_only_fetcher
    from reports import ledger_pdf, pdf

    district = Unit.objects.get(short_name="乌达区")
    batch = Batch.objects.get(number=2)
    problem = ProblemFactory(unit=district, batch=batch, title="长措施的问题")
    for n in range(40):
        TaskFactory(problem=problem, unit=district, batch=batch, start_date=datetime.date(2026, 7, 1),
                    measures="一是逐户走访,摸清底数;二是制定方案,明确时限;三是跟踪督办,逐项销号。" * (1 + n % 4))
    context, _ = ledger_pdf.context(district, None, timezone.localdate())
    html = render_to_string("reports/pdf/ledger.html", {**context, "stylesheet": pdf.stylesheet_url()})
    document = HTML(string=html, base_url="static:///", url_fetcher=static_only_fetcher()).render()
    assert len(document.pages) > 2

    def rows(box):
        if type(box).__name__ == "TableRowBox" and box.element_tag == "tr":
            yield box.element
        for child in getattr(box, "children", ()):
            yield from rows(child)

    seen = {}
    for number, page in enumerate(document.pages):
        for element in set(rows(page._page_box)):
            seen.setdefault(id(element), set()).add(number)
    split = {key: pages for key, pages in seen.items() if len(pages) > 1}
    # Only the header row (repeated on purpose) is on several pages.
    assert len(split) == 1 and len(next(iter(split.values()))) == len(document.pages), split
