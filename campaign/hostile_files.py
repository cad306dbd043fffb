"""Spreadsheets made to hurt an importer, and ordinary ones as large as uploads may be.

Used by the tests (each hostile file must be refused and import nothing) and
by ``manage.py bench_imports`` (memory and time of reading each one). Every
file is written part by part into a zip, streaming, so that making a bomb of
hundreds of megabytes unpacked costs little memory here either.
"""

import functools
import io
import zipfile

import openpyxl

MiB = 1024 * 1024

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{shared}"
    "</Types>"
)
SHARED_OVERRIDE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    "{shared}</Relationships>"
)
SHARED_REL = (
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def _write_part(archive, name, chunks):
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as part:
        for chunk in chunks:
            part.write(chunk.encode() if isinstance(chunk, str) else chunk)


def workbook(sheet_chunks, shared_chunks=None, styles_chunks=None):
    """An .xlsx whose first sheet's XML is ``SHEET_HEAD + sheet_chunks + SHEET_TAIL``,
    with shared strings and a stylesheet made of the chunks given, if any."""
    buffer = io.BytesIO()
    shared = shared_chunks is not None
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _write_part(archive, "[Content_Types].xml", [CONTENT_TYPES.format(shared=SHARED_OVERRIDE if shared else "")])
        _write_part(archive, "_rels/.rels", [ROOT_RELS])
        _write_part(archive, "xl/workbook.xml", [WORKBOOK])
        _write_part(archive, "xl/_rels/workbook.xml.rels", [WORKBOOK_RELS.format(shared=SHARED_REL if shared else "")])
        _write_part(archive, "xl/worksheets/sheet1.xml", [SHEET_HEAD, *sheet_chunks, SHEET_TAIL])
        if shared:
            _write_part(archive, "xl/sharedStrings.xml", shared_chunks)
        if styles_chunks is not None:
            _write_part(archive, "xl/styles.xml", styles_chunks)
    return buffer.getvalue()


def _repeat(text, total_chars, chunk_chars=MiB):
    """``text`` repeated to ``total_chars`` characters, in chunks."""
    chunk = (text * (chunk_chars // len(text) + 1))[:chunk_chars]
    whole, rest = divmod(total_chars, chunk_chars)
    for _ in range(whole):
        yield chunk
    if rest:
        yield chunk[:rest]


def _header_row():
    return '<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c></row>'


@functools.lru_cache(maxsize=2)  # a few seconds to make; tests ask for the same one
def zip_bomb(unpacked=500 * MiB):
    """One cell that unpacks to ``unpacked`` bytes (the 511 KB file that unpacked to 500 MiB)."""
    return workbook(
        [_header_row(), '<row r="2"><c r="A2" t="inlineStr"><is><t>', *_repeat("A", unpacked), "</t></is></c></row>"]
    )


def ratio_bomb(unpacked=12 * MiB):
    """Well under the unpacked total, but compressed about a thousand times: no spreadsheet is."""
    return workbook([_header_row(), '<row r="2"><c r="A2"><v>1</v></c></row>', "<!--", *_repeat(" ", unpacked), "-->"])


def wide_row(cells=1_000_000, varied=False):
    """A million cells in one row (the 112 KB file that took 52 s of CPU);
    ``varied``: each cell holds its own number, so the file compresses only
    as much as an ordinary sheet does."""

    def chunks():
        yield _header_row() + '<row r="2">'
        if not varied:
            block = "<c><v>1</v></c>" * 10_000
            for _ in range(cells // 10_000):
                yield block
            yield "<c><v>1</v></c>" * (cells % 10_000)
        else:
            for start in range(0, cells, 10_000):
                yield "".join(f"<c><v>{n * 7919 % 1000003}</v></c>" for n in range(start, min(start + 10_000, cells)))
        yield "</row>"

    return workbook(chunks())


def long_cell(chars=100_000, shared=False, text="长"):
    """One cell longer than any cell Excel writes (32,767 characters), inline or
    shared, made of ``text`` repeated (a long, varied ``text`` compresses as prose does)."""
    if shared:
        return workbook(
            [_header_row(), '<row r="2"><c r="B2" t="s"><v>0</v></c></row>'],
            ['<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>', *_repeat(text, chars), "</t></si></sst>"],
        )
    return workbook([_header_row(), '<row r="2"><c r="B2" t="inlineStr"><is><t>', *_repeat(text, chars), "</t></is></c></row>"])


def many_styles(size=2 * MiB - 4096):
    """A stylesheet of about ``size`` bytes of cell formats (openpyxl parses it whole)."""
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill/></fills>'
        '<borders count="1"><border/></borders><cellXfs>'
    )
    xf = '<xf numFmtId="{}" fontId="0" fillId="0" borderId="0"><alignment textRotation="{}" indent="{}"/></xf>'
    count = (size - len(head) - 40) // len(xf.format(49, 179, 250))
    formats = "".join(xf.format(n % 50, n % 180, n % 251) for n in range(count))
    return workbook([_header_row()], styles_chunks=[head, formats, "</cellXfs></styleSheet>"])


def many_rows(rows=1_000_000):
    """A row count far past any importer's limit, one short cell per row."""

    def chunks():
        yield _header_row()
        batch = []
        for number in range(2, rows + 2):
            batch.append(f'<row r="{number}"><c r="A{number}"><v>{number}</v></c></row>')
            if len(batch) == 10_000:
                yield "".join(batch)
                batch = []
        yield "".join(batch)

    return workbook(chunks())


def far_row(number=1_048_576):
    """A header, then one value on Excel's last row: readers that fill the gap make a million empty rows."""
    return workbook([_header_row(), f'<row r="{number}"><c r="A{number}"><v>1</v></c></row>'])


def many_parts(parts=5000):
    """An ordinary sheet inside an archive of thousands of tiny parts."""
    buffer = io.BytesIO(workbook([_header_row()]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        for number in range(parts):
            archive.writestr(f"xl/media/junk{number}.bin", b"x")
    return buffer.getvalue()


def ordinary_workbook(header, rows, title=None):
    """An ordinary workbook written by openpyxl: an optional merged title row,
    the header row, then ``rows`` (any iterable of lists)."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ledger_rows(count, text_chars=60, unit=""):
    """``count`` rows of an office ledger (整改台账) in the template's column order,
    with problem and measures texts of about ``text_chars`` characters."""
    filler = "群众反映小区供水管网老化夏季经常停水需协调供水公司限时维修改造" * (text_chars // 30 + 1)
    for number in range(1, count + 1):
        yield [
            number, f"{number}号问题:{filler[:text_chars]}", f"{number}号措施:{filler[:text_chars]}", "王书记",
            unit, "李干事", "2027-06-30", "限期整改", f"已完成30%:{filler[: text_chars // 2]}", "群众意见", "",
        ]  # fmt: skip
