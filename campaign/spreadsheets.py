"""Reading uploaded spreadsheets safely: the one place every importer reads through.

An .xlsx file is a zip of XML parts. A hostile one can be small on the wire and
huge once unpacked (a zip bomb), hold a million cells in one row, a cell of
hundreds of megabytes, or a million rows: each of those once took the server
for seconds of CPU and gigabytes of memory. So before openpyxl sees a byte:

1. :func:`check_archive` reads only the zip's directory: the number of parts,
   the sum of their unpacked sizes, each part's size (the worksheets may be
   larger than the other parts, which openpyxl parses whole) and the
   compression ratio. Python's zipfile never unpacks more than a part's
   declared size (a part that lies fails its CRC check), so the directory's
   figures bound everything that follows.
2. :func:`scan_xml` streams the shared strings and then the first worksheet
   through expat, counting as it goes and stopping at the first limit crossed:
   rows, columns, characters in one cell, cells and elements in all. It also
   collects the merged ranges, so nobody has to load the workbook in full.
3. openpyxl opens the workbook in read-only (streaming) mode and is asked for
   exactly the rows and columns the scan found to hold values.

CSV files are checked the same way: rows, columns and cell length, and so are
old Excel files (.xls, read by xlrd, for the importers that accept them:
:func:`read_xls`). An .xls is one OLE2 compound file that xlrd reads whole;
its size is bounded by the upload limit, and the sheet's stated dimensions
are checked before a single cell's text is made.

Every refusal raises :class:`UnreadableFile` with a message for the user (in
their language) that says what is wrong and what to do; nothing is imported.
The limits are in :class:`Limits`; each importer passes its own row count.
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.parsers import expat

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

MiB = 1024 * 1024
CHUNK_BYTES = 64 * 1024


class UnreadableFile(Exception):
    """The upload is not a spreadsheet an importer can read, or is over a limit."""


@dataclass(frozen=True)
class Limits:
    """What one uploaded spreadsheet may hold. ``max_rows`` counts data rows;
    ``header_rows`` more may sit above them (a title, the header row)."""

    max_rows: int
    header_rows: int = 5
    max_columns: int = 50
    max_cell_chars: int = 32_767  # Excel's own limit: no cell Excel wrote is longer
    # The zip archive.
    max_parts: int = 500
    max_unpacked: int = 64 * MiB  # all parts together, unpacked
    max_sheet_part: int = 48 * MiB  # one worksheet (streamed, never held whole)
    max_strings_part: int = 16 * MiB  # the shared strings (held as Python strings)
    max_other_part: int = 2 * MiB  # styles, workbook, relations: openpyxl parses these whole
    max_ratio: int = 100  # unpacked size / packed size, of the whole and of any large part
    ratio_floor: int = 1 * MiB  # parts smaller than this unpacked are not ratio-checked alone
    max_token_bytes: int = 1 * MiB  # one tag, attribute or comment (a cell's text may be split)

    @property
    def max_sheet_rows(self):
        return self.max_rows + self.header_rows

    @property
    def max_cells(self):
        return self.max_sheet_rows * self.max_columns

    @property
    def max_elements(self):
        # A cell is at most four elements (c, v or is, t, r); rows, merges and the rest come on top.
        return self.max_cells * 4 + self.max_sheet_rows * 2 + 10_000


@dataclass
class Sheet:
    """The first worksheet's cell texts (``rows[i]`` is spreadsheet row i + 1)
    and its merged ranges as (min_col, min_row, max_col, max_row), 1-based."""

    rows: list
    merged: list = field(default_factory=list)


# --- the user's messages -----------------------------------------------------------------


def not_a_spreadsheet():
    return _("This file is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file (.csv).")


def not_a_workbook():
    return _("This file is not an Excel workbook. Upload it as an .xlsx file.")


def old_excel():
    return _("This is an old Excel file (.xls). Save it as an .xlsx workbook and upload that.")


def _with_advice(problem):
    """The problem, then what to do about it (one sentence after the other; no space between them in Chinese)."""
    advice = _("Copy the data into a new, plain workbook and upload that.")
    return _("%(problem)s %(advice)s") % {"problem": problem, "advice": advice}


def too_many_rows(limits):
    return _("The file has more than %(count)s rows. Split it into several files.") % {"count": limits.max_rows}


def too_many_columns(limits, row):
    return _("Row %(row)s has more than %(count)s columns. Keep only the columns of the template.") % {
        "row": row,
        "count": limits.max_columns,
    }


def cell_too_long(limits, row, column=None):
    if column is None:
        return _("Row %(row)s holds a cell of more than %(count)s characters; shorten it.") % {
            "row": row,
            "count": limits.max_cell_chars,
        }
    return _("Row %(row)s, column %(column)s holds more than %(count)s characters; shorten it.") % {
        "row": row,
        "column": get_column_letter(column),
        "count": limits.max_cell_chars,
    }


def too_big_unpacked(limit):
    problem = _("The file unpacks to more than %(limit)s; it is not an ordinary spreadsheet.")
    return _with_advice(problem % {"limit": filesizeformat(limit)})


def too_compressed(limits):
    problem = _("The file is compressed more than %(ratio)s times; it is not an ordinary spreadsheet.")
    return _with_advice(problem % {"ratio": limits.max_ratio})


def too_many_parts(limits):
    problem = _("The file is made of more than %(count)s parts; it is not an ordinary spreadsheet.")
    return _with_advice(problem % {"count": limits.max_parts})


def too_complex(limits):
    return _("The first sheet holds more than %(count)s cells. Split it into several files.") % {
        "count": limits.max_cells
    }


# --- 1. the archive ------------------------------------------------------------------------


def _part_limit(name, limits):
    path = PurePosixPath(name)
    if path.suffix.lower() != ".xml":
        return limits.max_other_part
    if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name, re.IGNORECASE):
        return limits.max_sheet_part
    if path.name.lower().startswith("sharedstrings"):
        return limits.max_strings_part
    return limits.max_other_part


def check_archive(archive, limits):
    """Refuse an archive whose directory announces too much: parts, sizes, ratio."""
    infos = archive.infolist()
    if len(infos) > limits.max_parts:
        raise UnreadableFile(too_many_parts(limits))
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if unpacked > limits.max_unpacked:
        raise UnreadableFile(too_big_unpacked(limits.max_unpacked))
    if unpacked > limits.ratio_floor and unpacked > limits.max_ratio * max(packed, 1):
        raise UnreadableFile(too_compressed(limits))
    for info in infos:
        limit = _part_limit(info.filename, limits)
        if info.file_size > limit:
            raise UnreadableFile(too_big_unpacked(limit))
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnreadableFile(too_compressed(limits))


# --- 2. streaming scans ---------------------------------------------------------------------


class _Stop(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _local(name):
    return name.rpartition(" ")[2]  # expat with namespaces: "uri local"


def _cell_position(reference):
    """(row, column) of a reference such as "AB12", 1-based; None if it is not one."""
    match = re.fullmatch(r"([A-Za-z]{1,3})(\d{1,7})", reference or "")
    if not match:
        return None
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)), column


def scan_xml(source, on_start, on_text, on_end, limits):
    """Stream ``source`` (a binary file) through expat, with no DTD allowed
    (so no entity expansion), calling the handlers; stop after max_elements,
    or when one token (a tag, an attribute, a comment) runs longer than
    ``max_token_bytes``: expat rescans an unfinished token with every chunk,
    so a huge one would cost time in the square of its size."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state = {"elements": 0, "position": 0}

    def seen():
        state["position"] = parser.CurrentByteIndex

    def forbid(*_args):
        raise ValueError("a DTD in a spreadsheet part")  # no writer puts one there: treated as damaged

    def start(name, attributes):
        seen()
        state["elements"] += 1
        if state["elements"] > limits.max_elements:
            raise _Stop(too_complex(limits))
        on_start(_local(name), attributes)

    def end(name):
        seen()
        on_end(_local(name))

    def text(data):
        seen()
        on_text(data)

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.CommentHandler = lambda _data: seen()
    parser.ProcessingInstructionHandler = lambda _target, _data: seen()
    parser.buffer_text = True  # text comes in pieces of at most buffer_size (8 KiB)
    fed = 0
    while True:
        chunk = source.read(CHUNK_BYTES)
        fed += len(chunk)
        parser.Parse(chunk, not chunk)
        if not chunk:
            break
        if fed - state["position"] > limits.max_token_bytes:
            raise _Stop(too_complex(limits))


def scan_shared_strings(source, limits):
    """Refuse shared strings that are too many or too long (before openpyxl holds them)."""
    state = {"strings": 0, "chars": 0, "depth": 0}

    def on_start(name, _attributes):
        if name == "si":
            state["strings"] += 1
            state["chars"] = 0
            if state["strings"] > limits.max_cells:
                raise _Stop(too_complex(limits))

    def on_text(text):
        state["chars"] += len(text)
        if state["chars"] > limits.max_cell_chars:
            raise _Stop(
                _("A cell of the file holds more than %(count)s characters; shorten it.")
                % {"count": limits.max_cell_chars}
            )

    scan_xml(source, on_start, on_text, lambda name: None, limits)


class _SheetScan:
    """What the first worksheet holds, found by streaming it once."""

    def __init__(self, limits):
        self.limits = limits
        self.row = 0  # current row number
        self.column = 0  # current cell's column
        self.in_cell = False
        self.in_value = False  # inside <v> or <t>: the cell's value
        self.chars = 0  # characters since the last tag
        self.cells = 0
        self.last_row = 0  # last row with a value
        self.last_column = 0  # rightmost column with a value
        self.merged = []

    def start(self, name, attributes):
        limits = self.limits
        self.chars = 0
        if name == "row":
            number = attributes.get("r")
            self.row = int(number) if number and number.isdigit() else self.row + 1
            self.column = 0
        elif name == "c":
            # Every cell counts towards the sheet's budget; only cells with a value count as columns
            # (offices format rows far to the right: empty styled cells are not data).
            self.cells += 1
            if self.cells > limits.max_cells:
                raise _Stop(too_complex(limits))
            position = _cell_position(attributes.get("r"))
            if position:
                self.row, self.column = position
            else:
                self.column += 1
            self.in_cell = True
        elif name in ("v", "t"):
            self.in_value = True
        elif name == "mergeCell":
            try:
                bounds = range_boundaries(attributes.get("ref", ""))
            except (TypeError, ValueError):
                return
            if None not in bounds and len(self.merged) < limits.max_cells:
                self.merged.append(bounds)

    def text(self, text):
        # Any run of text (a value, a formula, or text between or outside cells)
        # is held whole by openpyxl's parser: none may be longer than a cell.
        self.chars += len(text)
        if self.chars > self.limits.max_cell_chars:
            if self.in_cell:
                raise _Stop(cell_too_long(self.limits, self.row, self.column))
            raise _Stop(too_complex(self.limits))
        if self.in_value and text.strip():
            self.has_value()

    def has_value(self):
        limits = self.limits
        if self.column > limits.max_columns:
            raise _Stop(too_many_columns(limits, self.row))
        if self.row > limits.max_sheet_rows:
            raise _Stop(too_many_rows(limits))
        self.last_row = max(self.last_row, self.row)
        self.last_column = max(self.last_column, self.column)

    def end(self, name):
        self.chars = 0
        if name in ("v", "t"):
            self.in_value = False
        elif name == "c":
            self.in_cell = False


# --- 3. reading ---------------------------------------------------------------------------


def cell_text(value):
    """A cell's value as the text the user sees; dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_xlsx(data, limits, unreadable=not_a_workbook):
    """The first worksheet of an .xlsx file's bytes, within ``limits``: a :class:`Sheet`.

    Raises :class:`UnreadableFile` for an old .xls, for anything that is not a
    workbook (with the message ``unreadable()``) and for any file over a limit."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(old_excel())
    if not data.startswith(b"PK\x03\x04"):
        raise UnreadableFile(unreadable())
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UnreadableFile(unreadable()) from error
    with archive:
        check_archive(archive, limits)
        try:
            return _read_checked(archive, data, limits)
        except _Stop as stop:
            raise UnreadableFile(stop.message) from None
        except UnreadableFile:
            raise
        except Exception as error:  # openpyxl, zipfile and expat raise many kinds on a damaged file or a .docx
            raise UnreadableFile(unreadable()) from error


class _FirstSheetReader(ExcelReader):
    """openpyxl's reader in read-only mode that makes only the first worksheet,
    after scanning it. (openpyxl's own would open every sheet at once, and
    parse the whole of any sheet that does not state its dimensions.)"""

    def __init__(self, data, limits):
        super().__init__(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        self.limits = limits
        self.scan = _SheetScan(limits)

    def read_worksheets(self):
        for sheet, relation in self.parser.find_sheets():
            if relation.target not in self.valid_files or "chartsheet" in relation.Type:
                continue
            with self.archive.open(relation.target) as source:
                scan_xml(source, self.scan.start, self.scan.text, self.scan.end, self.limits)
            self.wb._sheets.append(ReadOnlyWorksheet(self.wb, sheet.name, relation.target, self.shared_strings))
            return
        raise ValueError("no worksheet")


def _read_checked(archive, data, limits):
    for name in archive.namelist():
        if PurePosixPath(name).name.lower().startswith("sharedstrings") and name.lower().endswith(".xml"):
            with archive.open(name) as source:
                scan_shared_strings(source, limits)
    reader = _FirstSheetReader(data, limits)
    reader.read()
    scan, workbook = reader.scan, reader.wb
    try:
        sheet = workbook.worksheets[0]
        rows = []
        if scan.last_row:
            sheet.reset_dimensions()  # some writers record wrong dimensions, which would cut rows short
            for number, row in enumerate(
                sheet.iter_rows(max_row=scan.last_row, max_col=scan.last_column, values_only=True), start=1
            ):
                texts = [cell_text(value) for value in row]
                for column, text in enumerate(texts, start=1):
                    if len(text) > limits.max_cell_chars:  # a shared string used here, or a long number
                        raise UnreadableFile(cell_too_long(limits, number, column))
                rows.append(texts)
    finally:
        workbook.close()
    return Sheet(rows, scan.merged)


OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_old_excel(data):
    return data.startswith(OLE2_SIGNATURE[:4])


def read_xls(data, limits, unreadable=not_a_workbook):
    """The first worksheet of an old Excel file (.xls, BIFF8) within ``limits``: a :class:`Sheet`
    with its merged ranges, dates as YYYY-MM-DD. Raises :class:`UnreadableFile`."""
    import xlrd  # only the importers that accept .xls pay for it

    if not data.startswith(OLE2_SIGNATURE):
        raise UnreadableFile(unreadable())
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO())
    except Exception as error:  # xlrd raises XLRDError, CompDocError, struct.error, … on a damaged file or a .doc
        raise UnreadableFile(unreadable()) from error
    try:
        if book.nsheets < 1:
            raise UnreadableFile(unreadable())
        try:
            sheet = book.sheet_by_index(0)
        except Exception as error:
            raise UnreadableFile(unreadable()) from error
        last_row = 0
        for index in range(sheet.nrows):
            if any(str(value).strip() for value in sheet.row_values(index)):
                last_row = index + 1
        if last_row > limits.max_sheet_rows:
            raise UnreadableFile(too_many_rows(limits))
        rows = []
        for index in range(last_row):
            types, values = sheet.row_types(index), sheet.row_values(index)
            if len(values) > limits.max_columns and any(str(v).strip() for v in values[limits.max_columns :]):
                raise UnreadableFile(too_many_columns(limits, index + 1))
            texts = []
            for column, (kind, value) in enumerate(zip(types[: limits.max_columns], values[: limits.max_columns]), 1):
                if kind == xlrd.XL_CELL_DATE:
                    try:
                        value = xlrd.xldate_as_datetime(value, book.datemode)
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        pass
                elif kind == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                elif kind == xlrd.XL_CELL_ERROR:
                    value = ""
                text = cell_text(value)
                if len(text) > limits.max_cell_chars:
                    raise UnreadableFile(cell_too_long(limits, index + 1, column))
                texts.append(text)
            rows.append(texts)
        merged = [(left + 1, top + 1, right, bottom) for top, bottom, left, right in sheet.merged_cells]
        return Sheet(rows, merged)
    finally:
        book.release_resources()


def read_csv(data, limits):
    """Rows of a CSV file's cells (UTF-8, with or without BOM, or GB18030), within ``limits``."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.decode(data, encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(not_a_spreadsheet())
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):  # control characters: a binary file
        raise UnreadableFile(not_a_spreadsheet())
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            number = len(rows) + 1
            if len(row) > limits.max_columns and any(cell.strip() for cell in row[limits.max_columns :]):
                raise UnreadableFile(too_many_columns(limits, number))
            row = [cell.strip() for cell in row[: limits.max_columns]]
            for column, cell in enumerate(row, start=1):
                if len(cell) > limits.max_cell_chars:
                    raise UnreadableFile(cell_too_long(limits, number, column))
            if len(rows) >= limits.max_sheet_rows:
                if any(row):
                    raise UnreadableFile(too_many_rows(limits))
                continue  # blank rows past the limit are not kept: they only matter if a value follows
            rows.append(row)
    except csv.Error as error:
        if "field limit" in str(error):  # a cell longer than csv's own limit (131,072 characters)
            raise UnreadableFile(cell_too_long(limits, len(rows) + 1)) from error
        raise UnreadableFile(not_a_spreadsheet()) from error  # a NUL byte, a broken quote
    return rows
