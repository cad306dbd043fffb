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


def print_setup(sheet, header_rows="1:2"):
    """Landscape A4, fitted to the page's width, the title and header rows repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4; write-only sheets lack the constant)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = header_rows
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def completion(status_label, progress, latest_text):
    """完成情况 as the export writes it: “进行中(40%)” and the latest progress text below."""
    text = f"{status_label}({progress}%)"
    if latest_text:
        text += f"\n{latest_text}"
    return text


def save(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
