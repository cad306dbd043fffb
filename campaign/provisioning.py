"""Bulk provisioning: accounts for a whole district from one spreadsheet.

Rows are read by the unit importer (:func:`campaign.importers.read_rows`,
:func:`~campaign.importers.find_columns`), so a title row above the header,
CSV in UTF-8 or GBK and the row/column of every problem work the same way.

1. :func:`validate` checks every row, finds each row's unit among the units
   the administrator manages (by code, full name or short name), its role and
   supervision group, and who the person is: an account already known by its
   login, phone or staff number gains the membership instead of a second
   account. All problems are collected; nothing is written.
2. :func:`apply` writes what is missing, in one transaction: new accounts
   (with a one-time initial password, or for directory sign-in none),
   memberships, places in supervision groups. A second import of the same
   file finds everything in place and changes nothing.

:func:`run` does both for a :class:`~campaign.models.ProvisioningRun`, in the
request for small files and in a Celery worker for large ones.
"""

import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import openpyxl
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from campaign import accounts, spreadsheets
from campaign.importers import (
    HEADER_SEARCH_ROWS,
    Column,
    Problem,
    Record,
    UnreadableFile,
    find_columns,
    normalise,
    read_rows,
    to_records,
)
from campaign.models import Membership, Profile, ProvisionedAccount, ProvisioningRun, Role, SupervisionGroup, Unit
from campaign.permissions import ADMINISTER

# Files with more data rows than this are imported by a background worker.
BACKGROUND_ROWS = 300
MAX_ROWS = 50_000
# Read through campaign.spreadsheets with the unit importer's other limits (columns, cell length, the archive).
LIMITS = spreadsheets.Limits(max_rows=MAX_ROWS, header_rows=HEADER_SEARCH_ROWS)

COLUMNS = (
    Column("name", "姓名", "name", gettext_lazy("The person's full name."), aliases=("名字", "人员姓名")),
    Column(
        "phone", "手机号", "mobile", gettext_lazy("Mobile phone number, 11 digits."), required=False,
        aliases=("手机", "手机号码", "联系电话", "phone"),
    ),
    Column(
        "staff_number", "工号", "staff number", gettext_lazy("Staff or employee number."), required=False,
        aliases=("职工号", "员工号", "编号"),
    ),
    Column(
        "login", "登录名", "login",
        gettext_lazy("May be empty: the staff number, else the phone number, is the login then."),
        required=False, aliases=("用户名", "账号", "username"),
    ),
    Column(
        "unit", "单位", "unit", gettext_lazy("The unit's full name, short name or code: a unit you manage."),
        aliases=("所在单位", "单位名称", "组织", "党组织"),
    ),
    Column("role", "角色", "role", gettext_lazy("One of the roles listed below."), aliases=("身份",)),
    Column(
        "group", "督导组", "supervision group",
        gettext_lazy("Supervisors only, may be empty: the group's name, as in the campaign."),
        required=False, aliases=("所在督导组",),
    ),
    Column("email", "邮箱", "e-mail", gettext_lazy("May be empty; notifications go there."), required=False,
           aliases=("电子邮箱", "email", "邮件")),
)

# Words offices write in the role column, besides Role's codes and labels.
ROLE_WORDS = {
    "填报员": Role.STAFF,
    "填报人": Role.STAFF,
    "填报人员": Role.STAFF,
    "督导员": Role.SUPERVISOR,
    "督导": Role.SUPERVISOR,
    "督导组成员": Role.SUPERVISOR,
    "领导": Role.LEADER,
    "管理员": Role.ADMIN,
}

TEMPLATE_EXAMPLES = (
    ("张晓梅", "13800000001", "", "", "中共示例区委员会", "填报员", "", ""),
    ("李振华", "13800000002", "W0002", "lizh", "示例区", "督导员", "市委第一督导组", "lizh@example.org"),
    ("王建国", "", "W0003", "", "D01", "领导", "", ""),
)

PHONE = re.compile(r"^1\d{10}$")
MAX_STAFF_NUMBER = Profile._meta.get_field("staff_number").max_length
MAX_NAME = get_user_model()._meta.get_field("last_name").max_length


@dataclass(eq=False)
class PersonRow(Record):
    """A data row and what validation made of it."""

    login: str = ""
    phone: str = ""
    unit_obj: Unit | None = None
    role: str = ""
    group: SupervisionGroup | None = None
    user: object = None  # an existing account, when the person is known


@dataclass
class Outcome:
    rows: int = 0
    problems: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    @property
    def ok(self):
        return not self.problems


# --- validation -------------------------------------------------------------------


def validate(rows, user, directory_sign_in=False):
    """(person rows ready to apply, problems sorted by row and column)."""
    header_index, headers, problems = find_columns(rows, COLUMNS, key_field="name")
    if not problems and not {"phone", "staff_number", "login"} & set(headers):
        message = _("a column “%(phone)s”, “%(number)s” or “%(login)s” is needed to tell people apart") % {
            "phone": "手机号", "number": "工号", "login": "登录名",
        }
        problems.append(Problem(header_index + 1, "手机号", message))
    if not problems and directory_sign_in and "login" not in headers:
        message = _("the column “%(login)s” is needed: it holds each person's login in the directory") % {
            "login": "登录名"
        }
        problems.append(Problem(header_index + 1, "登录名", message))
    if problems:
        return [], problems
    if len(rows) - header_index - 1 > MAX_ROWS:
        message = _("the file has more than %(count)s rows; split it into smaller files") % {"count": MAX_ROWS}
        return [], [Problem(None, "", message)]
    records = [PersonRow(r.row, r.cells, r.headers) for r in to_records(rows, header_index, headers)]
    if not records:
        return [], [Problem(None, "", _("the file has no people below its header row"))]
    roles = role_lookup()
    for record in records:
        problems += check_cells(record, roles, directory_sign_in)
    problems += resolve_units(records, user)
    problems += resolve_groups(records, user)
    problems += check_people(records)
    return records, sorted(problems, key=lambda p: (p.row or 0, p.position))


def role_lookup():
    lookup = {normalise(word): role for word, role in ROLE_WORDS.items()}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            lookup.update({normalise(str(label)): value for value, label in Role.choices})
    lookup.update({normalise(value): value for value in Role.values})
    return lookup


def normalise_phone(text):
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def check_cells(record, roles, directory_sign_in):
    """Problems within one row's own cells; fills in its login, phone and role."""
    problems = []
    cells = record.cells
    for name in ("name", "unit", "role"):
        if not cells.get(name):
            problems.append(record.problem(name, _("this cell must not be empty")))
    if len(cells.get("name", "")) > MAX_NAME:
        problems.append(record.problem("name", _("at most %(limit)s characters are allowed") % {"limit": MAX_NAME}))
    if cells.get("phone"):
        record.phone = normalise_phone(cells["phone"])
        if not PHONE.match(record.phone):
            message = _("“%(value)s” is not a mobile phone number (11 digits, beginning with 1)")
            problems.append(record.problem("phone", message % {"value": cells["phone"]}))
    if len(cells.get("staff_number", "")) > MAX_STAFF_NUMBER:
        message = _("at most %(limit)s characters are allowed") % {"limit": MAX_STAFF_NUMBER}
        problems.append(record.problem("staff_number", message))
    record.login = cells.get("login") or cells.get("staff_number") or record.phone
    if directory_sign_in and not cells.get("login"):
        problems.append(record.problem("login", _("write the person's login in the directory (LDAP)")))
    elif not record.login:
        problems.append(record.problem("phone", _("write a mobile phone number, a staff number or a login")))
    elif cells.get("login") or cells.get("staff_number"):
        try:
            UnicodeUsernameValidator()(record.login)
            if len(record.login) > 150:
                raise ValidationError("too long")
        except ValidationError:
            column = "login" if cells.get("login") else "staff_number"
            message = _("“%(value)s” cannot be a login: use letters, digits and @ . + - _ only, at most 150")
            problems.append(record.problem(column, message % {"value": record.login}))
    if cells.get("email"):
        try:
            validate_email(cells["email"])
        except ValidationError:
            problems.append(record.problem("email", _("“%(value)s” is not an e-mail address") % {"value": cells["email"]}))
    if cells.get("role"):
        record.role = roles.get(normalise(cells["role"]), "")
        if not record.role:
            message = _("unknown role “%(value)s”; write %(words)s") % {
                "value": cells["role"],
                "words": get_text_list([str(label) for _value, label in Role.choices], _("or")),
            }
            problems.append(record.problem("role", message))
    if cells.get("group") and record.role and record.role != Role.SUPERVISOR:
        problems.append(record.problem("group", _("only supervisors join a supervision group")))
    return problems


def resolve_units(records, user):
    """Each row's unit: among the units ``user`` manages, by code, else full name,
    else short name. A unit outside that scope is never a candidate, so a row
    naming one is refused like a row naming no unit at all."""
    values = {record.cells["unit"] for record in records if record.cells.get("unit")}
    units = accounts.managed_units(user).filter(
        Q(code__in=values) | Q(name__in=values) | Q(short_name__in=values)
    ).only("pk", "name", "short_name", "code", "path")
    by_field = {name: defaultdict(list) for name in ("code", "name", "short_name")}
    for unit in units:
        for name in by_field:
            if getattr(unit, name):
                by_field[name][getattr(unit, name)].append(unit)
    problems = []
    for record in records:
        value = record.cells.get("unit")
        if not value:
            continue
        found = by_field["code"].get(value) or by_field["name"].get(value) or by_field["short_name"].get(value) or []
        if len(found) == 1:
            record.unit_obj = found[0]
        elif not found:
            message = _("no unit “%(value)s” among the units you manage (write its full name, short name or code)")
            problems.append(record.problem("unit", message % {"value": value}))
        else:
            message = _("“%(value)s” names %(count)s units you manage; write the full name or the code")
            problems.append(record.problem("unit", message % {"value": value, "count": len(found)}))
    return problems


def resolve_groups(records, user):
    """Each supervisor row's group: one organised by a unit ``user`` manages."""
    names = {record.cells["group"] for record in records if record.cells.get("group")}
    if not names:
        return []
    groups = defaultdict(list)
    organised = Unit.objects.restrict(user, ADMINISTER)
    for group in SupervisionGroup.objects.filter(organising_unit__in=organised, name__in=names):
        groups[group.name].append(group)
    problems = []
    for record in records:
        name = record.cells.get("group")
        if not name or record.role != Role.SUPERVISOR:
            continue
        found = groups.get(name, [])
        if len(found) == 1:
            record.group = found[0]
        elif not found:
            message = _("no supervision group “%(value)s” organised by a unit you manage")
            problems.append(record.problem("group", message % {"value": name}))
        else:
            message = _("“%(value)s” names groups of %(count)s campaigns; rename one of them")
            problems.append(record.problem("group", message % {"value": name, "count": len(found)}))
    return problems


def check_people(records):
    """Who each row is: rows of one person agree with each other, and a person
    known by login, phone or staff number is that one existing account."""
    problems = []
    first = {}  # (kind, value) -> the first row with it
    for record in records:
        if not record.login:
            continue
        for kind, value, column in (
            ("phone", record.phone, "phone"),
            ("staff_number", record.cells.get("staff_number", ""), "staff_number"),
        ):
            if not value:
                continue
            other = first.setdefault((kind, value), record)
            if other.login != record.login:
                message = _("“%(value)s” is also on row %(other)s, for another login")
                problems.append(record.problem(column, message % {"value": value, "other": other.row}))
        other = first.setdefault(("login", record.login), record)
        if other.cells["name"] != record.cells["name"]:
            message = _("login “%(value)s” is also on row %(other)s, for another name")
            problems.append(record.problem("login" if "login" in record.headers else "name",
                                           message % {"value": record.login, "other": other.row}))  # fmt: skip
    problems += _match_accounts(records)
    return problems


def _match_accounts(records):
    """Point rows at the existing accounts they name (one query per kind of key)."""
    User = get_user_model()
    logins = {r.login for r in records if r.login}
    phones = {r.phone for r in records if r.phone}
    numbers = {r.cells.get("staff_number") for r in records if r.cells.get("staff_number")}
    by_login = {u.username: u for u in User.objects.filter(username__in=logins)}
    by_phone = {p.phone: p.user for p in Profile.objects.filter(phone__in=phones).select_related("user")}
    by_number = {
        p.staff_number: p.user for p in Profile.objects.filter(staff_number__in=numbers).select_related("user")
    }
    problems = []
    for record in records:
        if not record.login:
            continue
        found = {
            "login": by_login.get(record.login),
            "phone": by_phone.get(record.phone),
            "staff_number": by_number.get(record.cells.get("staff_number")),
        }
        people = {user.pk: user for user in found.values() if user is not None}
        if len(people) > 1:
            column = next(c for c in ("phone", "staff_number", "login") if found[c] is not None and c in record.headers)
            message = _("the login, phone and staff number of this row belong to different accounts (%(logins)s)")
            logins_text = "、".join(sorted(user.username for user in people.values()))
            problems.append(record.problem(column, message % {"logins": logins_text}))
        elif people:
            record.user = next(iter(people.values()))
            if not record.user.is_active:
                message = _("the account “%(login)s” is deactivated; reactivate it first")
                problems.append(record.problem("name", message % {"login": record.user.username}))
    return problems


# --- writing ----------------------------------------------------------------------


def apply(records, run):
    """Create what is missing, in one transaction; counts by kind of change."""
    User = get_user_model()
    counts = Counter()
    with transaction.atomic():
        people = {}  # login -> account, new or existing
        new_keys = {}
        for record in records:
            if record.login in people:
                continue
            if record.user is not None:
                people[record.login] = record.user
                continue
            key = "" if run.directory_sign_in else accounts.new_password_key()
            user = User(username=record.login, last_name=record.cells["name"], email=record.cells.get("email", ""))
            if key:
                user.password = accounts.initial_password_hash(key)
            else:
                user.set_unusable_password()
            people[record.login] = user
            new_keys[record.login] = (key, record)
        created = [people[login] for login in new_keys]
        User.objects.bulk_create(created)
        now = timezone.now()
        Profile.objects.bulk_create(
            [
                Profile(
                    user=people[login],
                    phone=record.phone,
                    staff_number=record.cells.get("staff_number", ""),
                    must_change_password=bool(key),
                    initial_password_key=key,
                    initial_password_set_at=now if key else None,
                )
                for login, (key, record) in new_keys.items()
            ]
        )
        counts["accounts"] = len(created)

        wanted = {(people[r.login].pk, r.unit_obj.pk, r.role): r for r in records}
        existing = set(
            Membership.objects.filter(
                user_id__in={key[0] for key in wanted}, unit_id__in={key[1] for key in wanted}
            ).values_list("user_id", "unit_id", "role")
        )
        missing = {key: record for key, record in wanted.items() if key not in existing}
        Membership.objects.bulk_create(
            [Membership(user_id=user_id, unit_id=unit_id, role=role) for user_id, unit_id, role in missing]
        )
        counts["memberships"] = len(missing)
        new_logins = set(new_keys)
        ProvisionedAccount.objects.bulk_create(
            [
                ProvisionedAccount(
                    run=run, user_id=user_id, unit_id=unit_id, role=role, row=record.row,
                    created=record.login in new_logins,
                )
                for (user_id, unit_id, role), record in missing.items()
            ]
        )  # fmt: skip
        counts["group_places"] = _join_groups(records, people)
    counts["unchanged"] = sum(1 for r in records if (people[r.login].pk, r.unit_obj.pk, r.role) not in missing)
    return counts


def _join_groups(records, people):
    through = SupervisionGroup.members.through
    wanted = {(r.group.pk, people[r.login].pk) for r in records if r.group is not None}
    if not wanted:
        return 0
    existing = set(
        through.objects.filter(supervisiongroup_id__in={g for g, _u in wanted}).values_list(
            "supervisiongroup_id", "user_id"
        )
    )
    missing = wanted - existing
    through.objects.bulk_create([through(supervisiongroup_id=g, user_id=u) for g, u in missing])
    return len(missing)


# --- a run -------------------------------------------------------------------------


def count_rows(rows):
    """Data rows below the header (for choosing between now and the background)."""
    header_index, _headers, problems = find_columns(rows, COLUMNS, key_field="name")
    if problems:
        return 0
    return sum(1 for row in rows[header_index + 1 :] if any(row))


def run(run_id):
    """Import the file of a queued run; idempotent: a run already taken is left alone."""
    if not ProvisioningRun.objects.filter(pk=run_id, status=ProvisioningRun.Status.QUEUED).update(
        status=ProvisioningRun.Status.RUNNING
    ):
        return None
    provisioning = ProvisioningRun.objects.select_related("created_by").get(pk=run_id)
    with translation.override(provisioning.language):
        outcome = _outcome(provisioning)
    provisioning.status = ProvisioningRun.Status.DONE if outcome.ok else ProvisioningRun.Status.REFUSED
    provisioning.row_count = outcome.rows
    provisioning.problems = [{"row": p.row, "column": p.column, "message": p.message} for p in outcome.problems]
    provisioning.counts = dict(outcome.counts)
    provisioning.data = b""
    provisioning.finished_at = timezone.now()
    provisioning.save()
    return provisioning


def _outcome(provisioning):
    user = provisioning.created_by
    if user is None or not accounts.may_manage_accounts(user):
        return Outcome(problems=[Problem(None, "", _("the administrator who uploaded the file may no longer import accounts"))])
    try:
        rows = read_rows(bytes(provisioning.data), LIMITS)
    except UnreadableFile as error:
        return Outcome(problems=[Problem(None, "", str(error))])
    records, problems = validate(rows, user, provisioning.directory_sign_in)
    if problems:
        return Outcome(rows=len(records), problems=problems)
    try:
        return Outcome(rows=len(records), counts=apply(records, provisioning))
    except IntegrityError:  # someone made a clashing account between validation and writing
        message = _("the accounts changed while importing; nothing was imported, please try again")
        return Outcome(rows=len(records), problems=[Problem(None, "", message)])


def start(user, file_name, data, rows, directory_sign_in=False, *, queue):
    """Record a run for an upload; import it now when small, else hand its id to
    ``queue`` (the caller's Celery task, ``campaign.tasks.provision_accounts``,
    so that this module does not import the tasks that import it)."""
    provisioning = ProvisioningRun.objects.create(
        created_by=user,
        file_name=file_name[:255],
        data=data,
        language=translation.get_language() or "zh-hans",
        directory_sign_in=directory_sign_in,
        row_count=count_rows(rows),
    )
    if provisioning.row_count <= BACKGROUND_ROWS:
        return run(provisioning.pk) or provisioning
    queue(provisioning.pk)
    return provisioning


# --- slips and the template ---------------------------------------------------------


def pending_accounts(provisioning, viewer):
    """(unit, user, initial password) of the run's new accounts still waiting for
    their first login, that ``viewer`` may manage, grouped by unit in tree order."""
    entries = (
        ProvisionedAccount.objects.filter(run=provisioning, created=True)
        .select_related("user__profile", "unit")
        .order_by("unit__path", "row")
    )
    first = {}
    for entry in entries:
        first.setdefault(entry.user_id, entry)  # a person on several rows gets one slip
    people = [entry.user for entry in first.values()]
    allowed = accounts.manageable_ids(viewer, people)
    slips = []
    for entry in first.values():
        password = accounts.initial_password(getattr(entry.user, "profile", None))
        if password and entry.user.is_active and entry.user_id in allowed:
            slips.append((entry.unit, entry.user, password))
    return slips


def template_workbook():
    """The .xlsx to fill in: the header row, three example rows and a drop-down of roles."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "账号"
    sheet.append([column.header for column in COLUMNS])
    for example in TEMPLATE_EXAMPLES:
        sheet.append(list(example))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (10, 14, 10, 12, 28, 10, 18, 22)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, max_col=3):
        for cell in row[1:3]:
            cell.number_format = "@"  # phone and staff numbers stay text
    sheet.freeze_panes = "A2"
    roles = DataValidation(type="list", formula1='"填报员,督导员,领导,管理员"', allow_blank=True, showErrorMessage=False)
    sheet.add_data_validation(roles)
    roles.add("F2:F5000")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

