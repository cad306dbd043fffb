"""The summary as a Word file (.docx), beside the PDF: offices edit reports before they
send them. The same document as the PDF (reports.summary.document): title, issuing
unit and date, the three sections, the charts' figures as tables, the appendices."""

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"


def _font(run_or_style, name, size=None, bold=None):
    font = run_or_style.font
    font.name = name
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _table(document, header, rows):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = str(text)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = "" if text is None else str(text)
    return table


def summary_docx(doc):
    """The bytes of a .docx of ``doc`` (reports.summary.document)."""
    document = Document()
    _font(document.styles["Normal"], BODY_FONT, 14)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(doc["title"]), HEADING_FONT, 20, bold=True)
    meta = document.add_paragraph(f"{doc['issuer']} · {doc['date']}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in doc["sections"]:
        heading = document.add_paragraph()
        _font(heading.add_run(section["heading"]), HEADING_FONT, 16)
        if section.get("intro"):
            document.add_paragraph(section["intro"]).paragraph_format.first_line_indent = Pt(28)
        for item in section["items"]:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(28)
            _font(paragraph.add_run(item["lead"]), BODY_FONT, bold=True)
            paragraph.add_run("".join(item["texts"]))
            for chart in item.get("charts", ()):
                document.add_paragraph(chart.title).alignment = WD_ALIGN_PARAGRAPH.CENTER
                _table(document, chart.columns, chart.table())
    document.add_paragraph("附件:" + "  ".join(f"{n}. {name}" for n, name in enumerate(doc["appendices"], start=1)))
    sign = document.add_paragraph(f"{doc['issuer']}\n{doc['date']}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_page_break()
    document.add_paragraph(f"附件1  {doc['appendices'][0]}")
    _table(
        document,
        ("单位", "整改任务(项)", "已销号(项)", "完成率", "按期完成率", "超期未完成(项)", "督办(项)"),
        [(r["unit"], r["tasks"], r["closed"], r["rate_closed"], r["rate_on_time"], r["overdue"], r["escalated"])
         for r in doc["districts"]],
    )
    document.add_paragraph(f"附件2  {doc['appendices'][1]}")
    _table(
        document,
        ("序号", "责任单位", "整改任务", "整改时限", "超期天数"),
        [(n, r["unit"], r["task"].title, f"{r['task'].due_date.year}年{r['task'].due_date.month}月{r['task'].due_date.day}日", r["days"])
         for n, r in enumerate(doc["overdue"], start=1)],
    )
    if doc["surveys"]:
        document.add_paragraph(f"附件3  {doc['appendices'][2]}")
        _table(document, ("单位", "测评", "收回评价(份)", "满意率"),
               [(r["unit"], r["round"], r["answers"], r["rate"]) for r in doc["surveys"]])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
