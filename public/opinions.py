"""What happens to an opinion of the public: submitted with a receipt code, then
accepted as a problem, merged into one, forwarded to another unit, or declined
with a reason the submitter reads. Views call these and stay thin."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import Participation, Unit
from campaign.permissions import EDIT
from rectification.models import Problem, Task
from rectification.models.problems import ProblemSource

from .models import Opinion, OpinionLevel, OpinionStatus, OpinionStep, PublicSettings
from .models.opinions import NAME_MAX, PHONE_MAX, TEXT_MAX


class OpinionRefused(ValidationError):
    """A step the opinion's state does not allow, with the reason for the user."""


# --- the public's side ---------------------------------------------------------------


def campaign_units(campaign):
    """The units an opinion on ``campaign`` may concern: the issuing unit's subtree."""
    return Unit.objects.within(campaign.issuing_unit)


def submit_opinion(campaign, unit, text, *, name="", phone="", plan=None):
    """Record an opinion of the public and return it (its ``receipt`` is the code to give back)."""
    text, name, phone = text.strip(), name.strip(), phone.strip()
    if not text:
        raise ValidationError({"text": _("Write your opinion.")})
    if len(text) > TEXT_MAX or len(name) > NAME_MAX or len(phone) > PHONE_MAX:
        raise ValidationError(_("Too long."))
    if not unit.path.startswith(campaign.issuing_unit.path):
        raise ValidationError({"unit": _("This unit does not take part in this campaign.")})
    if plan is not None:
        if plan.unit_id != unit.pk or plan.batch.campaign_id != campaign.pk:
            raise ValidationError(_("This plan is not the unit's plan in this campaign."))
        if not plan.in_comment_period():
            raise ValidationError(_("The comment period of this plan has ended."))
    return Opinion.objects.create(campaign=campaign, unit=unit, plan=plan, text=text, name=name, phone=phone)


def public_status(opinion):
    """What the public may read of an opinion: its state, the reply, the problem it became and the
    progress of its tasks. Never a person's name nor anything internal (notes, who treated it)."""
    tasks = []
    if opinion.problem_id:
        rows = (
            Task.objects.filter(problem_id=opinion.problem_id, parent__isnull=True)
            .order_by("due_date", "pk")
            .values("title", "measures", "progress", "status", "due_date")
        )
        tasks = [{**row, "status_label": Task(status=row["status"]).get_status_display()} for row in rows]
    forwarded = opinion.steps.filter(kind=OpinionStep.Kind.FORWARDED).exists()
    return {
        "receipt": opinion.receipt_display,
        "submitted_on": timezone.localtime(opinion.submitted_at).date(),
        "unit": opinion.unit.display_name,
        "text": opinion.text,
        "status": opinion.status,
        "status_label": opinion.get_status_display(),
        "reply": opinion.reply if opinion.status == OpinionStatus.DECLINED else "",
        "forwarded": forwarded,
        "problem": opinion.problem.title if opinion.problem_id else "",
        "tasks": tasks,
        "treated_on": timezone.localtime(opinion.treated_at).date() if opinion.treated_at else None,
    }


# --- the staff's queue ---------------------------------------------------------------------


def level_expression(settings_, now=None):
    """An untreated opinion's colour from its age, as the database computes it."""
    now = now or timezone.now()
    return Case(
        When(status=OpinionStatus.NEW, submitted_at__lte=now - datetime.timedelta(days=settings_.opinion_red_days),
             then=Value(OpinionLevel.RED)),
        When(status=OpinionStatus.NEW, submitted_at__lte=now - datetime.timedelta(days=settings_.opinion_yellow_days),
             then=Value(OpinionLevel.YELLOW)),
        default=Value(OpinionLevel.NONE),
        output_field=IntegerField(),
    )  # fmt: skip


def queue(user, campaign):
    """Opinions of ``campaign`` the user treats (EDIT over the unit concerned), worst first."""
    settings_ = PublicSettings.of(campaign)
    return (
        Opinion.objects.restrict(user, EDIT)
        .filter(campaign=campaign)
        .select_related("unit", "plan", "problem")
        .annotate(level=level_expression(settings_))
    )


def counts(user, campaign):
    """Untreated opinions the user treats, by colour, in one query."""
    from django.db.models import Count, Q

    rows = queue(user, campaign).untreated()
    return rows.aggregate(
        total=Count("pk"),
        yellow=Count("pk", filter=Q(level=OpinionLevel.YELLOW)),
        red=Count("pk", filter=Q(level=OpinionLevel.RED)),
    )


def _treatable(opinion, user):
    permissions.require(user, EDIT, opinion)


def _claim(opinion, user, **changes):
    """Compare-and-set: only an untreated opinion changes; a second click finds it treated."""
    updated = Opinion.objects.filter(pk=opinion.pk, status=OpinionStatus.NEW).update(
        treated_by=user, treated_at=timezone.now(), **changes
    )
    if not updated:
        raise OpinionRefused(_("This opinion has already been treated."))
    opinion.refresh_from_db()
    return opinion


def batch_of(unit, campaign):
    """The batch ``unit`` (or the nearest unit above it) takes part in for ``campaign``; None if none."""
    participation = (
        Participation.objects.filter(batch__campaign=campaign, unit_id__in=unit.ancestor_ids())
        .select_related("batch")
        .order_by("-unit__depth")
        .first()
    )
    return participation.batch if participation else None


def _create_problem(user, **fields):
    """An opinion becomes a problem through the one service every problem goes through."""
    from rectification import services

    return services.create_problem(user, **fields)


def accept(opinion, user, *, title, category, batch=None):
    """Accept as a new problem of the unit concerned (source 群众意见)."""
    _treatable(opinion, user)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the problem a title.")})
    batch = batch or batch_of(opinion.unit, opinion.campaign)
    if batch is None or batch.campaign_id != opinion.campaign_id:
        raise ValidationError({"batch": _("Choose the batch of this campaign the problem belongs to.")})
    with transaction.atomic():
        _claim(opinion, user, status=OpinionStatus.ACCEPTED)
        problem = _create_problem(
            user=user,
            title=title,
            description=opinion.text,
            source=ProblemSource.PUBLIC,
            category=category,
            unit=opinion.unit,
            batch=batch,
            found_on=timezone.localtime(opinion.submitted_at).date(),
        )
        Opinion.objects.filter(pk=opinion.pk).update(problem=problem)
        OpinionStep.objects.create(opinion=opinion, kind=OpinionStep.Kind.ACCEPTED, from_unit=opinion.unit, by=user)
    opinion.problem = problem
    return problem


def mergeable_problems(user, opinion):
    """Problems of the campaign the user keeps, under the opinion's unit or above it."""
    return (
        Problem.objects.restrict(user, EDIT)
        .filter(batch__campaign_id=opinion.campaign_id)
        .select_related("unit")
        .order_by("unit__path", "-found_on")
    )


def merge(opinion, user, problem):
    _treatable(opinion, user)
    if not mergeable_problems(user, opinion).filter(pk=problem.pk).exists():
        raise ValidationError({"problem": _("Choose a problem of this campaign that your unit keeps.")})
    with transaction.atomic():
        _claim(opinion, user, status=OpinionStatus.MERGED, problem=problem)
        OpinionStep.objects.create(opinion=opinion, kind=OpinionStep.Kind.MERGED, from_unit=opinion.unit, by=user)
    return opinion


def forward_targets(opinion):
    """Where an opinion may be forwarded: any other unit of the campaign's tree."""
    return campaign_units(opinion.campaign).exclude(pk=opinion.unit_id).order_by("path")


def forward(opinion, user, to_unit, note=""):
    """Hand the opinion to the unit it really concerns; it stays untreated, there."""
    _treatable(opinion, user)
    if not forward_targets(opinion).filter(pk=to_unit.pk).exists():
        raise ValidationError({"to_unit": _("Forward to another unit of this campaign.")})
    with transaction.atomic():
        from_unit_id = opinion.unit_id
        updated = Opinion.objects.filter(pk=opinion.pk, status=OpinionStatus.NEW, unit_id=from_unit_id).update(unit=to_unit)
        if not updated:
            raise OpinionRefused(_("This opinion has already been treated."))
        OpinionStep.objects.create(
            opinion=opinion, kind=OpinionStep.Kind.FORWARDED, from_unit_id=from_unit_id, to_unit=to_unit, note=note, by=user
        )
    opinion.refresh_from_db()
    return opinion


def decline(opinion, user, reason):
    """Decline with a reason; the submitter reads it on the status page."""
    _treatable(opinion, user)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, for the person who wrote it: they will read it.")})
    with transaction.atomic():
        _claim(opinion, user, status=OpinionStatus.DECLINED, reply=reason)
        OpinionStep.objects.create(
            opinion=opinion, kind=OpinionStep.Kind.DECLINED, from_unit=opinion.unit, note=reason, by=user
        )
    return opinion
