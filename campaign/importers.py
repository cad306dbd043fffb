"""Import a tree of units from an .xlsx workbook or a .csv file.

Three steps, each a few small functions:

1. :func:`read_rows` turns the uploaded bytes into rows of cell texts,
   numbered as the user sees them in the spreadsheet (the first row is 1);
2. :func:`validate` finds the header row, checks every cell, resolves every
   parent (a unit the importer can see, or a row of the same file, in any
   order) and collects *all* problems;
3. :func:`create_units` creates the units, parents first, in one transaction.

:func:`import_units` runs 2 and 3, and creates nothing unless the whole file
is valid. :func:`template_workbook` builds the blank form users fill in.
"""

import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from campaign import permissions, roster, spreadsheets
from campaign.models import OrgType, Unit, UnitImportRun, UnitKind
from campaign.spreadsheets import UnreadableFile  # noqa: F401 - the importers' error, raised by read_rows

HEADER_SEARCH_ROWS = 5
MAX_ROWS = 120_000  # units in one file: a province's roster fits; a runaway sheet does not
LIMITS = spreadsheets.Limits(max_rows=MAX_ROWS, header_rows=HEADER_SEARCH_ROWS)
MAX_MEMBER_COUNT = 2**31 - 1  # PositiveIntegerField's ceiling on PostgreSQL


@dataclass(frozen=True)
class Column:
    field: str  # the Unit field it fills; "parent" holds the parent's name
    header: str  # the Chinese header the template uses
    english: str  # the English header, also accepted
    help: str
    required: bool = True
    aliases: tuple = ()


COLUMNS = (
    Column("name", "名称", "name", gettext_lazy("The unit's full name."), aliases=("单位名称", "组织名称", "党组织名称")),
    Column(
        "parent", "上级单位", "parent",
        gettext_lazy("The full name of the unit above it: a unit you manage, or another row of this file."),
        aliases=("上级", "上级组织", "上级党组织", "上级党组织名称"),
    ),
    Column(
        "kind", "类型", "kind",
        gettext_lazy("One of the kinds listed below; may be left out when the name and the unit above tell it."),
        required=False, aliases=("单位类型", "组织类型"),
    ),
    Column(
        "org_type", "党组织类别", "organisation type",
        gettext_lazy("党委, 党工委, 党组, 党总支, 党支部 or 联合党支部; may be empty (then read from the name's ending)."),
        required=False, aliases=("组织类别", "党组织类型"),
    ),
    Column(
        "code", "代码", "code", gettext_lazy("May be empty; unique when given."),
        required=False, aliases=("单位代码", "组织代码", "党组织代码"),
    ),
    Column(
        "leader_name", "书记", "leader", gettext_lazy("The secretary's name; may be empty."),
        required=False, aliases=("党组织书记",),
    ),
    Column("short_name", "简称", "short name", gettext_lazy("May be empty."), required=False, aliases=("党组织简称",)),
    Column(
        "member_count", "党员数", "members", gettext_lazy("Party members, a whole number; may be empty."),
        required=False, aliases=("党员人数",),
    ),
)


# Words offices write in the kind column, besides UnitKind's codes and labels.
KIND_WORDS = {
    "省委": UnitKind.PROVINCE,
    "自治区党委": UnitKind.PROVINCE,
    "市委": UnitKind.CITY,
    "区委": UnitKind.DISTRICT,
    "街道/镇党工委": UnitKind.STREET,
    "街道党工委": UnitKind.STREET,
    "镇党委": UnitKind.STREET,
    "乡党委": UnitKind.STREET,
    "街道": UnitKind.STREET,
    "镇": UnitKind.STREET,
    "乡": UnitKind.STREET,
    "社区党支部": UnitKind.COMMUNITY,
    "社区": UnitKind.COMMUNITY,
    "嘎查村党支部": UnitKind.VILLAGE,
    "村党支部": UnitKind.VILLAGE,
    "嘎查村": UnitKind.VILLAGE,
    "村": UnitKind.VILLAGE,
    "机关部门": UnitKind.DEPARTMENT,
    "部门": UnitKind.DEPARTMENT,
    "非公有制企业": UnitKind.ENTERPRISE,
    "企业": UnitKind.ENTERPRISE,
    "事业单位": UnitKind.INSTITUTION,
}

TEMPLATE_EXAMPLES = (
    ("中共示例区委员会", "中共示例市委员会", "区委", "党委", "D01", "张明", "示例区", 1200),
    ("示例街道党工委", "中共示例区委员会", "街道党工委", "党工委", "D01-S01", "李红", "示例街道", 260),
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file; ``row`` is the spreadsheet's row number."""

    row: int | None
    column: str
    message: str
    position: int = field(default=0, compare=False, repr=False)  # column order, for sorting

    def __str__(self):
        if self.row is None:
            return capfirst(self.message)
        return _("Row %(row)s, column “%(column)s”: %(problem)s.") % {
            "row": self.row,
            "column": self.column,
            "problem": self.message,
        }


@dataclass(eq=False)
class Record:
    """A non-blank data row: its cells by field, and what validation made of them."""

    row: int
    cells: dict
    headers: dict  # field -> the header text as written in the file
    kind: str = ""
    org_type: str = ""
    member_count: int = 0
    parent_unit: Unit | None = None  # an existing parent
    parent_record: "Record | None" = None  # a parent created from the same file

    @property
    def name(self):
        return self.cells.get("name", "")

    @property
    def parent_name(self):
        return self.cells.get("parent", "")

    def problem(self, field_name, message):
        position = list(self.headers).index(field_name) if field_name in self.headers else 0
        return Problem(self.row, self.headers.get(field_name, field_name), message, position)


@dataclass
class ImportResult:
    created: list
    problems: list

    @property
    def ok(self):
        return not self.problems


# --- 1. reading ------------------------------------------------------------------


def read_rows(data, limits=None):
    """Rows of cell texts from the bytes of an .xlsx or .csv file; the list index
    plus one is the spreadsheet row number. Raises :class:`UnreadableFile`,
    also for a file over ``limits`` (:data:`LIMITS`, the unit importer's, unless
    another importer that reads through here passes its own)."""
    limits = limits or LIMITS
    if data.startswith(b"PK\x03\x04"):
        return spreadsheets.read_xlsx(data, limits, spreadsheets.not_a_spreadsheet).rows
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(spreadsheets.old_excel())
    return spreadsheets.read_csv(data, limits)


# --- 2. validation ----------------------------------------------------------------


def validate(rows, user):
    """Records ready to create and every problem found (sorted by row, then column)."""
    header_index, headers, problems = find_columns(rows)
    if problems:
        return [], problems
    records = to_records(rows, header_index, headers)
    if not records:
        return [], [Problem(None, "", _("the file has no units below its header row"))]
    kinds = kind_lookup()
    for record in records:
        problems += check_cells(record, kinds)
    problems += resolve_parents(records, user)
    problems += check_duplicates(records)
    problems += infer_kinds(records)
    return records, sorted(problems, key=lambda p: (p.row or 0, p.position))


def normalise(text):
    """For matching headers and kinds: full-width forms folded, case and spaces ignored."""
    return re.sub(r"[\s_*]", "", unicodedata.normalize("NFKC", text)).casefold()


def find_columns(rows, columns=COLUMNS, key_field="name"):
    """The header row's index, {field: (position, header text)} in column order, and problems.

    The header row is the first of the first few rows holding the ``key_field``
    column's header, so a merged title row above it (“××单位组织架构”,
    “××单位整改台账”) does no harm. The ledger importer passes its own columns."""
    by_word = {normalise(word): c for c in columns for word in (c.header, c.english, *c.aliases)}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = {}
        for position, text in enumerate(row):
            column = by_word.get(normalise(text))
            if column and column.field not in found:
                found[column.field] = (position, text)
        if key_field in found:
            break
    else:
        key_column = next(c for c in columns if c.field == key_field)
        return None, {}, [_missing_column(key_column, None)]
    missing = [_missing_column(c, index + 1) for c in columns if c.required and c.field not in found]
    headers = {f: found[f] for f in sorted(found, key=lambda f: found[f][0])}
    return index, headers, missing


def _missing_column(column, row):
    message = _("the required column “%(header)s” (or “%(english)s”) is missing") % {
        "header": column.header,
        "english": column.english,
    }
    return Problem(row, column.header, message)


def to_records(rows, header_index, headers):
    """One record per data row below the header, skipping rows whose columns are all blank."""
    header_texts = {f: text for f, (_position, text) in headers.items()}
    records = []
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        cells = {f: (row[position] if position < len(row) else "") for f, (position, _text) in headers.items()}
        if any(cells.values()):
            records.append(Record(index + 1, cells, header_texts))
    return records


def kind_lookup():
    """Normalised words → UnitKind value: codes, labels in Chinese and English, and KIND_WORDS."""
    lookup = {normalise(word): kind for word, kind in KIND_WORDS.items()}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            lookup.update({normalise(str(label)): value for value, label in UnitKind.choices})
    lookup.update({normalise(value): value for value in UnitKind.values})
    return lookup


def check_cells(record, kinds):
    """Problems within one row's own cells; sets the record's kind, organisation type and member count.

    The kind may be left for :func:`infer_kinds`; a kind cell holding an organisation type
    (党支部) gives the type, and a category cell holding a kind (社区) gives the kind."""
    problems = []
    if not record.cells["name"]:
        problems.append(record.problem("name", _("this cell must not be empty")))
    kind_text = record.cells.get("kind", "")
    if kind_text:
        record.kind = kinds.get(normalise(kind_text), "")
        if not record.kind:
            record.org_type = roster.org_type_of(kind_text)
        if not record.kind and not record.org_type:
            message = _("unknown kind “%(value)s”; write %(words)s") % {
                "value": kind_text,
                "words": get_text_list([str(label) for _value, label in UnitKind.choices], _("or")),
            }
            problems.append(record.problem("kind", message))
    type_text = record.cells.get("org_type", "")
    if type_text:
        org_type = roster.org_type_of(type_text)
        if org_type:
            record.org_type = org_type
        elif kinds.get(normalise(type_text)):
            record.kind = record.kind or kinds[normalise(type_text)]
        else:
            message = _("unknown organisation type “%(value)s”; write %(words)s") % {
                "value": type_text,
                "words": get_text_list([str(label) for _value, label in OrgType.choices], _("or")),
            }
            problems.append(record.problem("org_type", message))
    if not record.org_type:
        record.org_type = roster.org_type_from_name(record.name)
    members = record.cells.get("member_count", "")
    if members:
        try:
            record.member_count = int(members)
        except ValueError:
            record.member_count = -1
        if not 0 <= record.member_count <= MAX_MEMBER_COUNT:
            problems.append(
                record.problem("member_count", _("“%(value)s” is not a number of members") % {"value": members})
            )
    for field_name in ("name", "code", "leader_name", "short_name"):
        limit = Unit._meta.get_field(field_name).max_length
        if len(record.cells.get(field_name, "")) > limit:
            message = _("at most %(limit)s characters are allowed") % {"limit": limit}
            problems.append(record.problem(field_name, message))
    return problems


def infer_kinds(records):
    """Give each record without a kind the one its name and the unit above it tell
    (campaign.roster); a problem for each where they do not."""
    problems = []
    for record in records:
        if record.kind or not record.name or record.cells.get("kind"):
            continue  # an empty name or an unknown kind is a problem already
        if not _infer_kind(record, set()):
            column = "kind" if "kind" in record.headers else "name"
            message = _(
                "cannot tell what kind of unit “%(value)s” is from its name or the unit above; "
                "write one of %(words)s in a column “类型”"
            ) % {
                "value": record.name,
                "words": get_text_list([str(label) for _value, label in UnitKind.choices], _("or")),
            }
            problems.append(record.problem(column, message))
    return problems


def _infer_kind(record, seen):
    if record.kind or record in seen:
        return record.kind
    seen.add(record)
    if record.parent_unit is not None:
        parent_kind = record.parent_unit.kind
    elif record.parent_record is not None:
        parent_kind = _infer_kind(record.parent_record, seen) or "?"  # "?": a parent of unknown kind
    else:
        parent_kind = None
    record.kind = roster.kind_from_name(record.name, parent_kind) or ""
    return record.kind


def resolve_parents(records, user):
    """Point each record at its parent: a unit ``user`` can see, or another row.

    A name that matches several candidates (rows of the file and visible units
    together) is ambiguous; units outside the user's scope are never candidates,
    so a parent there is simply unknown."""
    candidates = _parent_candidates(records, user)
    problems = [_resolve_parent(record, candidates[record.parent_name], user) for record in records]
    problems = [problem for problem in problems if problem]
    for record in in_loops(records):
        message = _("parent unit “%(value)s” leads back to this row (a loop)")
        problems.append(record.problem("parent", message % {"value": record.parent_name}))
    return problems


def _parent_candidates(records, user):
    """Parent name → the rows of the file and the visible units with that name (one query)."""
    candidates = defaultdict(list)
    for record in records:
        if record.name:
            candidates[record.name].append(record)
    parent_names = {record.parent_name for record in records if record.parent_name}
    for unit in Unit.objects.visible_to(user).filter(name__in=parent_names).only("pk", "name", "path", "kind"):
        candidates[unit.name].append(unit)
    return candidates


def _resolve_parent(record, candidates, user):
    """Set the record's parent from its candidates; a problem if there is not exactly one."""
    value = {"value": record.parent_name}
    if not record.parent_name:
        if permissions.may_add_top_level_unit(user):
            return None
        return record.problem("parent", _("only a superuser may add a top-level unit; name its parent unit"))
    if not candidates:
        message = _("no unit named “%(value)s” in this file or among the units you can see")
        return record.problem("parent", message % value)
    if len(candidates) > 1:
        message = _("parent unit “%(value)s” is ambiguous: %(count)s units have that name")
        return record.problem("parent", message % {**value, "count": len(candidates)})
    if isinstance(candidates[0], Record):
        record.parent_record = candidates[0]
    else:
        record.parent_unit = candidates[0]
    return None


def in_loops(records):
    """Records whose chain of parents within the file comes back to them, in file order."""
    done, looped = set(), set()
    for start in records:
        chain, record = {}, start  # record -> its place in the chain walked from start
        while record is not None and record not in done:
            if record in chain:
                looped.update(list(chain)[chain[record] :])
                break
            chain[record] = len(chain)
            record = record.parent_record
        done.update(chain)
    return [record for record in records if record in looped]


def check_duplicates(records):
    """Names repeated under one parent and codes used twice, within the file or against the database."""
    problems = []
    first_by_place, first_by_code = {}, {}
    for record in records:
        if record.name:
            first = first_by_place.setdefault((record.parent_name, record.name), record)
            if first is not record:
                message = _("“%(value)s” is already on row %(other)s under the same parent")
                problems.append(record.problem("name", message % {"value": record.name, "other": first.row}))
        code = record.cells.get("code", "")
        if code:
            first = first_by_code.setdefault(code, record)
            if first is not record:
                message = _("code “%(value)s” is already used on row %(other)s")
                problems.append(record.problem("code", message % {"value": code, "other": first.row}))

    taken_places = _existing_places(records)
    for record in records:
        if _place_in_db(record) in taken_places:
            message = _("a unit named “%(value)s” already exists under this parent")
            problems.append(record.problem("name", message % {"value": record.name}))
    taken_codes = set(Unit.objects.filter(code__in=list(first_by_code)).values_list("code", flat=True))
    for code in taken_codes:
        message = _("code “%(value)s” is already used by another unit") % {"value": code}
        problems.append(first_by_code[code].problem("code", message))
    return problems


def _place_in_db(record):
    """(parent id, name) for a record under an existing unit or at the top level; None under a new one."""
    if record.parent_unit is not None:
        return (record.parent_unit.pk, record.name)
    if not record.parent_name:
        return (None, record.name)
    return None


def _existing_places(records):
    """(parent id, name) pairs already taken in the database, for records placed under existing units."""
    parent_ids = {record.parent_unit.pk for record in records if record.parent_unit is not None}
    names = {record.name for record in records if record.name}
    taken = set(Unit.objects.filter(parent_id__in=parent_ids, name__in=names).values_list("parent_id", "name"))
    if any(not record.parent_name for record in records):
        taken |= set(Unit.objects.filter(parent__isnull=True, name__in=names).values_list("parent_id", "name"))
    return taken


# --- 3. creation ------------------------------------------------------------------


def create_units(records):
    """Create the validated records' units in one transaction, a level of the file's
    tree at a time (parents first): one INSERT and one UPDATE of their paths per
    level, whatever the number of units, as ``Unit.save`` would set them."""
    created = {}
    with transaction.atomic():
        for level in in_creation_levels(records):
            units = [
                Unit(
                    parent=record.parent_unit or created.get(record.parent_record),  # None: a top-level unit
                    name=record.name,
                    kind=record.kind,
                    org_type=record.org_type,
                    code=record.cells.get("code", ""),
                    leader_name=record.cells.get("leader_name", ""),
                    short_name=record.cells.get("short_name", ""),
                    member_count=record.member_count,
                )
                for record in level
            ]
            Unit.objects.bulk_create(units)
            for record, unit in zip(level, units):
                unit._set_path()  # the parent's path is known: an existing unit's, or set at the level above
                created[record] = unit
            Unit.objects.bulk_update(units, ["path", "depth"], batch_size=1000)
    return [created[record] for record in in_creation_order(records)]


def in_creation_levels(records):
    """The records in lists by their depth within the file, each list in row order."""
    levels = []
    for record in in_creation_order(records):
        depth = 0
        parent = record.parent_record
        while parent is not None:
            depth += 1
            parent = parent.parent_record
        while len(levels) <= depth:
            levels.append([])
        levels[depth].append(record)
    return levels


def in_creation_order(records):
    """Parents before children: sorted by depth within the file, then by row."""
    depth = {}
    for start in records:
        chain, record = [], start
        while record is not None and record not in depth:
            chain.append(record)
            record = record.parent_record
        level = -1 if record is None else depth[record]
        for record in reversed(chain):
            level += 1
            depth[record] = level
    return sorted(records, key=lambda record: (depth[record], record.row))


def import_units(rows, user):
    """Validate ``rows`` (from :func:`read_rows`) and, only if nothing is wrong, create them all."""
    records, problems = validate(rows, user)
    if problems:
        return ImportResult([], problems)
    try:
        return ImportResult(create_units(records), [])
    except IntegrityError:  # someone added a clashing unit between validation and creation
        message = _("the units changed while importing; nothing was imported, please try again")
        return ImportResult([], [Problem(None, "", message)])


# --- in the background --------------------------------------------------------------


def data_rows(rows, columns=COLUMNS, key_field="name"):
    """How many rows below the header a file has (counted from its first row otherwise)."""
    header_index, _headers, _problems = find_columns(rows, columns, key_field)
    return len(rows) - (header_index + 1 if header_index is not None else 0)


def start(user, file_name, data, rows, *, queue):
    """A :class:`~campaign.models.UnitImportRun` queued for a worker when the file has more
    rows than ``UNIT_IMPORT_BACKGROUND_ROWS``; None for a smaller one (imported in the request).
    ``queue``: the Celery task's ``delay_on_commit`` (this module does not import the tasks)."""
    count = data_rows(rows)
    if count <= settings.UNIT_IMPORT_BACKGROUND_ROWS:
        return None
    run = UnitImportRun.objects.create(
        created_by=user, file_name=file_name[:255], data=data, row_count=count,
        language=translation.get_language() or "zh-hans",
    )  # fmt: skip
    queue(run.pk)
    return run


def run(run_id):
    """Import the file of a queued roster run, all or nothing (:func:`run_queued`)."""
    return run_queued(UnitImportRun, run_id, _import_run)


def run_queued(model, run_id, work):
    """Take the queued run ``run_id`` of ``model`` (an :class:`~campaign.models.ImportRun`),
    do ``work(run)`` (an :class:`ImportResult`, all or nothing) in the uploader's language
    and record what came of it; the upload is discarded whatever happened. Idempotent: a
    run already taken (a second delivery of the task) is left alone and None returned."""
    Status = model.Status
    if not model.objects.filter(pk=run_id, status=Status.QUEUED).update(status=Status.RUNNING):
        return None
    job = model.objects.select_related("created_by").get(pk=run_id)
    with translation.override(job.language):
        try:
            result = work(job)
        except Exception as error:  # recorded for the page; nothing was written (one transaction)
            job.status = Status.FAILED
            job.error = f"{type(error).__name__}: {error}"[:2000]
        else:
            job.status = Status.DONE if result.ok else Status.REFUSED
            job.record_outcome(result)
            job.problems = [{"row": p.row, "column": p.column, "message": p.message} for p in result.problems]
    job.discard_upload()
    job.finished_at = timezone.now()
    job.save()
    return job


def _import_run(job):
    user = job.created_by
    if not user.is_active or not permissions.has_any(user, permissions.ADMINISTER):
        message = _("the administrator who uploaded the file may no longer import units")
        return ImportResult([], [Problem(None, "", message)])
    try:
        rows = read_rows(bytes(job.data))
    except UnreadableFile as error:
        return ImportResult([], [Problem(None, "", str(error))])
    return import_units(rows, user)


# --- the template -------------------------------------------------------------------


def template_workbook():
    """An .xlsx with the header row, two example rows and a drop-down of kinds."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "单位"
    sheet.append([column.header for column in COLUMNS])
    for example in TEMPLATE_EXAMPLES:
        sheet.append(list(example))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (28, 28, 14, 12, 12, 10, 12, 8)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    # A drop-down as a hint, not a lock: other spellings and the kind codes are accepted too.
    kinds = DataValidation(type="list", formula1=f'"{",".join(KIND_WORDS)}"', allow_blank=True, showErrorMessage=False)
    sheet.add_data_validation(kinds)
    kinds.add("C2:C5000")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

