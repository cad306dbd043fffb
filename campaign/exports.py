"""Export of any filtered list as .xlsx or .csv, from the list's own Table.

A list view mixes in :class:`ExportMixin`; ``?export=xlsx`` or ``?export=csv``
added to the list's URL (with its filters) returns every matching row, not
only the current page, with the table's visible columns.

Exports cannot run code in the spreadsheet program that opens them (formula
injection): every text value goes into an .xlsx cell as a string, never as a
formula (:func:`append_row`), and in a .csv a text value that a spreadsheet
would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) gets a leading apostrophe, as OWASP recommends
(:func:`csv_safe`). Every export, the ledger's included, goes through these.
"""

import csv
import datetime
import io

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Font

from campaign.cells import csv_safe

FORMATS = ("csv", "xlsx")


def append_row(sheet, values):
    """Append ``values`` to an openpyxl sheet, every text as a string cell:
    openpyxl would otherwise store a text starting with "=" as a formula."""
    sheet.append(values)
    # The row just appended: openpyxl keeps it; sheet.max_row would scan every cell of
    # the sheet, making an export of n rows take n² steps (3,000 rows: a minute).
    row = sheet._current_row
    for column in range(1, len(values) + 1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(cell.value, str):
            cell.data_type = "s"


def table_rows(table):
    """Header and rows of a django-tables2 table, as plain values."""
    return [[("" if value is None else value) for value in row] for row in table.as_values()]


def csv_response(rows, filename):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that Excel opens UTF-8 Chinese text correctly
    csv.writer(buffer).writerows([csv_safe(value) for value in row] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    return response


def xlsx_response(rows, filename, title):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for row in rows:
        append_row(sheet, [value if isinstance(value, (int, float, datetime.date)) else str(value) for value in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width * 1.8, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.xlsx")
    return response


class ExportMixin:
    """For SingleTableMixin list views: serve the filtered rows as a file."""

    export_name = "export"  # the sheet's and the file's name, translated: e.g. 整改任务-20261128.xlsx
    # A producer registered in campaign.background: an export of more rows than
    # EXPORT_BACKGROUND_ROWS is then written by a worker, and the user is sent to its page.
    background_kind = None

    def export_rows(self):
        """The rows to export: the list's filtered queryset (annotated as its sort needs)."""
        return self.object_list

    def render_to_response(self, context, **response_kwargs):
        export = self.request.GET.get("export")
        if export in FORMATS:
            if self.background_kind:
                from campaign import background
                from campaign.tasks import run_export

                if background.too_large(self.export_rows()):
                    job = background.start(
                        self.request.user,
                        self.background_kind,
                        self.request.GET,
                        export,
                        self.export_name,
                        queue=run_export.delay_on_commit,
                    )
                    return redirect("campaign:export_job", pk=job.pk)
            table = self.get_table_class()(self.export_rows(), request=self.request)
            rows = table_rows(table)
            filename = f"{self.export_name}-{timezone.localdate():%Y%m%d}"  # names may be Chinese
            if export == "csv":
                return csv_response(rows, filename)
            return xlsx_response(rows, filename, str(self.export_name))
        return super().render_to_response(context, **response_kwargs)
