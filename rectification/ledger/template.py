"""The .xlsx template of the ledger import: the office layout with one example row."""

import datetime

import openpyxl
from django.utils import timezone
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation

from campaign.exports import append_row

from . import layout
from .importer import TEMPLATE_COLUMNS

TEMPLATE_WIDTHS = (6, 36, 36, 10, 22, 10, 14, 12, 30, 10, 16)


def template_workbook(unit):
    """The office layout: a merged title row, the header row and one example row for ``unit``."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "整改台账"
    headers = [column.header for column in TEMPLATE_COLUMNS]
    due = datetime.date(timezone.localdate().year + 1, 6, 30)
    example = [
        1, "群众反映小区供水管网老化,夏季经常停水", "对小区供水管网进行改造,协调供水公司限时维修",
        unit.leader_name or "王书记", unit.name, "李干事", due, "限期整改", "已制定改造方案,完成30%", "群众意见",
        "",
    ]
    layout.title_row(sheet, f"{unit.name}整改台账", len(headers))
    append_row(sheet, headers)
    append_row(sheet, example)
    layout.print_setup(sheet, "1:2")
    layout.style_header(sheet, 2, len(headers))
    sheet.cell(row=3, column=7).number_format = "yyyy-mm-dd"
    for row in sheet.iter_rows(min_row=3, max_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(TEMPLATE_WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    # Drop-downs as hints, not locks: other spellings are accepted too.
    terms = DataValidation(type="list", formula1='"立行立改,限期整改,中长期整改"', allow_blank=True, showErrorMessage=False)
    sources = DataValidation(type="list", formula1='"群众意见,自查,督导,上级反馈,两批互动"', allow_blank=True, showErrorMessage=False)
    sheet.add_data_validation(terms)
    sheet.add_data_validation(sources)
    terms.add("H3:H3000")
    sources.add("J3:J3000")
    return layout.save(workbook)
