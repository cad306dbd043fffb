"""The ledger (整改台账) of a scope as a page, an .xlsx in the office layout, or a .csv.

:func:`ledger_tasks` is one query (latest progress and evidence count as
subqueries); :func:`ledger_rows` turns it into the office layout.
"""

import datetime

import openpyxl
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment

from campaign import permissions
from campaign.background import Source
from campaign.exports import append_row
from campaign.models import Unit
from campaign.paging import Key, Keyset, keyset_chunks, parse_date, parse_int, parse_str
from rectification.ledger import layout
from rectification.models import Evidence, ProgressUpdate, Task, TaskStatus, WarningLevel

# The columns as offices write them, each one the import reads back
# (rectification.ledger.importer: 任务编号 updates the task it names).
EXPORT_HEADERS = (
    "序号", "任务编号", "问题描述", "整改措施", "责任领导", "责任单位", "责任人", "整改时限", "整改类型", "问题来源",
    "完成情况", "佐证材料（份）", "备注",
)  # fmt: skip
EXPORT_WIDTHS = (5, 8, 30, 32, 9, 18, 9, 11, 11, 10, 30, 8, 18)
DUE_COLUMN = EXPORT_HEADERS.index("整改时限") + 1
PROBLEM_COLUMN = EXPORT_HEADERS.index("问题描述") + 1
# The task's version at the export: a hidden last column of the file, so that an
# import refuses a row whose task someone else changed since (never on screen).
VERSION_HEADER = "版本号"
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
    return layout.completion(task.get_status_display(), task.progress, task.latest_progress)


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
                task.pk,
                task.problem.title,
                task.measures,
                task.leader_name,
                task.unit.name,
                task.person_name,
                task.due_date,
                str(task.get_term_display()),
                str(task.problem.get_source_display()),
                completion(task),
                task.evidence_count,
                remarks(task),
            ],
        )
        for number, task in enumerate(tasks, start=start)
    ]


def ledger_title(within=None, batch=None, today=None):
    """“××单位整改台账（截至2026年11月30日）”: the scope's unit and batch, and the day."""
    today = today or timezone.localdate()
    scope = "".join(part for part in (within.name if within else "", batch.name if batch else "") if part)
    return f"{scope}整改台账（截至{today.year}年{today.month}月{today.day}日）"


def title_unit(user, within):
    """The unit a ledger's title names: the chosen one, or the user's own highest unit."""
    if within is not None:
        return within
    own = permissions.access(user).member_unit_ids
    return Unit.objects.filter(pk__in=own).order_by("depth", "path").first()


def ledger_workbook(rows, title):
    """The office layout: merged title row, header row, one row per task; landscape
    A4 with the title and header rows on every printed page; the hidden version column."""
    width = len(EXPORT_HEADERS)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "整改台账"
    layout.title_row(sheet, title, width)
    append_row(sheet, [*EXPORT_HEADERS, VERSION_HEADER])
    layout.style_header(sheet, 2, width)
    wrap = Alignment(wrap_text=True, vertical="top")
    spans = []  # [problem id, first row, last row]: a problem's measures on rows next to each other
    for number, (task, cells) in enumerate(rows, start=3):
        append_row(sheet, [*cells, task.version])  # texts as strings: a title like "=HYPERLINK(…)" never becomes a formula
        for column in range(1, width + 2):
            sheet.cell(row=number, column=column).alignment = wrap
        sheet.cell(row=number, column=DUE_COLUMN).number_format = "yyyy-mm-dd"
        if spans and spans[-1][0] == task.problem_id and spans[-1][2] == number - 1:
            spans[-1][2] = number
        else:
            spans.append([task.problem_id, number, number])
    # One 问题描述 cell merged over its measures, as offices write it (the import reads it back so).
    for _problem, first, last in spans:
        if last > first:
            sheet.merge_cells(start_row=first, start_column=PROBLEM_COLUMN, end_row=last, end_column=PROBLEM_COLUMN)
    for index, column_width in enumerate(EXPORT_WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = column_width
    sheet.column_dimensions[openpyxl.utils.get_column_letter(width + 1)].hidden = True
    sheet.freeze_panes = "A3"
    layout.print_setup(sheet, "1:2")
    return layout.save(workbook)


def ledger_csv_rows(rows):
    """Header and rows for a CSV file (dates as YYYY-MM-DD), the version last."""
    return [[*EXPORT_HEADERS, VERSION_HEADER]] + [
        [cell.isoformat() if isinstance(cell, datetime.date) else cell for cell in cells] + [task.version]
        for task, cells in rows
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
            for task, cells in ledger_rows(chunk, start=number):
                yield [*cells, task.version]
            number += len(chunk)

    def prepare(sheet):
        # As the ledger written in the request: landscape A4, the title and header rows on
        # every page, the version column hidden. (Streamed, the problem cells are not merged:
        # the import takes the same problem text repeated within a unit as one problem.)
        layout.print_setup(sheet, "1:2")
        sheet.column_dimensions[openpyxl.utils.get_column_letter(len(EXPORT_HEADERS) + 1)].hidden = True

    return Source(
        title=ledger_title(title_unit(user, within), batch),
        header=[*EXPORT_HEADERS, VERSION_HEADER],
        rows=generate(),
        total=tasks.order_by().count(),
        title_row=True,
        sheet_title="整改台账",
        widths=EXPORT_WIDTHS,
        wrap=True,
        prepare=prepare,
    )
