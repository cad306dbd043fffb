"""Measure the memory and time of importing hostile and ordinary spreadsheets.

    .venv/bin/python manage.py bench_imports            # every case, figures in a table
    .venv/bin/python manage.py bench_imports --case wide-row

Each case is a file no larger than the upload limit (IMPORT_MAX_BYTES): the
attacks of issue 8 (a zip bomb, a million cells in one row, a long cell, a
million rows...), the largest file the limits let through, and ordinary
ledgers and unit trees at the importers' row limits. Each is imported in a
process of its own (``--run``), through the same function the upload form
calls, so its memory figure is its own: the extra resident memory is the
process's peak (VmHWM) minus its resident memory just before the import,
with the file already read into memory. Ordinary files are imported for real
(validated and written to the database) inside a transaction that is rolled
back, so the command leaves nothing behind; use a scratch database anyway.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campaign import hostile_files, importers, spreadsheets

MiB = 1024 * 1024
COMMON_CHARACTERS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些"
    "然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公"
)


def _random_words(count, seed):
    """Text that compresses like prose (about 3 to 1), not like a repeated pattern."""
    import random

    rng = random.Random(seed)
    return "".join(rng.choice(COMMON_CHARACTERS) for _ in range(count))


def _ledger_header():
    from rectification.ledger.importer import TEMPLATE_COLUMNS

    return [column.header for column in TEMPLATE_COLUMNS]


def largest_within_limits():
    """A ledger that passes every check of the archive and the scan: rows up to
    the row limit, every cell long, about as much unpacked text as the limits
    allow, compressed like ordinary text. The heaviest file an importer reads whole."""
    from rectification.ledger.importer import MAX_ROWS

    header = _ledger_header()
    cell_chars = 40 * MiB // (MAX_ROWS * len(header) * 3)  # CJK: 3 bytes a character; 40 of the 48 MiB a sheet may take
    words = _random_words(200_000, seed=8)

    def rows():
        for number in range(MAX_ROWS):
            start = number * 37 % (len(words) - cell_chars)
            yield [words[start + column : start + column + cell_chars] for column in range(len(header))]

    return hostile_files.ordinary_workbook(header, rows(), title="东区整改台账")


def many_small_strings():
    """The largest shared-string table the limits allow: a string per cell, each tiny."""
    from rectification.ledger.importer import LIMITS

    count = LIMITS.max_cells
    return hostile_files.workbook(
        ['<row r="1"><c r="A1" t="inlineStr"><is><t>问题描述</t></is></c></row>'],
        ['<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
        + [f"<si><t>{n}</t></si>" for n in range(count)]
        + ["</sst>"],
    )


def wide_row_as_large_as_allowed():
    """A row of distinct numbers, as many cells as fit under the upload limit."""
    return hostile_files.wide_row(600_000, varied=True)


def many_rows_as_large_as_allowed():
    return hostile_files.many_rows(600_000)


# name -> (importer, maker, what it is)
CASES = {
    "zip-bomb": ("ledger", lambda: hostile_files.zip_bomb(500 * MiB), "one cell unpacking to 500 MiB"),
    "ratio-bomb": ("ledger", hostile_files.ratio_bomb, "12 MiB unpacked, compressed ~1000x"),
    "wide-row": ("ledger", lambda: hostile_files.wide_row(1_000_000), "a million cells in one row"),
    "wide-row-varied": ("ledger", wide_row_as_large_as_allowed, "600,000 distinct cells in one row"),
    "long-cell": ("ledger", lambda: hostile_files.long_cell(5_000_000), "one inline cell of 5 million characters"),
    "long-cell-varied": (
        "ledger", lambda: hostile_files.long_cell(1_500_000, text=_random_words(10_000, 1)), "1.5 million varied characters",
    ),
    "long-shared-string": (
        "ledger",
        lambda: hostile_files.long_cell(1_500_000, shared=True, text=_random_words(10_000, 2)),
        "one shared string of 1.5 million varied characters",
    ),
    "many-styles": ("ledger", hostile_files.many_styles, "a stylesheet at the 2 MiB part limit"),
    "many-rows": ("ledger", many_rows_as_large_as_allowed, "600,000 rows"),
    "far-row": ("ledger", hostile_files.far_row, "a value on row 1,048,576"),
    "many-parts": ("ledger", lambda: hostile_files.many_parts(5000), "5,000 tiny parts"),
    "many-shared-strings": ("ledger", many_small_strings, "150,250 tiny shared strings (the most allowed)"),
    "units-wide-row": ("units", lambda: hostile_files.wide_row(1_000_000), "a million cells in one row (units)"),
    "units-many-rows": ("units", many_rows_as_large_as_allowed, "600,000 rows (units)"),
    "largest-within-limits": ("ledger", largest_within_limits, "3,000 rows of long cells, ~40 MiB unpacked"),
    "ledger-3000": (
        "ledger",
        lambda: hostile_files.ordinary_workbook(
            _ledger_header(), hostile_files.ledger_rows(3000, 200, unit="基准测试社区党支部"), title="基准测试整改台账"
        ),
        "an ordinary ledger at the row limit, imported",
    ),
    "units-3000": ("units", None, "an ordinary tree of 3,000 units, imported"),
    "roster-100000": ("units", lambda: roster_file("基准测试区委"), "a province's roster of 100,000 units (issue 10), imported"),
}


def roster_file(parent_name, streets=1000, communities=99):
    """A roster as the party-member information systems export it: a merged title row, the
    headers 序号 … 党员人数, the organisation type as category, no kind and no code column."""
    header = ["序号", "党组织名称", "党组织简称", "党组织类别", "上级党组织", "党组织书记", "党员人数"]

    def rows():
        number = 0
        for street in range(streets):
            number += 1
            yield [number, f"基准街道{street}党工委", f"基准街道{street}", "党工委", parent_name, "张书记", 120]
            for community in range(communities):
                number += 1
                yield [number, f"基准街道{street}社区{community}党支部", "", "党支部", f"基准街道{street}党工委", "", 30]

    return hostile_files.ordinary_workbook(header, rows(), title="基准测试党组织信息表")


def unit_tree_file(parent_name):
    header = ["名称", "上级单位", "类型", "代码", "书记", "简称", "党员数"]  # the rows' order (the template has more columns)
    rows = []
    for street in range(30):
        rows.append([f"基准街道{street}党工委", parent_name, "街道党工委", "", "张书记", "", 120])
        for community in range(99):
            rows.append([f"基准街道{street}社区{community}党支部", f"基准街道{street}党工委", "社区党支部", "", "", "", 30])
    return hostile_files.ordinary_workbook(header, rows)


class Rollback(Exception):
    pass


def import_once(importer, data):
    """Run the import the upload form runs; returns what a user would see."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone, translation

    from campaign.models import Batch, Campaign, Participation, Unit, UnitKind
    from rectification.ledger import importer as ledger

    translation.activate("en")
    outcome = {}
    try:
        with transaction.atomic():
            user = get_user_model().objects.create(username="bench-imports", is_superuser=True)
            district = Unit.objects.create(name="基准测试区委", kind=UnitKind.DISTRICT)
            community = Unit.objects.create(name="基准测试社区党支部", kind=UnitKind.COMMUNITY, parent=district)
            today = timezone.localdate()
            campaign = Campaign.objects.create(
                name="基准测试活动", issuing_unit=district, start_date=today, end_date=today.replace(year=today.year + 1)
            )
            batch = Batch.objects.create(
                campaign=campaign, number=1, name="第一批", start_date=campaign.start_date, end_date=campaign.end_date
            )
            for unit in (district, community):
                Participation.objects.create(unit=unit, batch=batch)
            if importer == "ledger":
                rows = ledger.read_workbook(data)
                result = ledger.import_ledger(rows, user, batch, district)
            else:
                rows = importers.read_rows(data)
                result = importers.import_units(rows, user)
            outcome = {
                "outcome": f"imported {len(result.created)}" if result.ok else f"{len(result.problems)} problems",
            }
            raise Rollback
    except spreadsheets.UnreadableFile as refusal:
        outcome = {"outcome": f"refused: {refusal}"}
    except Rollback:
        pass
    return outcome


def memory_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise CommandError("/proc/self/status has no " + field)


class Command(BaseCommand):
    help = "Memory and time of importing hostile and ordinary spreadsheets up to the upload limit (scratch database)."

    def add_arguments(self, parser):
        parser.add_argument("--case", action="append", choices=sorted(CASES), help="Only these cases (repeatable).")
        parser.add_argument("--run", nargs=2, metavar=("CASE", "FILE"), help=argparse_suppress())

    def handle(self, *args, **options):
        if options["run"]:
            return self.run_one(*options["run"])
        names = options["case"] or list(CASES)
        self.stdout.write(
            f"upload limit {settings.IMPORT_MAX_BYTES / MiB:.1f} MiB; python {sys.version.split()[0]}; "
            f"load average {os.getloadavg()[0]:.2f}; database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        )
        self.stdout.write(f"{'case':<24}{'file':>10}{'extra MiB':>11}{'seconds':>9}  outcome")
        worst_memory = worst_time = 0
        with tempfile.TemporaryDirectory(prefix="bench-imports-") as folder:
            for name in names:
                importer, make, _what = CASES[name]
                data = unit_tree_file("基准测试区委") if make is None else make()
                if len(data) > settings.IMPORT_MAX_BYTES:
                    raise CommandError(f"{name}: {len(data)} bytes, over the upload limit; the case must be smaller")
                path = Path(folder) / f"{name}.xlsx"
                path.write_bytes(data)
                del data
                figures = self.measure(name, path)
                worst_memory = max(worst_memory, figures["extra_mib"])
                worst_time = max(worst_time, figures["seconds"])
                self.stdout.write(
                    f"{name:<24}{path.stat().st_size / 1024:>8.0f}KB{figures['extra_mib']:>11.1f}"
                    f"{figures['seconds']:>9.2f}  {figures['outcome'][:90]}"
                )
        self.stdout.write(f"worst: {worst_memory:.1f} MiB extra, {worst_time:.2f} s")

    def measure(self, name, path):
        command = [sys.executable, "manage.py", "bench_imports", "--run", name, str(path)]
        result = subprocess.run(
            command, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
        )
        if result.returncode != 0:
            raise CommandError(f"{name} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def run_one(self, name, path):
        importer = CASES[name][0]
        data = Path(path).read_bytes()
        from django.db import connection

        connection.ensure_connection()
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the memory in use now
        before = memory_kib("VmRSS")
        started = time.perf_counter()
        outcome = import_once(importer, data)
        seconds = time.perf_counter() - started
        extra = (memory_kib("VmHWM") - before) / 1024
        self.stdout.write(json.dumps({"extra_mib": max(extra, 0.0), "seconds": seconds, **outcome}, ensure_ascii=False))


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS
