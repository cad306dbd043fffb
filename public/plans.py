"""Rectification plans (整改方案): assembled from a unit's problems and tasks plus a
preamble, submitted to the unit above for review (审核: approve, or return with a
reason; every version kept), published for a comment period (公示)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import Participation
from campaign.permissions import EDIT, REVIEW
from rectification.models import Problem, Task

from .models import PlanStatus, PlanVersion, RectificationPlan
from .models.plans import PREAMBLE_MAX

EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)


class PlanRefused(ValidationError):
    """A step the plan's state does not allow."""


def plan_for(participation):
    """The unit's plan for the batch, created (as a draft) on first use."""
    plan, _created = RectificationPlan.objects.get_or_create(unit=participation.unit, batch=participation.batch)
    return plan


def assemble(plan):
    """The plan's body as it reads today: the unit's problems of the batch, each with its tasks."""
    problems = (
        Problem.objects.filter(unit=plan.unit, batch=plan.batch)
        .order_by("found_on", "pk")
        .prefetch_related("tasks")
    )
    body = []
    for problem in problems:
        tasks = sorted((t for t in problem.tasks.all() if t.parent_id is None), key=lambda t: (t.due_date, t.pk))
        body.append(
            {
                "title": problem.title,
                "description": problem.description,
                "source": problem.get_source_display(),
                "tasks": [
                    {
                        "title": task.title,
                        "measures": task.measures,
                        "term": task.get_term_display(),
                        "due_date": task.due_date.isoformat(),
                        "leader_name": task.leader_name,
                        "person_name": task.person_name,
                        "progress": task.progress,
                        "status": task.get_status_display(),
                    }
                    for task in tasks
                ],
            }
        )
    return body


def without_names(content):
    """The plan's body as the public reads it: no responsible leader or person."""
    return [
        {**problem, "tasks": [{k: v for k, v in task.items() if k not in ("leader_name", "person_name")}
                              for task in problem["tasks"]]}
        for problem in content
    ]  # fmt: skip


def save_preamble(plan, user, preamble):
    permissions.require(user, EDIT, plan)
    if plan.status not in EDITABLE:
        raise PlanRefused(_("The plan can be edited while drafted or returned, not now."))
    preamble = preamble.replace("\r\n", "\n").strip()
    if len(preamble) > PREAMBLE_MAX:
        raise ValidationError({"preamble": _("Too long.")})
    RectificationPlan.objects.filter(pk=plan.pk).update(preamble=preamble, updated_at=timezone.now())
    plan.preamble = preamble
    return plan


def submit(plan, user):
    """Freeze a version and send it to the unit above."""
    permissions.require(user, EDIT, plan)
    if not plan.preamble.strip():
        raise ValidationError({"preamble": _("Write the preamble before submitting the plan.")})
    content = assemble(plan)
    if not content:
        raise PlanRefused(_("The plan lists no problem yet: record the unit's problems and tasks first."))
    with transaction.atomic():
        updated = RectificationPlan.objects.filter(pk=plan.pk, status__in=EDITABLE).update(
            status=PlanStatus.SUBMITTED, submitted_by=user, updated_at=timezone.now()
        )
        if not updated:
            raise PlanRefused(_("This plan is not a draft or a returned plan: it cannot be submitted now."))
        number = plan.versions.count() + 1
        version = PlanVersion.objects.create(
            plan=plan, number=number, preamble=plan.preamble, content=content, submitted_by=user
        )
    plan.refresh_from_db()
    return version


def _pending(plan):
    version = plan.versions.filter(outcome=PlanVersion.Outcome.PENDING).first()
    if plan.status != PlanStatus.SUBMITTED or version is None:
        raise PlanRefused(_("This plan is not under review."))
    return version


def _decide(plan, user, outcome, status, reason):
    permissions.require(user, REVIEW, plan)
    with transaction.atomic():
        plan = RectificationPlan.objects.select_for_update().get(pk=plan.pk)
        version = _pending(plan)
        PlanVersion.objects.filter(pk=version.pk).update(
            outcome=outcome, decided_by=user, decided_at=timezone.now(), reason=reason
        )
        plan.status = status
        plan.save(update_fields=["status", "updated_at"])
    return plan


def approve(plan, user, note=""):
    return _decide(plan, user, PlanVersion.Outcome.APPROVED, PlanStatus.APPROVED, note.strip())


def return_plan(plan, user, reason):
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the plan is returned.")})
    return _decide(plan, user, PlanVersion.Outcome.RETURNED, PlanStatus.RETURNED, reason.strip())


def publish(plan, user, comment_until):
    """Put the approved plan on the public board; the public comments on it until ``comment_until``."""
    permissions.require(user, EDIT, plan)
    if comment_until < timezone.localdate():
        raise ValidationError({"comment_until": _("The comment period cannot end in the past.")})
    updated = RectificationPlan.objects.filter(pk=plan.pk, status=PlanStatus.APPROVED).update(
        status=PlanStatus.PUBLISHED, published_at=timezone.now(), comment_until=comment_until
    )
    if not updated:
        raise PlanRefused(_("Only an approved plan is published."))
    plan.refresh_from_db()
    return plan


# --- lists and counts ------------------------------------------------------------------


def participations(user, action=EDIT):
    """Participations whose plan the user keeps (``EDIT``) or sees (``VIEW``), with their plan's status
    and whether the user may draw it up (``may_edit``: a leader who only sees is not offered to)."""
    plans = RectificationPlan.objects.filter(unit=OuterRef("unit"), batch=OuterRef("batch"))
    editable = Participation.objects.restrict(user, EDIT).filter(pk=OuterRef("pk"))
    return (
        Participation.objects.restrict(user, action)
        .select_related("unit", "batch", "batch__campaign")
        .annotate(has_plan=Exists(plans), may_edit=Exists(editable))
        .order_by("batch__campaign", "batch__number", "unit__path")
    )


def to_review(user):
    """Plans waiting for the user's review."""
    return (
        RectificationPlan.objects.restrict(user, REVIEW)
        .filter(status=PlanStatus.SUBMITTED)
        .select_related("unit", "batch", "submitted_by")
        .order_by("updated_at")
    )


def dashboard_counts(user):
    """Over the participations the user sees: plans missing (none, or still a draft), under
    review, returned, approved (not yet published) and published. One query."""
    plan = RectificationPlan.objects.filter(unit=OuterRef("unit"), batch=OuterRef("batch"))

    def having(*statuses):
        return Exists(plan.filter(status__in=statuses))

    rows = Participation.objects.visible_to(user)
    result = rows.aggregate(
        units=Count("pk"),
        under_review=Count("pk", filter=Q(having(PlanStatus.SUBMITTED))),
        returned=Count("pk", filter=Q(having(PlanStatus.RETURNED))),
        approved=Count("pk", filter=Q(having(PlanStatus.APPROVED))),
        published=Count("pk", filter=Q(having(PlanStatus.PUBLISHED))),
    )
    result["missing"] = result["units"] - sum(result[k] for k in ("under_review", "returned", "approved", "published"))
    return result


def published_plans(campaign):
    return (
        RectificationPlan.objects.published()
        .filter(batch__campaign=campaign)
        .select_related("unit", "batch")
        .order_by("unit__path")
    )


def task_count(plan):
    return Task.objects.filter(problem__unit=plan.unit, problem__batch=plan.batch).count()
