"""The demo's story data: read from the YAML files in demo/data/ and checked.

- ``units.yaml``: the city's tree of party organisations;
- ``campaign.yaml``: the campaign, its batches and phases, who took part, the
  look-back figures and the indicators;
- ``people.yaml``: the demo logins and the supervision group;
- ``ledger.yaml``: the rectification ledger, problem by problem, task by task,
  with the steps each task went through.

Reading turns them into the plain tuples below, which the loaders
(:mod:`demo.city`, :mod:`demo.ledger`) write to the database. Every file is
checked whole before anything is written: a field misspelt or missing, a unit
that is not in the tree, a choice that does not exist, a step without the one
it answers, each stops the loading with a message naming the file and the
entry. The files name units by their short name (简称); the tuples carry what
the loaders look units up by (the full name for the city, the short name for
the ledger), as before the data moved into files.
"""

import datetime
from functools import cache
from pathlib import Path
from typing import NamedTuple

import yaml

from campaign.models import Role, UnitKind
from campaign.models.campaigns import LOOK_BACK_CHECKS, PhaseKind
from demo.evidence import Document, Photo
from rectification.models import Term
from rectification.models.decisions import ExplanationReason
from rectification.models.problems import ProblemCategory, ProblemSource
from rectification.models.supervision import AccountabilityMeasure

DATA = Path(__file__).resolve().parent / "data"


class DemoDataError(ValueError):
    """A demo data file says something the loader cannot write."""


# --- what the files hold ---------------------------------------------------------------


class DemoUnit(NamedTuple):
    name: str
    short_name: str
    kind: str
    code: str
    leader_name: str
    member_count: int
    children: tuple = ()


class DemoBatch(NamedTuple):
    number: int
    name: str
    scope_note: str
    start_date: datetime.date
    end_date: datetime.date
    kinds: tuple  # the unit kinds that take part in this batch
    phases: tuple  # (kind, start, end, note), in order
    five_checks: bool = False  # its units run the 五查五看 checklist in the look-back
    report_due: datetime.date | None = None  # the units report their figures by then


class DemoUser(NamedTuple):
    username: str
    last_name: str
    first_name: str
    memberships: tuple  # (unit name, role)
    superuser: bool = False


class City(NamedTuple):
    root: DemoUnit
    campaign: dict  # name, description, start_date, end_date
    batches: tuple
    members_absent: dict  # unit name -> members who did not take part
    look_back: dict  # unit name -> (make-up class members, educated and transformed, handled)
    look_back_open: dict  # unit name -> (the 五查五看 checks still open, note)
    figures_returned: dict  # unit name -> (batch number, reason): reports the campaign office returned
    indicators: tuple  # (code, name, unit of measure, asks for evidence), in report order
    indicator_values: dict  # code -> batch number -> unit name -> value
    supervision_groups: tuple  # of dicts: name, leader, members (usernames), supervises (unit names)
    users: tuple

    @property
    def supervision_group(self):
        """The group whose spot check the ledger tells (the first)."""
        return self.supervision_groups[0]


class Step(NamedTuple):
    action: str  # a method of demo.ledger._Player
    days: int  # how many days before loading it happened
    args: dict


class DemoTask(NamedTuple):
    title: str
    unit: str  # short name
    term: str
    start: int  # days from the day of loading (negative: in the past)
    due: int
    person: str
    measures: str
    steps: tuple = ()
    co_units: tuple = ()
    subtasks: tuple = ()
    leader: str = ""  # defaults to the unit's leader


class DemoProblem(NamedTuple):
    title: str
    unit: str  # short name
    batch: int
    source: str
    category: str
    found: int  # days before loading
    description: str
    tasks: tuple
    root_unit: str = ""
    related: tuple = ()  # (title, unit) of the related problem of another batch


class Ledger(NamedTuple):
    actors: dict  # clerk, office: usernames; verifiers: usernames, tried in turn
    problems: tuple


def city(folder=None):
    """The city, its campaign and its people, from units.yaml, campaign.yaml and people.yaml."""
    return _read_city(Path(folder or DATA))


def ledger(folder=None):
    """The rectification ledger, from ledger.yaml (checked against the city's files)."""
    return _read_ledger(Path(folder or DATA))


@cache
def _read_city(folder):
    return _CityReader(folder).read()


@cache
def _read_ledger(folder):
    return _LedgerReader(folder, _read_city(folder)).read()


# --- reading and checking ----------------------------------------------------------------

REQUIRED = object()


def _load(path):
    try:
        with open(path, encoding="utf-8") as file:
            return yaml.safe_load(file)
    except FileNotFoundError:
        raise DemoDataError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise DemoDataError(f"{path.name}: not valid YAML: {exc}") from None


def _listed(values):
    return ", ".join(str(value) for value in values)


class Entry:
    """One mapping of a file, remembering where it is for the messages."""

    def __init__(self, data, where):
        if not isinstance(data, dict):
            raise DemoDataError(f"{where}: expected fields (name: value), found {data!r}")
        self.data = data
        self.where = where
        self.read = set()

    def error(self, message, key=None):
        return DemoDataError(f"{self.where}{f', {key}' if key else ''}: {message}")

    def value(self, key, kind, default=REQUIRED):
        self.read.add(key)
        if key not in self.data or self.data[key] is None:
            if default is REQUIRED:
                raise self.error(f"missing (the entry has: {_listed(self.data)})", key)
            return default
        value = self.data[key]
        ok = {
            str: lambda v: isinstance(v, str) and (v.strip() or default is not REQUIRED),
            int: lambda v: isinstance(v, int) and not isinstance(v, bool),
            float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            bool: lambda v: isinstance(v, bool),
            datetime.date: lambda v: isinstance(v, datetime.date) and not isinstance(v, datetime.datetime),
            list: lambda v: isinstance(v, list),
            dict: lambda v: isinstance(v, dict),
        }[kind](value)
        if not ok:
            expected = {
                str: "text (put it in quotes if it is a number)",
                int: "a whole number",
                float: "a number",
                bool: "true or false",
                datetime.date: "a date written year-month-day",
                list: "a list",
                dict: "fields (name: value)",
            }[kind]
            raise self.error(f"expected {expected}, found {value!r}", key)
        return value

    def text(self, key, default=REQUIRED):
        return self.value(key, str, default)

    def number(self, key, default=REQUIRED):
        return self.value(key, int, default)

    def choice(self, key, choices, default=REQUIRED):
        value = self.value(key, str, default)
        if value not in choices.values:
            raise self.error(f"“{value}” is not one of: {_listed(choices.values)}", key)
        return choices(value)

    def entries(self, key, default=REQUIRED, label=None):
        items = self.value(key, list, default)
        return [Entry(item, f"{self.where}, {label or key} {index}") for index, item in enumerate(items, start=1)]

    def done(self):
        unknown = [key for key in self.data if key not in self.read]
        if unknown:
            raise self.error(f"unknown field “{unknown[0]}” (known: {_listed(sorted(self.read))})")


class _CityReader:
    def __init__(self, folder):
        self.folder = folder
        self.by_short_name = {}  # short name -> full name

    def read(self):
        root = self.unit(Entry(_load(self.folder / "units.yaml"), "units.yaml"))
        campaign_file = Entry(_load(self.folder / "campaign.yaml"), "campaign.yaml")
        campaign = self.campaign(Entry(campaign_file.value("campaign", dict), "campaign.yaml, campaign"))
        batches = tuple(self.batch(entry) for entry in campaign_file.entries("batches", label="batch"))
        numbers = {batch.number for batch in batches}
        if len(numbers) != len(batches):
            raise DemoDataError("campaign.yaml, batches: two batches have the same number")
        members_absent = {
            self.unit_name(name, "campaign.yaml, members_absent"): self.count(value, f"campaign.yaml, members_absent, {name}")
            for name, value in campaign_file.value("members_absent", dict, {}).items()
        }
        look_back = {}
        for name, value in campaign_file.value("look_back", dict, {}).items():
            entry = Entry(value, f"campaign.yaml, look_back, {name}")
            look_back[self.unit_name(name, "campaign.yaml, look_back")] = (
                entry.number("makeup"), entry.number("transformed"), entry.number("handled")
            )
            entry.done()
        look_back_open = {}
        checks = [check for check, _label in LOOK_BACK_CHECKS]
        for name, value in campaign_file.value("look_back_open", dict, {}).items():
            entry = Entry(value, f"campaign.yaml, look_back_open, {name}")
            open_checks = tuple(entry.value("checks", list))
            for check in open_checks:
                if check not in checks:
                    raise entry.error(f"“{check}” is not one of: {_listed(checks)}", "checks")
            look_back_open[self.unit_name(name, "campaign.yaml, look_back_open")] = (open_checks, entry.text("note"))
            entry.done()
        figures_returned = {}
        for name, value in campaign_file.value("figures_returned", dict, {}).items():
            entry = Entry(value, f"campaign.yaml, figures_returned, {name}")
            batch_number = entry.number("batch")
            if batch_number not in numbers:
                raise entry.error(f"expected one of {_listed(sorted(numbers))}", "batch")
            figures_returned[self.unit_name(name, "campaign.yaml, figures_returned")] = (batch_number, entry.text("reason"))
            entry.done()
        indicators, indicator_values = [], {}
        for entry in campaign_file.entries("indicators", label="indicator"):
            code = entry.text("code")
            indicators.append((code, entry.text("name"), entry.text("measure"), entry.value("evidence", bool, False)))
            indicator_values[code] = self.indicator_values(entry, numbers)
            entry.done()
        campaign_file.done()

        people = Entry(_load(self.folder / "people.yaml"), "people.yaml")
        users = tuple(self.user(entry) for entry in people.entries("users", label="user"))
        usernames = [user.username for user in users]
        if len(set(usernames)) != len(usernames):
            raise DemoDataError("people.yaml, users: two users have the same username")
        groups = tuple(
            self.supervision_group(entry, usernames) for entry in people.entries("supervision_groups", label="group")
        )
        people.done()
        return City(
            root=root,
            campaign=campaign,
            batches=batches,
            members_absent=members_absent,
            look_back=look_back,
            look_back_open=look_back_open,
            figures_returned=figures_returned,
            indicators=tuple(indicators),
            indicator_values=indicator_values,
            supervision_groups=groups,
            users=users,
        )

    def unit(self, entry):
        unit = DemoUnit(
            name=entry.text("name"),
            short_name=entry.text("short_name"),
            kind=entry.choice("kind", UnitKind),
            code=entry.text("code"),
            leader_name=entry.text("leader"),
            member_count=entry.number("members"),
        )
        where = f"units.yaml, {unit.short_name}"
        if unit.short_name in self.by_short_name:
            raise DemoDataError(f"{where}: two units are called {unit.short_name}")
        if unit.name in self.by_short_name.values():
            raise DemoDataError(f"{where}: two units are named {unit.name}")
        self.by_short_name[unit.short_name] = unit.name
        children = tuple(self.unit(child) for child in entry.entries("children", [], label=f"{unit.short_name} › unit"))
        entry.done()
        return unit._replace(children=children)

    def unit_name(self, short_name, where):
        try:
            return self.by_short_name[short_name]
        except KeyError:
            raise DemoDataError(f"{where}: no unit called “{short_name}” in units.yaml") from None

    def count(self, value, where):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise DemoDataError(f"{where}: expected a whole number, found {value!r}")
        return value

    def campaign(self, entry):
        campaign = {
            "name": entry.text("name"),
            "description": entry.text("description", ""),
            "start_date": entry.value("start_date", datetime.date),
            "end_date": entry.value("end_date", datetime.date),
        }
        entry.done()
        return campaign

    def batch(self, entry):
        phases = []
        for phase in entry.entries("phases", label="phase"):
            phases.append((
                phase.choice("kind", PhaseKind),
                phase.value("start", datetime.date),
                phase.value("end", datetime.date),
                phase.text("note", ""),
            ))
            phase.done()
        kinds = entry.value("unit_kinds", list)
        for kind in kinds:
            if kind not in UnitKind.values:
                raise entry.error(f"“{kind}” is not one of: {_listed(UnitKind.values)}", "unit_kinds")
        batch = DemoBatch(
            number=entry.number("number"),
            name=entry.text("name"),
            scope_note=entry.text("scope_note", ""),
            start_date=entry.value("start_date", datetime.date),
            end_date=entry.value("end_date", datetime.date),
            kinds=tuple(UnitKind(kind) for kind in kinds),
            phases=tuple(phases),
            five_checks=entry.value("five_checks", bool, False),
            report_due=entry.value("report_due", datetime.date, None),
        )
        entry.done()
        return batch

    def indicator_values(self, entry, batch_numbers):
        values = {}
        for key, by_unit in entry.value("values", dict).items():
            where = f"{entry.where}, values, {key}"
            number = str(key).removeprefix("batch").strip()
            if not number.isdigit() or int(number) not in batch_numbers:
                raise DemoDataError(f"{where}: expected “batch N” with N one of {_listed(sorted(batch_numbers))}")
            if not isinstance(by_unit, dict):
                raise DemoDataError(f"{where}: expected unit: value lines")
            values[int(number)] = {}
            for name, value in by_unit.items():
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise DemoDataError(f"{where}, {name}: expected a number, found {value!r}")
                values[int(number)][self.unit_name(name, where)] = value
        return values

    def user(self, entry):
        memberships = []
        for membership in entry.entries("memberships", label="membership"):
            unit = self.unit_name(membership.text("unit"), membership.where)
            memberships.append((unit, membership.choice("role", Role)))
            membership.done()
        user = DemoUser(
            username=entry.text("username"),
            last_name=entry.text("last_name"),
            first_name=entry.text("first_name"),
            memberships=tuple(memberships),
            superuser=entry.value("superuser", bool, False),
        )
        entry.done()
        return user

    def supervision_group(self, entry, usernames):
        group = {
            "name": entry.text("name"),
            "leader": entry.text("leader"),
            "members": tuple(entry.value("members", list)),
            "supervises": tuple(self.unit_name(name, entry.where) for name in entry.value("supervises", list)),
        }
        for username in (group["leader"], *group["members"]):
            if username not in usernames:
                raise entry.error(f"no user “{username}” in people.yaml, users")
        entry.done()
        return group


# The steps a task can go through: ``do`` in ledger.yaml (spaces for underscores),
# each with the fields it reads and the step it answers, if any.
ANSWERS = {
    "review": "explain",
    "approve": "ask_closing",
    "send_back": "ask_closing",
    "decide_extension": "ask_extension",
    "reply": "coordinate",
    "resolve": "coordinate",
}


class _LedgerReader:
    def __init__(self, folder, city):
        self.folder = folder
        self.short_names = set()
        self._collect(city.root)
        self.usernames = {user.username for user in city.users}
        self.tasks = set()  # (title, unit) of the tasks read so far
        self.problems = set()  # (title, unit) of the problems read so far
        self.findings = []  # (entry, title, unit): checked once every task is read

    def _collect(self, unit):
        self.short_names.add(unit.short_name)
        for child in unit.children:
            self._collect(child)

    def read(self):
        entry = Entry(_load(self.folder / "ledger.yaml"), "ledger.yaml")
        actors = Entry(entry.value("actors", dict), "ledger.yaml, actors")
        actors_read = {role: actors.text(role) for role in ("clerk", "office")}
        actors_read["verifiers"] = tuple(actors.value("verifiers", list))
        actors.done()
        for role, usernames in actors_read.items():
            for username in [usernames] if isinstance(usernames, str) else usernames:
                if username not in self.usernames:
                    raise actors.error(f"no user “{username}” in people.yaml, users", role)
        problems = tuple(self.problem(problem) for problem in entry.entries("problems", label="problem"))
        entry.done()
        for finding, title, unit in self.findings:
            if (title, unit) not in self.tasks:
                raise finding.error(f"no task “{title}” of {unit} in ledger.yaml")
        return Ledger(actors=actors_read, problems=problems)

    def unit(self, entry, key, default=REQUIRED):
        name = entry.text(key, default)
        if name and name not in self.short_names:
            raise entry.error(f"no unit called “{name}” in units.yaml", key)
        return name

    def problem(self, entry):
        title = entry.text("title")
        entry.where = f"ledger.yaml, problem “{title}”"
        related = ()
        if "related" in entry.data:
            other = Entry(entry.value("related", dict), f"{entry.where}, related")
            related = (other.text("title"), self.unit(other, "unit"))
            other.done()
            if related not in self.problems:
                raise other.error("no such problem earlier in ledger.yaml (name it above the problems that refer to it)")
        problem = DemoProblem(
            title=title,
            unit=self.unit(entry, "unit"),
            batch=entry.number("batch"),
            source=entry.choice("source", ProblemSource),
            category=entry.choice("category", ProblemCategory),
            found=entry.number("found_days_ago"),
            description=entry.text("description", ""),
            tasks=tuple(self.task(task, entry.where) for task in entry.entries("tasks", label="task")),
            root_unit=self.unit(entry, "root_unit", ""),
            related=related,
        )
        if (problem.title, problem.unit) in self.problems:
            raise entry.error(f"a second problem “{title}” of {problem.unit}")
        self.problems.add((problem.title, problem.unit))
        entry.done()
        return problem

    def task(self, entry, parent):
        title = entry.text("title")
        entry.where = f"{parent} › task “{title}”"
        task = DemoTask(
            title=title,
            unit=self.unit(entry, "unit"),
            term=entry.choice("term", Term),
            start=entry.number("start_day"),
            due=entry.number("due_day"),
            person=entry.text("person"),
            measures=entry.text("measures"),
            leader=entry.text("leader", ""),
            co_units=tuple(self.unit_names(entry, "co_units")),
            subtasks=tuple(self.task(task, entry.where) for task in entry.entries("subtasks", [], label="subtask")),
            steps=self.steps(entry.entries("steps", [], label="step")),
        )
        if (task.title, task.unit) in self.tasks:
            raise entry.error(f"a second task “{title}” of {task.unit}")
        self.tasks.add((task.title, task.unit))
        entry.done()
        return task

    def unit_names(self, entry, key):
        names = entry.value(key, list, [])
        for name in names:
            if name not in self.short_names:
                raise entry.error(f"no unit called “{name}” in units.yaml", key)
        return names

    def steps(self, entries):
        steps = []
        for entry in entries:
            action = entry.text("do").replace(" ", "_")
            reader = getattr(self, f"step_{action}", None)
            if reader is None:
                known = sorted(name.removeprefix("step_").replace("_", " ") for name in dir(self) if name.startswith("step_"))
                raise entry.error(f"unknown step “{entry.data['do']}” (known: {_listed(known)})", "do")
            answered = ANSWERS.get(action)
            if answered and not any(step.action == answered for step in steps):
                raise entry.error(f"“{entry.data['do']}” needs an earlier “{answered.replace('_', ' ')}” step", "do")
            steps.append(Step(action, entry.number("days_ago"), reader(entry)))
            entry.done()
        return tuple(steps)

    # --- one reader per step: the fields of ledger.yaml -> the arguments of demo.ledger._Player

    def step_progress(self, entry):
        percent = entry.number("percent")
        if not 0 <= percent <= 100:
            raise entry.error(f"expected 0 to 100, found {percent}", "percent")
        files = tuple(self.file(item) for item in entry.entries("files", [], label="file"))
        return {"percent": percent, "text": entry.text("text"), "files": files}

    def file(self, entry):
        if "photo" in entry.data:
            colour = entry.value("colour", list, list(Photo._field_defaults["colour"]))
            if len(colour) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in colour):
                raise entry.error(f"expected [red, green, blue], each 0 to 255, found {colour!r}", "colour")
            item = Photo(entry.text("photo"), tuple(colour))
        elif "document" in entry.data:
            item = Document(entry.text("document"), entry.text("title"), tuple(entry.value("lines", list, [])))
        else:
            raise entry.error("a file is either “photo: NAME.png” or “document: NAME.pdf”")
        entry.done()
        return item

    def step_explain(self, entry):
        return {"reason": entry.choice("reason", ExplanationReason), "text": entry.text("text")}

    def step_review(self, entry):
        return {"note": entry.text("note")}

    def step_ask_closing(self, entry):
        return {"note": entry.text("note")}

    def step_approve(self, entry):
        return {"note": entry.text("note", "")}

    def step_send_back(self, entry):
        return {"reason": entry.text("reason")}

    def step_ask_extension(self, entry):
        return {"due_in": entry.number("new_due_day"), "reason": entry.text("reason")}

    def step_decide_extension(self, entry):
        return {"approved": entry.value("approved", bool), "note": entry.text("note")}

    def step_urge(self, entry):
        return {"message": entry.text("message")}

    def step_coordinate(self, entry):
        return {"to": self.unit(entry, "to"), "subject": entry.text("subject"), "text": entry.text("text")}

    def step_reply(self, entry):
        return {"text": entry.text("text")}

    def step_resolve(self, entry):
        return {}

    def step_spot_check(self, entry):
        findings = []
        for finding in entry.entries("findings", label="finding"):
            title, unit = finding.text("task"), self.unit(finding, "unit")
            passed = finding.value("passed", bool)
            # a failed finding returns the task with the new due date the group sets (days from today)
            due_in = None if passed else finding.number("new_due_day")
            findings.append((title, unit, passed, finding.text("note", ""), due_in))
            finding.done()
            self.findings.append((finding, title, unit))
        unit_findings = []
        for finding in entry.entries("unit_findings", [], label="unit finding"):
            unit_findings.append((self.unit(finding, "unit"), finding.value("passed", bool), finding.text("note", "")))
            finding.done()
        return {"units": tuple(self.unit_names(entry, "units")), "summary": entry.text("summary"), "findings": tuple(findings),
                "unit_findings": tuple(unit_findings)}  # fmt: skip

    def step_accountability(self, entry):
        return {
            "unit": self.unit(entry, "unit"),
            "person": entry.text("person"),
            "post": entry.text("post", ""),
            "measure": entry.choice("measure", AccountabilityMeasure),
            # the deciding body is a unit (the 市委, a district committee, their departments)
            "decided_by": self.unit(entry, "decided_by"),
            "note": entry.text("note"),
            "document": self.file(Entry(entry.value("document", dict), f"{entry.where}, document"))
            if "document" in entry.data
            else None,
        }
