"""Per-unit roll-ups of the tasks (issue 10): what rectification.rollups reads and keeps.

``TaskRollup`` holds the figures of a unit's whole subtree in one batch;
``DueRollup`` the open tasks of that subtree by due date (for the ages of
overdue work, at any date). Changes are appended to ``RollupChange``, one row
per unit above the changed task, and folded into the two tables by
``rectification.rollups.compact()`` (the sweep does it): writers never wait
for each other on the row of the root unit, and readers add the pending
changes to what they read.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Counters(models.Model):
    """The figures kept per unit and batch; rectification.rollups says how a task counts in each."""

    tasks = models.BigIntegerField(default=0)
    in_progress = models.BigIntegerField(default=0)
    pending = models.BigIntegerField(default=0)
    closed = models.BigIntegerField(default=0)
    level_none = models.BigIntegerField(default=0)  # open tasks by warning level
    level_yellow = models.BigIntegerField(default=0)
    level_red = models.BigIntegerField(default=0)
    level_escalated = models.BigIntegerField(default=0)
    unexplained = models.BigIntegerField(default=0)  # open, overdue (red or escalated), not explained
    closed_on_time = models.BigIntegerField(default=0)  # closed on or before the due date (Asia/Shanghai)
    closed_by_original = models.BigIntegerField(default=0)  # ... before the original due date
    extended = models.BigIntegerField(default=0)  # due date moved by an extension
    progress_sum = models.BigIntegerField(default=0)  # percent done, summed over open tasks

    class Meta:
        abstract = True


COUNTERS = tuple(field.name for field in Counters._meta.local_fields)


class TaskRollup(Counters):
    unit = models.ForeignKey("campaign.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    batch = models.ForeignKey("campaign.Batch", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("task roll-up")
        verbose_name_plural = _("task roll-ups")
        constraints = [models.UniqueConstraint(fields=["unit", "batch"], name="task_rollup_unique")]


class DueRollup(models.Model):
    unit = models.ForeignKey("campaign.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    batch = models.ForeignKey("campaign.Batch", on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField()
    open_tasks = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("open tasks by due date")
        verbose_name_plural = _("open tasks by due date")
        constraints = [models.UniqueConstraint(fields=["unit", "batch", "due_date"], name="due_rollup_unique")]


class RollupChange(Counters):
    """A change not yet folded in: counters to add to (unit, batch), and ``open_due``
    open tasks to add at ``due_date`` (when set)."""

    unit = models.ForeignKey("campaign.Unit", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey("campaign.Batch", on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField(null=True)
    open_due = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("pending roll-up change")
        verbose_name_plural = _("pending roll-up changes")
