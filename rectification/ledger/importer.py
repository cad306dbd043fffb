"""Import of the ledgers (整改台账) offices keep in Excel.

Import works like the unit importer (:mod:`campaign.importers`), whose pieces
it reuses: read the workbook into rows of cell texts numbered as the user sees
them, validate *every* row and collect every problem (named by row and by the
column's header text), and create nothing unless the whole file is valid; then
create all problems, tasks and first progress entries in one transaction
(``services.import_ledger_rows``).

Decisions worth knowing:

- Only .xlsx is accepted, recognised by its content; cells merged over several
  rows (a 责任领导 shared by three tasks) count for each of those rows.
- 责任单位 names a unit by its full name or, failing that, its short name; it
  must be a unit the importer sees *and* may edit (staff or administrator of it
  or of a unit above it). An empty cell means the form's default unit.
- 整改时限 takes dates as people type them (2026-12-31, 2026/12/31,
  2026年12月31日, 2026.12.31, 2026年6月底, 2026年底, Excel date cells). The
  words 长期/长期坚持/持续推进 are accepted only for medium-to-long-term tasks
  (整改类型 中长期整改, or an empty 整改类型, which then becomes 中长期整改); the
  due date is then the batch's end date.
- 整改类型 defaults to 限期整改 when the column or the cell is empty.
- 整改进展 becomes the task's first progress entry; a percentage in it (60%)
  becomes the progress, otherwise 0%.
- 问题来源 defaults to 自查 (self-inspection); 备注 is kept in the problem's
  description.
- A row already in the batch's ledger (same unit, problem and measures), or
  twice in the file, is an error: a file uploaded twice never doubles tasks.
- Rows of the same unit with the same 问题描述 (a cell merged over several
  measures, or the text repeated) make one problem with several tasks, each
  task titled after its measure; a problem with one measure gives the task its
  own title, as before.
- A row with a 任务编号 (written by the export, ``reports.ledger``) updates that
  task instead: its measures, responsible leader and person, term, the
  problem's text and source, and a new progress entry when 整改进展/完成情况
  says something new. Its unit and due date cannot change here (a due date
  moves only by an approved extension). The hidden 版本号 column carries the
  task's version at the export: a row whose task someone saved since is
  refused (the rules of :func:`rectification.services.update_task`). A row
  that changes nothing is left alone.
- A ledger of more than ``LEDGER_IMPORT_BACKGROUND_ROWS`` rows is imported by
  a Celery worker (:func:`start`, :func:`run`): the upload waits in the default
  storage and is deleted once done; the uploader follows a
  :class:`~rectification.models.LedgerImportRun` on its page.
"""

import calendar
import datetime
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign import importers, permissions, spreadsheets
from campaign.importers import Column, ImportResult, Problem, normalise, to_records
from campaign.models import Batch, Campaign, Participation, Unit
from campaign.permissions import EDIT, REPORT
from campaign.spreadsheets import UnreadableFile  # raised by read_workbook
from rectification import services
from rectification.models import Problem as RectificationProblem
from rectification.models import LedgerImportRun, ProgressUpdate, Task, Term
from rectification.models.problems import ProblemSource

HEADER_SEARCH_ROWS = 5
MAX_ROWS = 3000  # rows read from one file; a whole district's ledger fits, a runaway sheet does not
LIMITS = spreadsheets.Limits(max_rows=MAX_ROWS, header_rows=HEADER_SEARCH_ROWS)
TITLE_MAX = RectificationProblem._meta.get_field("title").max_length

COLUMNS = (
    Column("number", "序号", "no.", gettext_lazy("Any numbering; not imported."), required=False, aliases=("编号",)),
    Column(
        "key", "任务编号", "task no.",
        gettext_lazy("The task's number, as the export writes it. A row with a number updates that task; "
                     "a row without one adds a new task."),
        required=False, aliases=("任务号",),
    ),
    Column(
        "problem", "问题描述", "problem",
        gettext_lazy("The problem found. Required."),
        aliases=("存在问题", "问题", "具体问题", "问题内容", "查摆问题"),
    ),
    Column("measures", "整改措施", "measures", gettext_lazy("What will be done. Required."), aliases=("整改举措",)),
    Column("leader", "责任领导", "responsible leader", gettext_lazy("Required."), aliases=("分管领导", "牵头领导")),
    Column(
        "unit", "责任单位", "responsible unit",
        gettext_lazy("The unit's full or short name: a unit you are office staff of, or one below it. "
                     "Empty: the default unit chosen in the form."),
        required=False, aliases=("牵头单位", "责任部门", "整改单位"),
    ),
    Column("person", "责任人", "responsible person", gettext_lazy("Required."), aliases=("具体责任人",)),
    Column(
        "due", "整改时限", "due date",
        gettext_lazy("The due date, as in 2026-12-31, 2026/12/31, 2026年12月31日, 2026.12.31, 2026年6月底 or an "
                     "Excel date; 长期 or 长期坚持 for medium-to-long-term tasks. Required."),
        aliases=("完成时限", "整改期限", "时限要求", "完成时间"),
    ),
    Column(
        "term", "整改类型", "term",
        gettext_lazy("立行立改, 限期整改 or 中长期整改; empty: 限期整改."),
        required=False, aliases=("期限类型", "整改期限类型"),
    ),
    Column(
        "progress", "整改进展", "progress",
        gettext_lazy("Becomes the first progress entry; a percentage in it (60%) becomes the progress."),
        required=False, aliases=("完成情况", "进展情况", "整改情况"),
    ),
    Column(
        "source", "问题来源", "source",
        gettext_lazy("群众意见, 自查, 督导, 上级反馈 or 两批互动; empty: 自查."),
        required=False, aliases=("来源",),
    ),
    Column(
        "note", "备注", "note",
        gettext_lazy("Kept with the problem's description of a new task; not read for a task that has a number."),
        required=False,
    ),
    Column(
        "version", "版本号", "version",
        gettext_lazy("Written by the export (a hidden column); leave it as it is. A row whose task someone else "
                     "changed since the export is refused."),
        required=False,
    ),
)
# The template's columns: a new ledger has no task numbers or versions yet.
TEMPLATE_COLUMNS = tuple(column for column in COLUMNS if column.field not in ("key", "version"))
KEY_FIELD = "problem"  # the header row is the first of the top rows that has this column

TERM_WORDS = {
    "立行立改": Term.IMMEDIATE,
    "立即整改": Term.IMMEDIATE,
    "即知即改": Term.IMMEDIATE,
    "限期整改": Term.SHORT,
    "限期": Term.SHORT,
    "短期": Term.SHORT,
    "中长期整改": Term.LONG,
    "中长期": Term.LONG,
    "长期": Term.LONG,
    "长期整改": Term.LONG,
}
SOURCE_WORDS = {
    "群众意见": ProblemSource.PUBLIC,
    "征求意见": ProblemSource.PUBLIC,
    "群众反映": ProblemSource.PUBLIC,
    "自查": ProblemSource.SELF,
    "自查自纠": ProblemSource.SELF,
    "查摆": ProblemSource.SELF,
    "自身查摆": ProblemSource.SELF,
    "督导": ProblemSource.SUPERVISION,
    "督导组": ProblemSource.SUPERVISION,
    "督导检查": ProblemSource.SUPERVISION,
    "督查": ProblemSource.SUPERVISION,
    "上级反馈": ProblemSource.ABOVE,
    "上级": ProblemSource.ABOVE,
    "上级督办": ProblemSource.ABOVE,
    "两批互动": ProblemSource.CROSS_BATCH,
}
LONG_WORDS = ("长期", "长期坚持", "持续推进", "长期推进", "常态化")



# --- who may import where ------------------------------------------------------------


def editable_units(user):
    """Units ``user`` may enter tasks for (staff or administrator of them or above)."""
    return Unit.objects.restrict(user, EDIT).order_by("path")


def visible_batches(user):
    return (
        Batch.objects.filter(campaign__in=Campaign.objects.visible_to(user))
        .select_related("campaign")
        .order_by("-campaign__start_date", "campaign_id", "number")
    )


# --- 1. reading ------------------------------------------------------------------------


def read_workbook(data):
    """Rows of cell texts from the bytes of an .xlsx or an old .xls file (index + 1 =
    the row number the user sees), with merged cells' text copied to every cell
    they cover. Raises :class:`UnreadableFile` for anything that is not such a
    workbook, or one over the limits of :data:`LIMITS` (read by :mod:`campaign.spreadsheets`)."""
    if spreadsheets.is_old_excel(data):
        sheet = spreadsheets.read_xls(data, LIMITS, _not_a_workbook)
    else:
        sheet = spreadsheets.read_xlsx(data, LIMITS, _not_a_workbook)
    fill_merged(sheet.rows, sheet.merged)
    return sheet.rows


def _not_a_workbook():
    return _("This file is not an Excel workbook. Upload the ledger as an .xlsx or .xls file.")


def fill_merged(rows, ranges):
    """Copy each merged range's text (its top-left cell's) into every cell it covers.
    ``ranges`` holds (min_col, min_row, max_col, max_row), 1-based; a range
    reaches at most as far right as the widest row read (the columns limit)."""
    width = max((len(row) for row in rows), default=0)
    for min_col, min_row, max_col, max_row in ranges:
        top, left, right = min_row - 1, min_col - 1, min(max_col, width)
        if top >= len(rows) or left >= len(rows[top]):
            continue
        text = rows[top][left]
        for row_index in range(top, min(max_row, len(rows))):
            row = rows[row_index]
            if len(row) < right:
                row.extend([""] * (right - len(row)))
            for column_index in range(left, right):
                row[column_index] = text


# --- 2. validation ---------------------------------------------------------------------


@dataclass(eq=False)
class Entry:
    """A valid row, ready to become a problem, a task and perhaps a progress entry."""

    record: object  # campaign.importers.Record: row number, cells by field, headers
    unit: Unit
    term: str
    due_date: datetime.date
    source: str
    percent: int

    def cell(self, field_name):
        return self.record.cells.get(field_name, "")


def find_columns(rows):
    """The header row (the first of the top rows with a 问题描述 column), its columns, and problems."""
    return importers.find_columns(rows, COLUMNS, KEY_FIELD)


def word_lookup(words, choices):
    """Normalised words → choice value: the given words, the codes and the labels in both languages."""
    lookup = {normalise(word): value for word, value in words.items()}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            lookup.update({normalise(str(label)): value for value, label in choices.choices})
    lookup.update({normalise(value): value for value in choices.values})
    return lookup


_FULL_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*(?:之?前)?$"
)
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*(?:底|末)?\s*(?:之?前)?$")
_YEAR_END = re.compile(r"^(\d{4})\s*年\s*(?:底|末)\s*(?:之?前)?$")


def parse_date(text):
    """A date from the ways people type them, or None."""
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        if match := _FULL_DATE.match(text):
            return datetime.date(*(int(part) for part in match.groups()))
        if match := _MONTH.match(text):
            year, month = int(match[1]), int(match[2])
            return datetime.date(year, month, calendar.monthrange(year, month)[1])
        if match := _YEAR_END.match(text):
            return datetime.date(int(match[1]), 12, 31)
    except ValueError:  # 2026-02-30, month 13
        return None
    return None


def is_long_term_word(text):
    return normalise(text) in {normalise(word) for word in LONG_WORDS}


def parse_percent(text):
    match = re.search(r"(\d{1,3}(?:\.\d+)?)\s*[%％]", text)
    return min(100, round(float(match[1]))) if match else 0


class UnitNames:
    """Resolves 责任单位 names among the units the user sees, in one query."""

    def __init__(self, user, names):
        self.user = user
        self.by_name, self.by_short_name = defaultdict(list), defaultdict(list)
        if names:
            units = Unit.objects.visible_to(user).filter(Q(name__in=names) | Q(short_name__in=names))
            for unit in units.only("pk", "name", "short_name", "path", "kind"):
                self.by_name[unit.name].append(unit)
                if unit.short_name:
                    self.by_short_name[unit.short_name].append(unit)

    def resolve(self, record):
        """(unit, None) or (None, problem)."""
        name = record.cells["unit"]
        value = {"value": name}
        candidates = self.by_name.get(name) or self.by_short_name.get(name) or []
        if not candidates:
            return None, record.problem("unit", _("no unit named “%(value)s” among the units you can see") % value)
        if len(candidates) > 1:
            message = _("“%(value)s” is ambiguous: %(count)s units have that name; write the unit's full name")
            return None, record.problem("unit", message % {**value, "count": len(candidates)})
        unit = candidates[0]
        if not self.may_edit(unit):
            message = _("you may not enter tasks for “%(value)s”: you are not office staff of it or of a unit above it")
            return None, record.problem("unit", message % value)
        return unit, None

    def may_edit(self, unit):
        return permissions.may(self.user, EDIT, unit)


@dataclass
class Plan:
    """What a valid file does: new tasks (:class:`Entry`) and changes to existing ones."""

    entries: list
    changes: list


def validate(rows, user, batch, default_unit):
    """A :class:`Plan` and every problem found (sorted by row, then column)."""
    header_index, headers, problems = find_columns(rows)
    if problems:
        return Plan([], []), problems
    ignored = ("number", "version")
    records = [r for r in to_records(rows, header_index, headers) if any(v for f, v in r.cells.items() if f not in ignored)]
    if not records:
        return Plan([], []), [Problem(None, "", _("the file has no tasks below its header row"))]
    for record in records:
        record.cells.setdefault("unit", "")
    new_records = [r for r in records if not r.cells.get("key")]
    units = UnitNames(user, {r.cells["unit"] for r in new_records if r.cells["unit"]})
    terms = word_lookup(TERM_WORDS, Term)
    sources = word_lookup(SOURCE_WORDS, ProblemSource)
    entries = []
    for record in new_records:
        entry, row_problems = check_row(record, units, terms, sources, batch, default_unit)
        problems += row_problems
        if entry is not None:
            entries.append(entry)
    problems += check_repeats(entries, batch)
    problems += check_batches(entries, batch)
    changes, change_problems = check_changes([r for r in records if r.cells.get("key")], user, terms, sources)
    problems += change_problems
    return Plan(entries, changes), sorted(problems, key=lambda p: (p.row or 0, p.position))


def check_batches(entries, batch):
    """A unit's tasks go in the batch it takes part in (one query for the whole file)."""
    joined = defaultdict(set)
    rows = Participation.objects.filter(
        unit__in={entry.unit.pk for entry in entries}, batch__campaign_id=batch.campaign_id
    ).values_list("unit_id", "batch__name")
    for unit_id, batch_name in rows:
        joined[unit_id].add(batch_name)
    problems = []
    for entry in entries:
        names = joined.get(entry.unit.pk)
        if names and batch.name not in names:
            message = _("%(unit)s takes part in %(batches)s, not in %(batch)s")
            values = {"unit": entry.unit.name, "batches": "、".join(sorted(names)), "batch": batch.name}
            problems.append(entry.record.problem("unit", message % values))
    return problems


def check_repeats(entries, batch):
    """Rows already in the batch's ledger (the same unit, problem and measures), or twice
    in the file: a ledger uploaded again must not double its tasks."""
    existing = set(
        Task.objects.filter(
            batch=batch,
            unit__in={entry.unit.pk for entry in entries},
            problem__title__in={_title(e.cell("problem")) for e in entries},
        ).values_list("unit_id", "problem__title", "measures")
    )
    problems, first_row = [], {}
    for entry in entries:
        key = (entry.unit.pk, _title(entry.cell("problem")), entry.cell("measures"))
        if key in existing:
            message = _("this task is already in the ledger of %(batch)s: the file may have been imported before")
            problems.append(entry.record.problem("problem", message % {"batch": batch.name}))
        elif key in first_row:
            message = _("the same task is already on row %(other)s")
            problems.append(entry.record.problem("problem", message % {"other": first_row[key]}))
        else:
            first_row[key] = entry.record.row
    return problems


def check_row(record, units, terms, sources, batch, default_unit):
    """One row's problems, and its :class:`Entry` when it has none."""
    cells, problems = record.cells, []
    for field_name in ("problem", "measures", "leader", "person", "due"):
        if not cells[field_name]:
            problems.append(record.problem(field_name, _("this cell must not be empty")))
    for field_name, model_field in (("leader", "leader_name"), ("person", "person_name")):
        limit = Task._meta.get_field(model_field).max_length
        if len(cells[field_name]) > limit:
            message = _("at most %(limit)s characters are allowed") % {"limit": limit}
            problems.append(record.problem(field_name, message))

    unit = default_unit
    if cells["unit"]:
        unit, problem = units.resolve(record)
        if problem:
            problems.append(problem)

    term_text = cells.get("term", "")
    term = terms.get(normalise(term_text)) if term_text else Term.SHORT
    if term is None:
        message = _("unknown term “%(value)s”: write 立行立改, 限期整改 or 中长期整改") % {"value": term_text}
        problems.append(record.problem("term", message))

    due_date = None
    if cells["due"]:
        if is_long_term_word(cells["due"]):
            if not term_text:
                term = Term.LONG
            if term == Term.LONG:
                due_date = batch.end_date
            elif term is not None:
                message = _("“%(value)s” is only for medium-to-long-term tasks; give a date")
                problems.append(record.problem("due", message % {"value": cells["due"]}))
        else:
            due_date = parse_date(cells["due"])
            if due_date is None:
                message = _("“%(value)s” is not a date; write it as 2026-12-31 or 2026年12月31日")
                problems.append(record.problem("due", message % {"value": cells["due"]}))

    source_text = cells.get("source", "")
    source = sources.get(normalise(source_text)) if source_text else ProblemSource.SELF
    if source is None:
        message = _("unknown source “%(value)s”: write 群众意见, 自查, 督导, 上级反馈 or 两批互动")
        problems.append(record.problem("source", message % {"value": source_text}))

    if problems:
        return None, problems
    percent = parse_percent(cells.get("progress", ""))
    return Entry(record, unit, term, due_date, source, percent), []


# --- 3. creation -----------------------------------------------------------------------


def _title(text):
    first_line = (text.strip().splitlines() or [""])[0].strip()
    return first_line if len(first_line) <= TITLE_MAX else first_line[: TITLE_MAX - 1] + "…"


def create_tasks(entries, user, batch):
    """A problem for each unit's distinct 问题描述 and a task for each entry, and
    its first progress entry, in one transaction: ``services.import_ledger_rows``,
    in bulk, with the same rules as a task entered in the form (the change
    reason says they were imported). A problem with several measures names each
    task after its measure."""
    today = timezone.localdate()
    groups = defaultdict(list)
    for entry in entries:
        groups[(entry.unit.pk, entry.cell("problem").strip())].append(entry)
    rows = []
    for group in groups.values():
        first = group[0]
        description = first.cell("problem")
        notes = list(dict.fromkeys(entry.cell("note") for entry in group if entry.cell("note")))
        if notes:
            description += "\n备注:" + ";".join(notes)
        title = _title(first.cell("problem"))
        problem = {
            "title": title, "description": description, "source": first.source, "unit": first.unit, "found_on": today,
        }  # fmt: skip
        for entry in group:
            task = {
                "title": title if len(group) == 1 else _title(entry.cell("measures")), "measures": entry.cell("measures"),
                "unit": entry.unit, "leader_name": entry.cell("leader"), "person_name": entry.cell("person"),
                "term": entry.term, "start_date": min(today, entry.due_date), "due_date": entry.due_date,
                "progress": entry.percent,
            }  # fmt: skip
            rows.append((entry.record.row, services.LedgerRow(problem, task, entry.cell("progress"))))
    rows.sort(key=lambda pair: pair[0])  # the tasks in the file's order
    return services.import_ledger_rows(user, batch, [row for _number, row in rows], _("Imported from a ledger"))


@dataclass
class LedgerImportResult(ImportResult):
    updated: list = None


def import_ledger(rows, user, batch, default_unit, stage=None):
    """Validate ``rows`` (from :func:`read_workbook`) and, only if nothing is wrong,
    create the new tasks and update the numbered ones, all in one transaction.
    ``stage``: told each :class:`~rectification.models.LedgerImportRun.Stage` reached (a worker's page)."""
    stage = stage or (lambda _stage: None)
    stage(LedgerImportRun.Stage.CHECKING)
    plan, problems = validate(rows, user, batch, default_unit)
    if problems:
        return LedgerImportResult([], problems, [])
    stage(LedgerImportRun.Stage.WRITING)
    try:
        with transaction.atomic():
            updated = services.update_ledger_rows(
                user, [change for _record, change in plan.changes], _("Updated from a ledger")
            )
            created = create_tasks(plan.entries, user, batch) if plan.entries else []
    except services.EditConflict as conflict:  # saved by someone else between the check and the write
        record = next(r for r, c in plan.changes if c.task.pk == conflict.current.pk)
        return LedgerImportResult([], [record.problem("key", _changed_since_message(conflict.current))], [])
    except (services.TransitionRefused, PermissionDenied) as refusal:
        message = refusal.messages[0] if hasattr(refusal, "messages") else str(refusal)
        return LedgerImportResult([], [Problem(None, "", message)], [])
    return LedgerImportResult(created, [], updated)


# --- in the background ----------------------------------------------------------------


def start(user, upload_name, data, rows, batch, default_unit, *, queue):
    """A :class:`~rectification.models.LedgerImportRun` queued for a worker when the ledger
    has more rows than ``LEDGER_IMPORT_BACKGROUND_ROWS`` (the upload kept in the default
    storage until then); None for a smaller one, imported in the request.
    ``queue``: the Celery task's ``delay_on_commit``."""
    count = importers.data_rows(rows, COLUMNS, KEY_FIELD)
    if count <= settings.LEDGER_IMPORT_BACKGROUND_ROWS:
        return None
    run = LedgerImportRun(
        created_by=user, file_name=upload_name[:255], row_count=count, batch=batch, default_unit=default_unit,
        language=translation.get_language() or "zh-hans",
    )  # fmt: skip
    name = "ledger.xls" if spreadsheets.is_old_excel(data) else "ledger.xlsx"  # ours, not the user's
    run.file.save(name, ContentFile(data), save=False)
    run.save()
    queue(run.pk)
    return run


def run(run_id):
    """Import the ledger of a queued run, all or nothing; the stored upload is deleted after."""
    return importers.run_queued(LedgerImportRun, run_id, _import_run)


def _import_run(job):
    user = job.created_by
    if not user.is_active or not permissions.may(user, EDIT, job.default_unit):
        message = _("the person who uploaded the file may no longer enter tasks for %(unit)s") % {
            "unit": job.default_unit.name
        }
        return LedgerImportResult([], [Problem(None, "", message)], [])
    if not visible_batches(user).filter(pk=job.batch_id).exists():
        message = _("the batch %(batch)s is no longer open to the person who uploaded the file")
        return LedgerImportResult([], [Problem(None, "", message % {"batch": job.batch.name})], [])

    def stage(value):
        LedgerImportRun.objects.filter(pk=job.pk).update(stage=value)

    stage(LedgerImportRun.Stage.READING)
    try:
        with job.file.open("rb") as upload:
            rows = read_workbook(upload.read())
    except UnreadableFile as error:
        return LedgerImportResult([], [Problem(None, "", str(error))], [])
    return import_ledger(rows, user, job.batch, job.default_unit, stage)


# --- 4. changes to existing tasks --------------------------------------------------------


def _changed_since_message(task):
    return _(
        "task %(number)s was changed in the system after this file was exported; export the ledger again and "
        "make your change in the new file"
    ) % {"number": task.pk}


def _progress_news(text, latest):
    """The progress text a row adds: the cell less the export's first line
    (“进行中(40%)”), when it differs from the latest entry; empty otherwise."""
    lines = text.strip().splitlines()
    if lines and re.fullmatch(r".{0,40}[(（]\d{1,3}\s*[%％][)）]", lines[0].strip()):
        lines = lines[1:]
    news = "\n".join(lines).strip()
    return "" if news == (latest or "").strip() else news


def check_changes(records, user, terms, sources):
    """(record, services.LedgerChange) for each numbered row that changes its task, and problems."""
    problems, numbers = [], {}
    for record in records:
        text = unicodedata.normalize("NFKC", record.cells["key"]).strip()
        if not text.isdigit() or len(text) > 12:
            message = _("“%(value)s” is not a task number: leave the cell as the export wrote it, or empty for a new task")
            problems.append(record.problem("key", message % {"value": record.cells["key"]}))
        elif int(text) in numbers:
            message = _("task %(number)s is already on row %(other)s")
            problems.append(record.problem("key", message % {"number": text, "other": numbers[int(text)].row}))
        else:
            numbers[int(text)] = record
    latest = ProgressUpdate.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk").values("text")[:1]
    tasks = {
        task.pk: task
        for task in Task.objects.visible_to(user)
        .filter(pk__in=list(numbers))
        .select_related("unit", "problem")
        .annotate(latest_progress=Subquery(latest))
    }
    changes, problem_texts = [], {}
    for number, record in numbers.items():
        task = tasks.get(number)
        if task is None:
            message = _("there is no task numbered %(number)s among the tasks you can see")
            problems.append(record.problem("key", message % {"number": number}))
            continue
        change, row_problems = check_change(record, task, user, terms, sources, problem_texts)
        problems += row_problems
        if change is not None:
            changes.append((record, change))
    return changes, problems


def check_change(record, task, user, terms, sources, problem_texts):
    """One numbered row: (services.LedgerChange or None when it changes nothing, problems)."""
    cells, problems = record.cells, []
    fields, problem_fields = {}, {}
    for field_name, model_field in (("measures", "measures"), ("leader", "leader_name"), ("person", "person_name")):
        value = cells.get(field_name, "")
        if not value:
            problems.append(record.problem(field_name, _("this cell must not be empty")))
        elif len(value) > (Task._meta.get_field(model_field).max_length or 10**9):
            limit = Task._meta.get_field(model_field).max_length
            problems.append(record.problem(field_name, _("at most %(limit)s characters are allowed") % {"limit": limit}))
        elif value != getattr(task, model_field):
            fields[model_field] = value
    if "measures" in fields and task.title == _title(task.measures):  # a task named after its measure stays so
        fields["title"] = _title(fields["measures"])
    term_text = cells.get("term", "")
    if term_text:
        term = terms.get(normalise(term_text))
        if term is None:
            message = _("unknown term “%(value)s”: write 立行立改, 限期整改 or 中长期整改") % {"value": term_text}
            problems.append(record.problem("term", message))
        elif term != task.term:
            fields["term"] = term
    unit_text = cells.get("unit", "")
    if unit_text and unit_text not in (task.unit.name, task.unit.short_name):
        message = _("the responsible unit of task %(number)s is %(unit)s; it cannot be changed by an import")
        problems.append(record.problem("unit", message % {"number": task.pk, "unit": task.unit.name}))
    due_text = cells.get("due", "")
    if due_text and not (is_long_term_word(due_text) and task.term == Term.LONG):
        if parse_date(due_text) != task.due_date:
            message = _(
                "the due date of task %(number)s is %(date)s; a due date moves only by an extension request "
                "that a supervisor approves"
            )
            problems.append(record.problem("due", message % {"number": task.pk, "date": task.due_date.isoformat()}))
    problem_text = cells.get("problem", "")
    if not problem_text:
        problems.append(record.problem("problem", _("this cell must not be empty")))
    else:
        title = _title(problem_text)
        other = problem_texts.setdefault(task.problem_id, (title, record.row))
        if other[0] != title:
            message = _("this row gives the problem of task %(number)s another text than row %(other)s")
            problems.append(record.problem("problem", message % {"number": task.pk, "other": other[1]}))
        elif title != task.problem.title:
            problem_fields["title"] = title
    source_text = cells.get("source", "")
    if source_text:
        source = sources.get(normalise(source_text))
        if source is None:
            message = _("unknown source “%(value)s”: write 群众意见, 自查, 督导, 上级反馈 or 两批互动")
            problems.append(record.problem("source", message % {"value": source_text}))
        elif source != task.problem.source:
            problem_fields["source"] = source
    news = _progress_news(cells.get("progress", ""), task.latest_progress)
    if problems or not (fields or problem_fields or news):
        return None, problems
    version_text = unicodedata.normalize("NFKC", cells.get("version", "")).strip()
    seen_version = int(version_text) if version_text.isdigit() and len(version_text) < 10 else task.version
    if seen_version != task.version:
        return None, [record.problem("key", _changed_since_message(task))]
    action = REPORT if news and not (fields or problem_fields) else EDIT
    reason = permissions.refusal(user, action, task)
    if reason is None and problem_fields:
        reason = permissions.refusal(user, EDIT, task.problem)
    if reason is not None:
        return None, [record.problem("key", _("task %(number)s: %(reason)s") % {"number": task.pk, "reason": reason})]
    if not task.is_open:
        message = _("task %(number)s is closed and can no longer be changed") % {"number": task.pk}
        return None, [record.problem("key", message)]
    percent = parse_percent(news) if re.search(r"\d\s*[%％]", news) else task.progress
    change = services.LedgerChange(task, seen_version, fields, problem_fields, news, percent)
    return change, []


def common_unit(units):
    """The deepest unit whose subtree holds all ``units`` (by path), as an id; None when there is none."""
    paths = [unit.path.strip("/").split("/") for unit in units]
    if not paths:
        return None
    shared = []
    for parts in zip(*paths):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return int(shared[-1]) if shared else None


