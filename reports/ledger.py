"""The ledger (整改台账) of a scope as a page, an .xlsx in the office layout, or a .csv.

:func:`ledger_tasks` is one query (latest progress and evidence count as
subqueries); :func:`ledger_rows` turns it into the office layout.
"""

import datetime

import openpyxl
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment

from campaign.background import Source
from campaign.exports import append_row
from campaign.paging import Key, Keyset, keyset_chunks, parse_date, parse_int, parse_str
from rectification.ledger import layout
from rectification.models import Evidence, ProgressUpdate, Task, TaskStatus, WarningLevel

EXPORT_HEADERS = ("序号", "问题描述", "整改措施", "责任领导", "责任单位", "责任人", "整改时限", "完成情况", "证据数", "备注")
EXPORT_WIDTHS = (6, 36, 36, 10, 22, 10, 12, 36, 8, 24)
# The ledger's order, unit by unit, as on paper: keyset pages (campaign.paging).
ORDER = Keyset("ledger", (Key("unit_path", parse_str), Key("due_date", parse_date), Key("pk", parse_int)))
CHUNK = 2000


def ledger_tasks(user, within=None, batch=None):
    """The visible tasks of ``within``'s subtree and/or ``batch``, with their latest
    progress text and evidence count: one query."""
    tasks = Task.objects.visible_to(user)
    if within is not None:
        tasks = tasks.within(within)
    if batch is not None:
        tasks = tasks.filter(batch=batch)
    latest = ProgressUpdate.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk").values("text")[:1]
    evidence = (
        Evidence.objects.filter(task=OuterRef("pk")).order_by().values("task").annotate(n=Count("pk")).values("n")
    )
    return (
        tasks.select_related("unit", "problem")
        .annotate(
            latest_progress=Subquery(latest),
            evidence_count=Coalesce(Subquery(evidence, output_field=IntegerField()), Value(0)),
        )
        .order_by("unit_path", "due_date", "pk")
    )


def completion(task):
    """完成情况: the status, the progress and the latest progress text."""
    text = f"{task.get_status_display()}({task.progress}%)"
    if task.latest_progress:
        text += f"\n{task.latest_progress}"
    return text


def remarks(task):
    """备注: the original due date if extended, and the warning level if any."""
    parts = []
    if task.was_extended:
        parts.append(_("Extended; originally due %(date)s") % {"date": task.original_due_date.isoformat()})
    if task.status != TaskStatus.CLOSED and task.warning_level > WarningLevel.NONE:
        parts.append(str(task.get_warning_level_display()))
    return ";".join(parts)


def ledger_rows(tasks, start=1):
    """(task, [cells in EXPORT_HEADERS order]) for each task of :func:`ledger_tasks`,
    numbered from ``start``."""
    return [
        (
            task,
            [
                number,
                task.problem.title,
                task.measures,
                task.leader_name,
                task.unit.name,
                task.person_name,
                task.due_date,
                completion(task),
                task.evidence_count,
                remarks(task),
            ],
        )
        for number, task in enumerate(tasks, start=start)
    ]


def ledger_title(within=None, batch=None):
    """“××整改台账”: the scope's unit and batch."""
    return "".join(part for part in (within.name if within else "", batch.name if batch else "") if part) + "整改台账"


def ledger_workbook(rows, title):
    """The office layout: merged title row, header row, one row per task."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "整改台账"
    layout.title_row(sheet, title, len(EXPORT_HEADERS))
    append_row(sheet, list(EXPORT_HEADERS))
    layout.style_header(sheet, 2, len(EXPORT_HEADERS))
    wrap = Alignment(wrap_text=True, vertical="top")
    for _task, cells in rows:
        append_row(sheet, cells)  # texts as strings: a title like "=HYPERLINK(…)" never becomes a formula
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
        sheet.cell(row=sheet.max_row, column=7).number_format = "yyyy-mm-dd"
    for index, width in enumerate(EXPORT_WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    return layout.save(workbook)


def ledger_csv_rows(rows):
    """Header and rows for a CSV file (dates as YYYY-MM-DD)."""
    return [list(EXPORT_HEADERS)] + [
        [cell.isoformat() if isinstance(cell, datetime.date) else cell for cell in cells] for _task, cells in rows
    ]


def ledger_source(user, params):
    """The ledger of the scope in ``params`` (``within``, ``batch``) for a background export
    (campaign.background), read a keyset page at a time: the office layout, streamed."""
    from reports.forms import LedgerScopeForm

    form = LedgerScopeForm(params, user=user)
    if not form.is_valid():
        raise ValueError("the ledger's scope is not one the user may see")
    within, batch = form.cleaned_data["within"], form.cleaned_data["batch"]
    tasks = ledger_tasks(user, within, batch)

    def generate():
        number = 1
        for chunk in keyset_chunks(tasks, ORDER, CHUNK):
            for _task, cells in ledger_rows(chunk, start=number):
                yield cells
            number += len(chunk)

    return Source(
        title=ledger_title(within, batch),
        header=list(EXPORT_HEADERS),
        rows=generate(),
        total=tasks.order_by().count(),
        title_row=True,
        sheet_title="整改台账",
        widths=EXPORT_WIDTHS,
        wrap=True,
    )
