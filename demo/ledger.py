"""Loads the rectification ledger (整改台账) of the demo city, telling the
speech's stories, with a task in every state the product knows. The stories
are data, in demo/data/ledger.yaml (read and checked by :mod:`demo.stories`);
this module writes them.

Runs after :func:`demo.city.load_demo` (it needs the city, the campaign,
its batches, the supervision group and the demo users). Every problem and
every task is looked up by its natural key (title + unit); a task that exists
is left alone with all its history, so a second run adds and changes nothing.

Each task is written through the workflow services, acting as the demo users
(``staff`` and ``supervisor`` inside 乌达区, ``admin`` — the campaign office —
elsewhere: the ``actors`` of ledger.yaml), so that its history names real
people; the timestamps of each step are then moved into the past. Dates are
counted from the day of loading (``timezone.localdate()``), so that a task
that is overdue, due soon or on time stays so whenever the demo is loaded.

The stories: 吃水难 in 明达东路社区 (rooted in the city water bureau, with a
coordination request answered and the work still going on), 看病难 in 富源村
(市人民医院's free clinics), 上学难 (市教育局 abolished the transient-pupil
fee), 市国税局 raising the tax threshold, 市劳动保障局 recovering migrant
workers' wages, a second-batch problem in 胡杨社区 rooted in 市民政局's
first-batch problem (两批互动), 千钢公司's migrant party members, 海南区's
“七老” mentors, and the rest.
"""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.models import HistoricalRecords

from campaign import permissions
from campaign.models import Batch, Campaign, SupervisionGroup, Unit
from campaign.permissions import DECIDE, EDIT
from demo import stories
from rectification import rollups, services, spotchecks
from rectification.models import (
    AccountabilityRecord,
    CoordinationRequest,
    Explanation,
    ExtensionRequest,
    Problem,
    SpotCheck,
    Task,
    Verification,
    WarningLevel,
    WarningPolicy,
)
from rectification.models.decisions import Decision

# --- loading ------------------------------------------------------------------------------


class DemoDataMissing(Exception):
    """The campaign demo (city, campaign, users) has not been loaded."""


@dataclass
class LedgerResult:
    created: Counter = field(default_factory=Counter)  # model name -> rows created by this run
    tasks: list = field(default_factory=list)  # the tasks created by this run


def load_demo():
    """Write the demo ledger; a second run adds nothing and changes nothing."""
    before = _model_counts()
    with transaction.atomic():
        result = _Ledger().load()
    if result.tasks:
        # The story sets dates and levels with plain UPDATEs, around Task.save(): count again.
        rollups.rebuild()
        _run_sweep()
    after = _model_counts()
    result.created.update({name: after[name] - before[name] for name in after if after[name] > before[name]})
    return result


def _run_sweep():
    """Raise the new tasks' alerts and announce them in the app, as the worker
    would on its next sweep, so the demo users find their notifications at once.
    (E-mails stay queued for the worker.)"""
    from rectification.notify import make_alert_notifications
    from rectification.sweep import run_sweep

    run_sweep()
    make_alert_notifications()


def _model_counts():
    models = [m for m in apps.get_app_config("rectification").get_models() if not m.__name__.startswith("Historical")]
    return Counter({model.__name__: model.objects.count() for model in models})


class _Ledger:
    def __init__(self):
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.created = Counter()
        self.new_tasks = []
        city, self.data = stories.city(), stories.ledger()
        try:
            self.campaign = Campaign.objects.get(name=city.campaign["name"])
            root = Unit.objects.get(name=city.root.name, parent=None)
            self.group = SupervisionGroup.objects.get(campaign=self.campaign, name=city.supervision_group["name"])
            actors = self.data.actors
            names = {actors["clerk"], actors["office"], *actors["verifiers"]}
            users = get_user_model().objects.filter(username__in=names)
            users = {user.username: user for user in users}
            self.staff = users[actors["clerk"]]
            self.verifiers = [users[name] for name in actors["verifiers"]]
            self.admin = users[actors["office"]]
        except (Campaign.DoesNotExist, Unit.DoesNotExist, SupervisionGroup.DoesNotExist, KeyError) as exc:
            raise DemoDataMissing("Load the campaign demo (demo.city.load_demo) first.") from exc
        self.batches = {batch.number: batch for batch in Batch.objects.filter(campaign=self.campaign)}
        self.units = {}
        for unit in Unit.objects.subtree(root):
            if unit.short_name in self.units:
                raise ValueError(f"Two demo units are called {unit.short_name}")
            self.units[unit.short_name] = unit

    def load(self):
        for spec in self.data.problems:
            problem = self.problem(spec)
            for task_spec in spec.tasks:
                self.task(problem, task_spec)
        self.settle_warning_levels()
        return LedgerResult(created=+self.created, tasks=self.new_tasks)

    # --- people and time --------------------------------------------------------

    def clerk(self, unit):
        """Who enters the unit's ledger: ``staff`` where they may, else the campaign office."""
        return self.staff if permissions.may(self.staff, EDIT, unit) else self.admin

    def verifier(self, task):
        """The first supervisor who may decide on the task (see campaign.permissions)."""
        for person in self.verifiers:
            if permissions.may(person, DECIDE, task):
                return person
        raise DemoDataMissing(f"no demo supervisor may decide on {task}")

    def day(self, offset):
        return self.today + timedelta(days=offset)

    def moment(self, days_ago, step=0):
        """Office hours of the day ``days_ago`` before loading, steps 10 minutes apart; never in the future."""
        naive = datetime.combine(self.day(-days_ago), time(9, 0)) + timedelta(minutes=10 * step)
        return min(timezone.make_aware(naive), self.now - timedelta(minutes=1))

    @contextmanager
    def acting_as(self, user, when):
        """History rows written inside are by ``user`` and dated ``when``."""
        context = HistoricalRecords.context
        previous = getattr(context, "request", None)
        context.request = SimpleNamespace(user=user)
        marks = {model: model.history.aggregate(last=Max("history_id"))["last"] or 0 for model in (Task, Problem)}
        try:
            yield
        finally:
            if previous is None:
                del context.request
            else:
                context.request = previous
        for model, mark in marks.items():
            model.history.filter(history_id__gt=mark).update(history_date=when)

    # --- rows ---------------------------------------------------------------------

    def problem(self, spec):
        unit = self.units[spec.unit]
        problem = Problem.objects.filter(title=spec.title, unit=unit).first()
        if problem is not None:
            return problem
        related = None
        if spec.related:
            title, related_unit = spec.related
            related = Problem.objects.get(title=title, unit=self.units[related_unit])
        when = self.moment(spec.found)
        author = self.clerk(unit)
        with self.acting_as(author, when):
            problem = services.create_problem(
                author,
                title=spec.title,
                description=spec.description,
                source=spec.source,
                category=spec.category,
                unit=unit,
                root_unit=self.units[spec.root_unit] if spec.root_unit else None,
                batch=self.batches[spec.batch],
                related_problem=related,
                found_on=self.day(-spec.found),
            )
        Problem.objects.filter(pk=problem.pk).update(created_at=when)
        return problem

    def task(self, problem, spec, parent=None):
        unit = self.units[spec.unit]
        if Task.objects.filter(title=spec.title, unit=unit).exists():
            return  # loaded before: left alone, with its history and sub-tasks
        when = self.moment(-spec.start)
        author = self.clerk(unit)
        with self.acting_as(author, when):
            task = services.create_task(
                problem,
                author,
                parent=parent,
                title=spec.title,
                measures=spec.measures,
                unit=unit,
                leader_name=spec.leader or unit.leader_name,
                person_name=spec.person,
                term=spec.term,
                start_date=self.day(spec.start),
                due_date=self.day(spec.due),
                co_units=[self.units[name] for name in spec.co_units],
            )
        Task.objects.filter(pk=task.pk).update(created_at=when)
        self.new_tasks.append(task)
        for subtask in spec.subtasks:
            self.task(problem, subtask, parent=task)
        _Player(self, task).play(spec.steps)

    def settle_warning_levels(self):
        """Store the level each new task has today, since when it has had it."""
        for task in Task.objects.filter(pk__in=[t.pk for t in self.new_tasks]).select_related("batch"):
            policy = WarningPolicy.objects.effective(task.batch_id, task.term)
            task.refresh_warning_level(self.today, policy)
            since = self.level_since(task, policy)
            Task.objects.filter(pk=task.pk).update(warning_level=task.warning_level, warning_since=since)

    def level_since(self, task, policy):
        level = task.warning_level
        if level == WarningLevel.NONE:
            return None
        if level == WarningLevel.YELLOW:
            start = task.due_date - timedelta(days=policy.window_days)
        elif level == WarningLevel.RED:
            start = task.due_date + timedelta(days=1)
        elif (self.today - task.due_date).days > policy.escalate_after_days:
            start = task.due_date + timedelta(days=policy.escalate_after_days + 1)
        else:
            start = task.due_date + timedelta(days=policy.explanation_grace_days + 1)
        start = max(start, task.start_date)
        return min(timezone.make_aware(datetime.combine(start, time(0, 5))), self.now)


class _Player:
    """Plays a task's steps through the workflow services, then dates them."""

    def __init__(self, ledger, task):
        self.ledger = ledger
        self.task = task
        self.coordination = None

    def play(self, steps):
        for index, step in enumerate(steps, start=1):
            self.task.refresh_from_db()
            when = self.ledger.moment(step.days, index)
            actor = self.actor(step.action)
            with self.ledger.acting_as(actor, when):
                getattr(self, step.action)(actor, when, **step.args)

    def actor(self, action):
        if action in {"approve", "send_back", "review", "decide_extension", "urge", "spot_check", "accountability"}:
            return self.ledger.verifier(self.task)
        if action == "reply":
            return self.ledger.admin  # the campaign office records the department's answer
        return self.ledger.clerk(self.task.unit)

    def progress(self, actor, when, percent, text, files):
        uploads = [SimpleUploadedFile(f.name, f.content()) for f in files]
        entry = services.add_progress(
            self.task, actor, entry_date=timezone.localdate(when), text=text, percent=percent, files=uploads
        )
        type(entry).objects.filter(pk=entry.pk).update(created_at=when)
        entry.evidence.update(uploaded_at=when)

    def explain(self, actor, when, reason, text):
        explanation = services.give_explanation(self.task, actor, reason, text)
        type(explanation).objects.filter(pk=explanation.pk).update(created_at=when)
        Task.objects.filter(pk=self.task.pk).update(explained_at=when)

    def review(self, actor, when, note):
        explanation = self.task.explanations.latest("created_at")
        services.review_explanation(explanation, actor, note)
        Explanation.objects.filter(pk=explanation.pk).update(reviewed_at=when)

    def ask_closing(self, actor, when, note):
        verification = services.request_verification(self.task, actor, note)
        Verification.objects.filter(pk=verification.pk).update(requested_at=when)

    def approve(self, actor, when, note):
        pending = self.task.verifications.get(outcome=Verification.Outcome.PENDING)
        services.approve_closing(self.task, actor, note)
        Verification.objects.filter(pk=pending.pk).update(decided_at=when)
        Task.objects.filter(pk=self.task.pk).update(closed_at=when)

    def send_back(self, actor, when, reason):
        pending = self.task.verifications.get(outcome=Verification.Outcome.PENDING)
        services.return_task(self.task, actor, reason)
        Verification.objects.filter(pk=pending.pk).update(decided_at=when)

    def ask_extension(self, actor, when, due_in, reason):
        extension = services.request_extension(self.task, actor, self.ledger.day(due_in), reason)
        ExtensionRequest.objects.filter(pk=extension.pk).update(requested_at=when)

    def decide_extension(self, actor, when, approved, note):
        extension = self.task.extension_requests.get(decision=Decision.PENDING)
        services.decide_extension(extension, actor, approved, note)
        ExtensionRequest.objects.filter(pk=extension.pk).update(decided_at=when)

    def urge(self, actor, when, message):
        row = services.urge(self.task, actor, message)
        type(row).objects.filter(pk=row.pk).update(created_at=when)

    def coordinate(self, actor, when, to, subject, text):
        self.coordination = services.ask_coordination(self.task, actor, self.ledger.units[to], subject, text)
        CoordinationRequest.objects.filter(pk=self.coordination.pk).update(created_at=when)

    def reply(self, actor, when, text):
        request = CoordinationRequest.objects.get(pk=self.coordination.pk)
        row = services.reply_coordination(request, actor, text)
        type(row).objects.filter(pk=row.pk).update(created_at=when)

    def resolve(self, actor, when):
        services.resolve_coordination(self.coordination, actor)
        CoordinationRequest.objects.filter(pk=self.coordination.pk).update(resolved_at=when)

    def spot_check(self, actor, when, units, summary, findings, unit_findings=()):
        check = spotchecks.record_spot_check(
            self.ledger.group,
            actor,
            timezone.localdate(when),
            [self.ledger.units[name] for name in units],
            [
                spotchecks.Finding(
                    Task.objects.get(title=title, unit=self.ledger.units[unit]), passed, note,
                    None if due_in is None else self.ledger.day(due_in),
                )  # fmt: skip
                for title, unit, passed, note, due_in in findings
            ],
            summary,
            unit_findings=[(self.ledger.units[name], passed, note) for name, passed, note in unit_findings],
        )
        SpotCheck.objects.filter(pk=check.pk).update(created_at=when)

    def accountability(self, actor, when, unit, person, post, measure, decided_by, note, document):
        record = spotchecks.record_accountability(
            actor,
            unit=self.ledger.units[unit],
            measure=measure,
            decided_on=timezone.localdate(when),
            deciding_unit=self.ledger.units[decided_by],
            person_name=person,
            person_post=post,
            tasks=[self.task],
            note=note,
            document=SimpleUploadedFile(document.name, document.content()) if document else None,
        )
        AccountabilityRecord.objects.filter(pk=record.pk).update(created_at=when)
