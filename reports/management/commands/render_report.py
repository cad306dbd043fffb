"""Render a report to a file, for operators and scripts:

    python manage.py render_report {summary,ledger,circular} --unit UNIT [--batch N] [--as-of DATE] --output FILE

UNIT is a unit's full name, short name or code (``--unit 乌海市`` is the demo city);
N the batch's number in the unit's campaign; DATE as YYYY-MM-DD (default: today).
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from campaign.models import Unit
from reports import documents, facts
from reports.models import ReportKind


def find_unit(text):
    found = list(Unit.objects.filter(Q(name=text) | Q(short_name=text) | Q(code=text))[:2])
    if not found:
        raise CommandError(f"No unit is called or coded “{text}”.")
    if len(found) > 1:
        raise CommandError(f"Several units are called “{text}”: give its code.")
    return found[0]


class Command(BaseCommand):
    help = "Render a summary, ledger or overdue circular of a unit's subtree as a PDF file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument("--unit", required=True, help="full name, short name or code")
        parser.add_argument("--batch", type=int, help="the batch's number (default: all batches)")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--number", default="", help="the circular's document number (文号)")
        parser.add_argument("--output", required=True, help="the PDF file to write")

    def handle(self, *args, kind, unit, batch, as_of, number, output, **options):
        unit = find_unit(unit)
        chosen = None
        if batch is not None:
            campaign = facts.campaign_of(unit)
            chosen = campaign.batches.filter(number=batch).first() if campaign else None
            if chosen is None:
                raise CommandError(f"No batch {batch} in the campaign of {unit.name}.")
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else None
        except ValueError as error:
            raise CommandError(f"--as-of: {error}") from error
        started = time.monotonic()
        rendered, figures = documents.make(kind, unit, batch=chosen, as_of=day, number=number)
        with open(output, "wb") as handle:
            handle.write(rendered.pdf)
        for warning in rendered.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"{output}: {rendered.pages} pages, {len(rendered.pdf)} bytes, {time.monotonic() - started:.2f} s"
        )
