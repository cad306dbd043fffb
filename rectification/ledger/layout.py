"""The office layout of a ledger sheet: a merged title row above one header row."""

import io

from openpyxl.styles import Alignment, Border, Font, Side

from campaign.exports import append_row


def title_row(sheet, title, width):
    append_row(sheet, [title])  # a unit's name could look like a formula: text, never a formula
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    cell = sheet.cell(row=1, column=1)
    cell.font = Font(bold=True, size=16)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30


def style_header(sheet, row, width):
    thin = Side(style="thin")
    for column in range(1, width + 1):
        cell = sheet.cell(row=row, column=column)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)


def save(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
