"""Satisfaction surveys (满意度测评): supervisors open a round for units; the public
answers 满意 / 基本满意 / 不满意 through one-time codes or an open link; closing the
round freezes each unit's rate, flags the units under the campaign's threshold and
reopens the tasks closed in that round of every such unit."""

import hashlib
import hmac
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.permissions import SUPERVISE, VIEW
from rectification import services as rectification
from rectification.models import Task, TaskStatus

from .models import (
    Answer,
    PublicSettings,
    SurveyMode,
    SurveyResponse,
    SurveyRound,
    SurveyScope,
    SurveyTarget,
    SurveyToken,
)
from .models.surveys import COMMENT_MAX

MAX_TOKENS_PER_UNIT = 500


class SurveyRefused(ValidationError):
    """An answer or a step the survey does not take, with the reason."""


def keyed_hash(value):
    """A keyed hash: counts an address or a device without keeping it."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


# --- opening and closing ------------------------------------------------------------


def open_round(user, campaign, *, title, mode, scope, units, closes_on, tokens_per_unit=0, per_address_limit=30):
    units = list(units)
    if not units:
        raise ValidationError({"units": _("Choose at least one unit.")})
    for unit in units:
        if not unit.path.startswith(campaign.issuing_unit.path):
            raise ValidationError({"units": _("%(unit)s does not take part in this campaign.") % {"unit": unit.name}})
        permissions.require(user, SUPERVISE, unit)
    if closes_on < timezone.localdate():
        raise ValidationError({"closes_on": _("The closing date cannot be in the past.")})
    if mode == SurveyMode.TOKENS and not 1 <= tokens_per_unit <= MAX_TOKENS_PER_UNIT:
        raise ValidationError(
            {"tokens_per_unit": _("Issue between 1 and %(max)s codes per unit.") % {"max": MAX_TOKENS_PER_UNIT}}
        )
    closed_tasks = {}
    if scope == SurveyScope.TASKS:
        for unit in units:
            tasks = list(Task.objects.filter(unit=unit, batch__campaign=campaign, status=TaskStatus.CLOSED))
            if not tasks:
                raise ValidationError({"units": _("%(unit)s has no closed task to rate.") % {"unit": unit.name}})
            closed_tasks[unit.pk] = tasks
    with transaction.atomic():
        survey = SurveyRound.objects.create(
            campaign=campaign, title=title, mode=mode, scope=scope, closes_on=closes_on,
            per_address_limit=per_address_limit, opened_by=user,
        )  # fmt: skip
        for unit in units:
            target = SurveyTarget.objects.create(round=survey, unit=unit)
            if unit.pk in closed_tasks:
                target.tasks.set(closed_tasks[unit.pk])
            if mode == SurveyMode.TOKENS:
                issue_tokens(target, tokens_per_unit)
    return survey


def issue_tokens(target, count):
    SurveyToken.objects.bulk_create(SurveyToken(target=target, code=_unused_code()) for _ in range(count))


def _unused_code():
    from .models.surveys import new_key

    return new_key(10)


def may_manage(user, survey):
    """Supervisors over every unit of the round manage it (slips, QR codes, closing)."""
    targets = survey.targets.all()
    return targets.exists() and not targets.exclude(pk__in=SurveyTarget.objects.restrict(user, SUPERVISE)).exists()


def close_round(survey, user):
    """Freeze the rates, flag the units under the threshold, reopen their tasks closed in the round."""
    if not may_manage(user, survey):
        raise permissions.Refused(_("You do not supervise every unit of this round."))
    threshold = PublicSettings.of(survey.campaign_id).satisfaction_threshold
    now = timezone.now()
    with transaction.atomic():
        updated = SurveyRound.objects.filter(pk=survey.pk, closed_at__isnull=True).update(
            closed_at=now, closed_by=user, threshold=threshold
        )
        if not updated:
            raise SurveyRefused(_("This round is already closed."))
        survey.refresh_from_db()
        by_target = {tally.target_id: tally for tally in live_tallies(survey)}
        for target in survey.targets.select_related("unit"):
            tally = by_target[target.pk]
            target.answers, target.satisfied = tally.answers, tally.satisfied
            target.fairly, target.dissatisfied = tally.fairly, tally.dissatisfied
            target.below_threshold = is_below(tally.satisfied + tally.fairly, tally.answers, threshold)
            target.save()
            if target.below_threshold:
                reason = _("satisfaction survey “%(title)s”: %(rate)s%% satisfied, under %(threshold)s%%") % {
                    "title": survey.title, "rate": rate_of(tally.satisfied + tally.fairly, tally.answers),
                    "threshold": threshold,
                }  # fmt: skip
                for task in tasks_closed_in_round(target, survey):
                    rectification.reopen_task(task, user, reason)
                    target.reopened_tasks.add(task)
    return survey


def tasks_closed_in_round(target, survey):
    """The tasks rated in the round, and the unit's tasks closed while it was open."""
    closed_during = Q(unit=target.unit, closed_at__gte=survey.opened_at, closed_at__lte=survey.closed_at)
    rated = Q(pk__in=target.tasks.values("pk"))
    return Task.objects.filter(closed_during | rated, status=TaskStatus.CLOSED, batch__campaign=survey.campaign_id)


# --- answers ---------------------------------------------------------------------------------


def _check_open(target):
    survey = target.round
    if not survey.is_open or timezone.localdate() > survey.closes_on:
        raise SurveyRefused(_("This survey is closed: answers are no longer taken."))


def _check_answer(answer, comment):
    if answer not in Answer.values:
        raise ValidationError({"answer": _("Choose satisfied, fairly satisfied or dissatisfied.")})
    if len(comment) > COMMENT_MAX:
        raise ValidationError({"comment": _("Too long.")})


def answer_with_token(target, code, answer, comment=""):
    """One answer per printed code: a code used, or not of this unit's slips, is refused."""
    _check_open(target)
    _check_answer(answer, comment)
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    with transaction.atomic():
        token = SurveyToken.objects.select_for_update().filter(target=target, code=code).first()
        if token is None:
            raise SurveyRefused(_("This code is not valid for this survey."))
        if token.used_at is not None:
            raise SurveyRefused(_("This code has already been used."))
        token.used_at = timezone.now()
        token.save(update_fields=["used_at"])
        return SurveyResponse.objects.create(target=target, answer=answer, comment=comment.strip(), token=token)


def answer_open(target, answer, comment="", *, device, address):
    """One answer per device (a cookie) and at most the round's limit per address."""
    _check_open(target)
    _check_answer(answer, comment)
    device_key, address_key = keyed_hash(device), keyed_hash(address)
    from_address = SurveyResponse.objects.filter(target=target, address_key=address_key).count()
    if from_address >= target.round.per_address_limit:
        raise SurveyRefused(_("Too many answers from your network for this unit."))
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                target=target, answer=answer, comment=comment.strip(), device_key=device_key, address_key=address_key
            )
    except IntegrityError:
        raise SurveyRefused(_("This device has already answered for this unit. Thank you.")) from None


# --- results -------------------------------------------------------------------------------------


@dataclass
class Tally:
    target_id: int
    unit_id: int
    unit_name: str
    answers: int
    satisfied: int
    fairly: int
    dissatisfied: int
    threshold: Decimal
    below: bool
    reopened: int = 0

    @property
    def rate(self):
        """Percent (满意 + 基本满意) / answers, one decimal; None without answers."""
        return rate_of(self.satisfied + self.fairly, self.answers)


def rate_of(content, answers):
    if not answers:
        return None
    return (Decimal(content * 100) / Decimal(answers)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def is_below(content, answers, threshold):
    """Exactly: content / answers < threshold % (no rounding: 89.95 % is under 90 %)."""
    if not answers:
        return False
    return Decimal(content * 100) < Decimal(threshold) * answers


def live_tallies(survey):
    """Each unit's answers so far, in one query."""
    threshold = survey.threshold or PublicSettings.of(survey.campaign_id).satisfaction_threshold
    rows = survey.targets.select_related("unit").annotate(
        n=Count("responses"),
        n_satisfied=Count("responses", filter=Q(responses__answer=Answer.SATISFIED)),
        n_fairly=Count("responses", filter=Q(responses__answer=Answer.FAIRLY)),
        n_dissatisfied=Count("responses", filter=Q(responses__answer=Answer.DISSATISFIED)),
    )
    return [
        Tally(t.pk, t.unit_id, t.unit.display_name, t.n, t.n_satisfied, t.n_fairly, t.n_dissatisfied, threshold,
              is_below(t.n_satisfied + t.n_fairly, t.n, threshold))
        for t in rows
    ]  # fmt: skip


def tallies(survey):
    """The round's results: frozen when closed, live while open."""
    if survey.is_open:
        return live_tallies(survey)
    rows = survey.targets.select_related("unit").annotate(n_reopened=Count("reopened_tasks"))
    return [
        Tally(t.pk, t.unit_id, t.unit.display_name, t.answers or 0, t.satisfied or 0, t.fairly or 0,
              t.dissatisfied or 0, survey.threshold, t.below_threshold, t.n_reopened)
        for t in rows
    ]  # fmt: skip


def satisfaction_rates(campaign, user=None):
    """THE read function for the summary report: every unit's result of every closed round
    of ``campaign`` (only units ``user`` sees, when given), newest round first.

    Returns ``[{"round", "closed_on", "mode", "unit_id", "unit", "answers", "satisfied",
    "fairly", "dissatisfied", "rate" (Decimal % or None), "threshold", "below", "reopened"}]``.
    """
    targets = SurveyTarget.objects.filter(round__campaign=campaign, round__closed_at__isnull=False)
    if user is not None:
        targets = targets.filter(pk__in=SurveyTarget.objects.restrict(user, VIEW).values("pk"))
    targets = (
        targets.select_related("round", "unit")
        .annotate(n_reopened=Count("reopened_tasks"))
        .order_by("-round__closed_at", "unit__path")
    )
    return [
        {
            "round": t.round.title,
            "closed_on": timezone.localtime(t.round.closed_at).date(),
            "mode": t.round.mode,
            "unit_id": t.unit_id,
            "unit": t.unit.display_name,
            "answers": t.answers or 0,
            "satisfied": t.satisfied or 0,
            "fairly": t.fairly or 0,
            "dissatisfied": t.dissatisfied or 0,
            "rate": rate_of((t.satisfied or 0) + (t.fairly or 0), t.answers or 0),
            "threshold": t.round.threshold,
            "below": t.below_threshold,
            "reopened": t.n_reopened,
        }
        for t in targets
    ]


def flagged_units(user):
    """Units the user sees that fell under the threshold in a closed round, newest first."""
    return (
        SurveyTarget.objects.restrict(user, VIEW)
        .filter(below_threshold=True, round__closed_at__isnull=False)
        .select_related("unit", "round")
        .order_by("-round__closed_at", "unit__path")
    )


def visible_rounds(user):
    """Rounds with a unit the user sees."""
    return SurveyRound.objects.filter(
        pk__in=SurveyTarget.objects.restrict(user, VIEW).values("round_id")
    ).select_related("campaign").order_by("-opened_at")
