from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.permissions import RestrictedQuerySet, UnitScope
from rectification.choices import TaskStatus, Term, WarningLevel
from rectification.policy import warning_level

from .alerts import WarningPolicy

__all__ = ["OPEN", "Task", "TaskQuerySet", "TaskStatus", "Term", "WarningLevel", "move_task_paths"]


OPEN = ~Q(status=TaskStatus.CLOSED)
# The task list's default order, "worst first": open tasks before closed ones, then
# by due date (the longest overdue first), then by id. An index serves it (task_urgency),
# and none of its columns is one the sweep changes, so the sweep's updates stay HOT.
CLOSED_LAST = ExpressionWrapper(Q(status=TaskStatus.CLOSED), output_field=models.BooleanField())


class TaskQuerySet(RestrictedQuerySet):
    """``visible_to(user)``: tasks of a unit the user sees, or on which such a unit
    co-operates; ``restrict(user, action)``: see campaign.permissions."""

    def open(self):
        return self.filter(OPEN)

    def overdue(self):
        return self.open().filter(warning_level__gte=WarningLevel.RED)

    def with_related(self):
        return self.select_related("unit", "problem", "batch")

    def with_urgency(self):
        """Annotate ``closed_last`` (the first column of the default order, see CLOSED_LAST)."""
        return self.annotate(closed_last=CLOSED_LAST)

    def at_risk(self, today, margin=None):
        """At risk (issue 11): open tasks not yet warned (level none) whose progress lags
        the share of their time elapsed (start date to due date, on ``today``) by more
        than ``margin`` percentage points (``settings.AT_RISK_MARGIN``). Annotates
        ``lag``, the points by which progress lags. Strictly more: a task exactly at the
        margin is not at risk; a task not yet started (today before its start) never is."""
        if margin is None:
            margin = settings.AT_RISK_MARGIN
        span, elapsed = _days_between("due_date", "start_date"), _days_between("%s", "start_date")
        at_risk = RawSQL(f"100 * {elapsed} > (progress + %s) * {span}", [today, margin], output_field=models.BooleanField())
        lag = RawSQL(f"100.0 * {elapsed} / {span} - progress", [today], output_field=models.FloatField())
        return (
            self.open()
            # due today or later (as every task at level none is): the due-date index starts there
            .filter(warning_level=WarningLevel.NONE, due_date__gte=today, due_date__gt=F("start_date"), start_date__lt=today)
            .alias(is_at_risk=at_risk)
            .filter(is_at_risk=True)
            .annotate(lag=lag)
        )

    def needing_explanation(self):
        """Overdue tasks nobody has explained for their current due date."""
        return self.overdue().filter(explained_at__isnull=True)

    def counts(self):
        """One aggregate: totals by status and, for open tasks, by warning level.

        Keys: ``total``, ``status_<value>`` for every status, ``level_<value>``
        for every warning level, ``overdue`` (red or escalated) and
        ``closed_rate`` (percent closed, one decimal; None without tasks).
        """
        result = self.aggregate(
            total=models.Count("pk"),
            **{f"status_{value}": models.Count("pk", filter=Q(status=value)) for value in TaskStatus.values},
            **{
                f"level_{value}": models.Count("pk", filter=OPEN & Q(warning_level=value))
                for value in WarningLevel.values
            },
        )
        result["overdue"] = result[f"level_{WarningLevel.RED}"] + result[f"level_{WarningLevel.ESCALATED}"]
        closed = result[f"status_{TaskStatus.CLOSED}"]
        result["closed_rate"] = round(100 * closed / result["total"], 1) if result["total"] else None
        return result


def _days_between(later, earlier):
    """SQL for the days from the column ``earlier`` to ``later`` (a column or "%s", a date parameter)."""
    table = connection.ops.quote_name(Task._meta.db_table)

    def column(name):
        if name == "%s":
            return "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
        return f"{table}.{connection.ops.quote_name(name)}"

    if connection.vendor == "postgresql":
        return f"({column(later)} - {column(earlier)})"
    return f"CAST(julianday({column(later)}) - julianday({column(earlier)}) AS INTEGER)"


def move_task_paths(sender, old_path, new_path, **kwargs):
    """A unit moved: its subtree's tasks follow, in one UPDATE, so that scoping
    by the copied path keeps matching the tree."""
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    Task.objects.filter(unit_path__startswith=old_path).update(
        unit_path=Concat(Value(new_path), Substr("unit_path", len(old_path) + 1), output_field=models.CharField())
    )


class Task(models.Model):
    """整改任务: a measure that a unit must carry out by a date."""

    problem = models.ForeignKey(
        "rectification.Problem", verbose_name=_("problem"), on_delete=models.PROTECT, related_name="tasks"
    )
    batch = models.ForeignKey(
        "campaign.Batch", verbose_name=_("batch"), on_delete=models.PROTECT, related_name="tasks", editable=False
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent task"), null=True, blank=True, on_delete=models.PROTECT, related_name="subtasks",
        db_index=False,  # task_parent: only the sub-tasks (one in twenty) are indexed
    )
    title = models.CharField(_("title"), max_length=200)
    measures = models.TextField(_("measures"))
    unit = models.ForeignKey(
        "campaign.Unit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="tasks"
    )
    co_units = models.ManyToManyField(
        "campaign.Unit", verbose_name=_("co-responsible units"), blank=True, related_name="co_tasks"
    )
    # A copy of unit.path, so that scoping and dashboards filter one indexed column.
    unit_path = models.CharField(max_length=255, editable=False, db_index=True)
    leader_name = models.CharField(_("responsible leader"), max_length=100)
    person_name = models.CharField(_("responsible person"), max_length=100)
    term = models.CharField(_("term"), max_length=20, choices=Term.choices)
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    original_due_date = models.DateField(_("original due date"), editable=False)
    status = models.CharField(
        _("status"), max_length=30, choices=TaskStatus.choices, default=TaskStatus.IN_PROGRESS, editable=False
    )
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0, editable=False)
    warning_level = models.PositiveSmallIntegerField(
        _("warning level"), choices=WarningLevel.choices, default=WarningLevel.NONE, editable=False
    )
    warning_since = models.DateTimeField(_("warning level since"), null=True, blank=True, editable=False)
    explained_at = models.DateTimeField(_("last explanation at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,  # never looked up by creator; deleting an account (rare: they are deactivated) scans once
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["unit_path", "updated_at", "version"], m2m_fields=[co_units])
    objects = TaskQuerySet.as_manager()
    unit_scope = UnitScope(path="unit_path", co_units="co_units", unit="unit_id")

    class Meta:
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["due_date"], condition=OPEN, name="task_open_due"),
            models.Index(CLOSED_LAST, F("due_date"), F("id"), name="task_urgency"),
            models.Index(fields=["due_date", "id"], name="task_due"),
            models.Index(fields=["status", "unit_path"], name="task_status_path"),
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="task_parent"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("rectification:task_detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status != TaskStatus.CLOSED

    @property
    def is_overdue(self):
        return self.is_open and self.warning_level >= WarningLevel.RED

    @property
    def needs_explanation(self):
        """Overdue and not yet explained for its current due date."""
        return self.is_overdue and self.explained_at is None

    @property
    def was_extended(self):
        return self.due_date != self.original_due_date

    # --- what save() derives -------------------------------------------------------

    # Values whose stored copy save() compares with, to derive only what changed:
    # the unit (for unit_path) and what the warning level depends on.
    TRACKED = ("unit_id", "status", "due_date", "explained_at", "term", "batch_id")

    @classmethod
    def from_db(cls, db, field_names, values):
        task = super().from_db(db, field_names, values)
        task._remember()
        return task

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None:
            self._remember()
        else:
            names = set(fields)
            self._remember(
                [attname for attname in self.TRACKED if attname in names or attname.removesuffix("_id") in names]
            )

    def _remember(self, attnames=TRACKED):
        """Note the values of ``attnames`` as they are in the database now (a
        deferred one stays unknown, so that save() derives from it again)."""
        stored = dict(getattr(self, "_stored", {}))
        for attname in attnames:
            if attname in self.__dict__:
                stored[attname] = self.__dict__[attname]
            else:
                stored.pop(attname, None)
        self._stored = stored

    def _changed(self, attname):
        stored = getattr(self, "_stored", {})
        return attname not in stored or stored[attname] != self.__dict__.get(attname)

    def save(self, *args, **kwargs):
        """Derive the copied path, the batch, the original due date and the
        warning level, then save. Only what changed is derived again, so a save
        that changes neither the unit nor what the level depends on (a progress
        entry, an edit of the text) reads nothing first; the sweep keeps the
        stored level current as days pass."""
        if self.unit_id and (self._changed("unit_id") or not self.unit_path or Task.unit.is_cached(self)):
            self.unit_path = self.unit.path
        if self.problem_id and not self.batch_id:
            self.batch_id = self.problem.batch_id
        if not self.original_due_date:
            self.original_due_date = self.due_date
        if self._level_inputs_changed():
            self.refresh_warning_level()
        # One transaction for the row and what pre_save/post_save receivers write with it
        # (the roll-ups of every unit above: rectification.rollups).
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
        self._remember()

    def _level_inputs_changed(self):
        stored = getattr(self, "_stored", {})
        if any(attname not in stored for attname in self.TRACKED[1:]):
            return True
        was_open = stored["status"] != TaskStatus.CLOSED
        return was_open != self.is_open or any(self._changed(name) for name in self.TRACKED[2:])

    def refresh_warning_level(self, today=None, policy=None):
        """Recompute the stored warning level; returns True when it changed.

        ``policy`` is the ``rectification.policy.Policy`` of the task's campaign
        and term; without it, it is read (one query) unless the task is closed."""
        if policy is None and self.is_open:
            policy = WarningPolicy.objects.effective(self.batch_id, self.term)
        level = warning_level(self, today or timezone.localdate(), policy)
        if level != self.warning_level or (level and self.warning_since is None):
            changed = level != self.warning_level
            self.warning_level = level
            self.warning_since = timezone.now() if level else None
            return changed
        return False
