"""Time the provisioning of a district's accounts from one spreadsheet.

    .venv/bin/python manage.py bench_provisioning              # 100 people, 3 rounds
    .venv/bin/python manage.py bench_provisioning --people 1000

It builds a district of its own (a district committee, 4 streets, 20
communities under a root unit of its own, with an administrator), writes an
.xlsx the way an office would (姓名, 手机号, 工号, 单位 by name/short
name/code, 角色 with every role), and times, per round:

1. reading the file (``read_rows``);
2. the first import (validation and writing: accounts, profiles, memberships),
   as a request does it for a small file and a worker for a large one;
3. the same file again (nothing changes: checked);
4. the slips of every new account as one PDF (WeasyPrint), and its size;
5. one login check of an initial password (its light hash) and, for
   comparison, of a password hashed with the default hasher.

Everything it made is deleted after each round. Safe on a database people
use: it touches only its own units and accounts (login names ``benchprov-…``).
"""

import io
import os
import platform
import statistics
import time

import openpyxl
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from campaign import accounts, provisioning, slips
from campaign.importers import read_rows
from campaign.models import Membership, ProvisioningRun, Role, Unit, UnitKind

MARK = "benchprov"
ROOT_NAME = f"{MARK} 基准测试市(运行后自动删除)"
ROLES = ("填报员",) * 7 + ("督导员", "领导", "管理员")


class Command(BaseCommand):
    help = "Time importing a district's accounts from one spreadsheet (first import, re-import, slips)."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=100, help="Rows in the spreadsheet (default 100).")
        parser.add_argument("--rounds", type=int, default=3, help="Repeat this many times (default 3).")

    def handle(self, *args, people, rounds, **options):
        if people < 1 or rounds < 1:
            raise CommandError("--people and --rounds must be at least 1")
        if Unit.objects.filter(name=ROOT_NAME).exists() or get_user_model().objects.filter(username__startswith=f"{MARK}-").exists():
            raise CommandError(f"leftovers of an earlier run ({MARK}…) are in the database; delete them first")
        self.stdout.write(self.machine())
        figures = {key: [] for key in ("read", "import", "reimport", "slips")}
        pdf_size = 0
        for number in range(1, rounds + 1):
            admin, units = self.build()
            try:
                data = workbook(people, units)
                started = time.perf_counter()
                rows = read_rows(data, provisioning.LIMITS)
                figures["read"].append(time.perf_counter() - started)

                first = self.timed_import(admin, rows, data, figures["import"])
                if first.status != ProvisioningRun.Status.DONE or first.counts.get("accounts") != people:
                    raise CommandError(f"the first import did not make {people} accounts: {first.counts} {first.problems[:3]}")
                again = self.timed_import(admin, rows, data, figures["reimport"])
                if again.counts.get("accounts") or again.counts.get("memberships"):
                    raise CommandError(f"the second import changed something: {again.counts}")

                started = time.perf_counter()
                pdf = slips.slips_pdf(provisioning.pending_accounts(first, admin))
                figures["slips"].append(time.perf_counter() - started)
                pdf_size = len(pdf)
                self.stdout.write(
                    f"round {number}: read {figures['read'][-1]:.3f} s, import {figures['import'][-1]:.3f} s, "
                    f"re-import {figures['reimport'][-1]:.3f} s, slips {figures['slips'][-1]:.3f} s"
                )
            finally:
                self.clean()
        self.stdout.write(f"\n{people} people, {len(units)} units, {rounds} rounds (best / median):")
        for key, label in (
            ("read", "read the .xlsx"),
            ("import", "first import (validate + write)"),
            ("reimport", "same file again (no change)"),
            ("slips", "slips PDF of every new account"),
        ):
            values = figures[key]
            self.stdout.write(f"  {label:<34} {min(values):7.3f} s / {statistics.median(values):7.3f} s")
        self.stdout.write(f"  slips PDF size                     {pdf_size / 1024:7.0f} KiB")
        self.stdout.write(self.hash_times())

    def timed_import(self, admin, rows, data, into):
        """What the request (small files) or the worker (large ones) does with an upload."""
        started = time.perf_counter()
        run = ProvisioningRun.objects.create(created_by=admin, file_name="bench.xlsx", data=data, row_count=len(rows))
        run = provisioning.run(run.pk)
        into.append(time.perf_counter() - started)
        return run

    def build(self):
        root = Unit.objects.create(name=ROOT_NAME, kind=UnitKind.CITY)
        district = Unit.objects.create(parent=root, name=f"{MARK}区委", short_name=f"{MARK}区", code=f"{MARK}-D", kind=UnitKind.DISTRICT)
        units = [district]
        for s in range(1, 5):
            street = Unit.objects.create(parent=district, name=f"{MARK}第{s}街道党工委", short_name=f"{MARK}{s}街道",
                                         code=f"{MARK}-S{s}", kind=UnitKind.STREET)  # fmt: skip
            units.append(street)
            for c in range(1, 6):
                units.append(Unit.objects.create(parent=street, name=f"{MARK}第{s}街道第{c}社区党支部",
                                                 code=f"{MARK}-S{s}-C{c}", kind=UnitKind.COMMUNITY))  # fmt: skip
        admin = get_user_model().objects.create_user(f"{MARK}-admin")
        Membership.objects.create(user=admin, unit=district, role=Role.ADMIN)
        return admin, units

    def clean(self):
        User = get_user_model()
        ProvisioningRun.objects.filter(created_by__username__startswith=f"{MARK}-").delete()
        User.objects.filter(username__startswith=f"{MARK}-").delete()
        root = Unit.objects.filter(name=ROOT_NAME).first()
        if root is not None:
            for unit in Unit.objects.subtree(root).order_by("-depth"):
                unit.delete()

    def hash_times(self):
        key = accounts.new_password_key()
        initial = accounts.initial_password_hash(key)
        default = make_password("a-password-someone-chose")
        started = time.perf_counter()
        check_password(accounts.derive_password(key), initial)
        light = time.perf_counter() - started
        started = time.perf_counter()
        check_password("a-password-someone-chose", default)
        full = time.perf_counter() - started
        return f"  one login check: initial password {light * 1000:.1f} ms, a chosen password {full * 1000:.0f} ms"

    def machine(self):
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        if connection.vendor == "postgresql":
            number = connection.pg_version
            database = f"PostgreSQL {number // 10000}.{number % 10000}"
        else:
            import sqlite3

            database = f"SQLite {sqlite3.sqlite_version}"
        return (
            f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {database}, "
            f"load average {load}"
        )


def workbook(people, units):
    """An .xlsx of ``people`` rows spread over ``units``, naming units by full name, short name or code in turn."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([f"{MARK}区 账号花名册"])  # a title row above the header, as offices write
    sheet.append(["序号", "姓名", "手机号", "工号", "单位", "角色"])
    for index in range(people):
        unit = units[index % len(units)]
        unit_text = (unit.name, unit.short_name or unit.name, unit.code)[index % 3]
        sheet.append([index + 1, f"测试{index:04d}", f"139{index:08d}", f"{MARK}-{index:05d}", unit_text, ROLES[index % len(ROLES)]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
