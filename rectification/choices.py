"""The vocabulary of a task that the rules speak of: its term, its status, its
warning level. Kept apart from the models (as NetBox's ``choices.py``) so that
``rectification.policy`` can name them without importing the models, and the
models can use the policy without an import circle."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Term(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediate")
    SHORT = "short", _("Within a set time")
    LONG = "long", _("Medium to long term")


class TaskStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_VERIFICATION = "pending_verification", _("Awaiting verification")
    CLOSED = "closed", _("Closed")


class WarningLevel(models.IntegerChoices):
    """Ordered by severity, so that sorting by level puts the worst first."""

    NONE = 0, _("On schedule")
    YELLOW = 1, _("Due soon")
    RED = 2, _("Overdue")
    ESCALATED = 3, _("Escalated")
