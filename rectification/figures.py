"""Units report their figures (issue 9): per batch, a unit's staff enter and update its
participation (应参学 / 实际参学, 补课, 教育转化, 组织处理), the 五查五看 checklist where the
batch runs it, and its indicator values, with evidence where an indicator asks for it.
The unit above sees who has not reported by the batch's deadline and may return a report
with a reason; the unit is told. The figures roll up the tree as any edit does (the
roll-ups of campaign.rollups are refreshed when a row is saved), and every change is in
the history (django-simple-history on the participation, the values and the report).

The form (rectification.views.figures) and the demo city (demo.city) both report through
:func:`report_figures`: the demo city's figures are what its units reported.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import permissions
from campaign.models import FigureReport, IndicatorValue, Participation
from campaign.models.campaigns import LOOK_BACK_CHECKS
from campaign.people import person_name
from campaign.permissions import REPORT, REVIEW

from . import notify
from . import tasks as background
from .notify.base import DECISION

COUNTS = ("members_expected", "members_participated", "makeup_members", "members_transformed", "members_handled")
CHECKS = tuple(field for field, _label in LOOK_BACK_CHECKS)


class FiguresConflict(ValidationError):
    """Someone else reported these figures since the form was opened."""


@dataclass
class IndicatorEntry:
    """One indicator's figure as reported: ``value`` None leaves the indicator unreported."""

    indicator: object
    value: Decimal | None
    note: str = ""
    evidence: object = None  # an uploaded file


def report_url(unit, batch):
    return reverse("rectification:figures_report", args=[unit.pk, batch.pk])


def report_figures(user, unit, batch, *, participation=None, indicators=(), seen_version=None):
    """Record ``unit``'s figures for ``batch``: ``participation`` (a dict of the counts, the
    checks and ``look_back_note``; only for a unit taking part in the batch) and
    ``indicators`` (:class:`IndicatorEntry`). Staff or administrators of the unit (or of a
    unit above it) only. A returned report is reported again. ``seen_version``: the
    report's version the form showed; a later one is a conflict. Returns the report."""
    from .uploads import check_upload

    permissions.require(user, REPORT, unit)
    entries = list(indicators)
    current = Participation.objects.filter(unit=unit, batch=batch).select_related("batch").first()
    errors = {}
    if participation is not None:
        if current is None:
            raise ValidationError(_("%(unit)s does not take part in %(batch)s.") % {"unit": unit.name, "batch": batch.name})
        counts = {name: participation.get(name, getattr(current, name)) for name in COUNTS}
        for name, value in counts.items():
            if value is None or value < 0:
                errors[name] = _("Enter a number, 0 or more.")
        if not errors:
            if counts["members_participated"] > counts["members_expected"]:
                errors["members_participated"] = _("More members took part than were expected; check both figures.")
            if counts["makeup_members"] > counts["members_expected"]:
                errors["makeup_members"] = _("More members in make-up classes than expected to take part.")
    for entry in entries:
        if entry.indicator.campaign_id != batch.campaign_id:
            raise ValidationError(_("“%(name)s” is not an indicator of this campaign.") % {"name": entry.indicator.name})
    stored = {
        value.indicator_id: value for value in IndicatorValue.objects.filter(unit=unit, batch=batch)
    }
    for entry in entries:
        key = f"indicator_{entry.indicator.pk}"
        if entry.value is not None and entry.value < 0:
            errors[key] = _("Enter a figure, 0 or more.")
        if entry.evidence:
            try:
                check_upload(entry.evidence)
            except ValidationError as error:
                errors[f"{key}_evidence"] = error.messages
        has_evidence = entry.evidence or (entry.indicator.pk in stored and stored[entry.indicator.pk].evidence)
        if entry.value is not None and entry.indicator.needs_evidence and not has_evidence:
            errors[f"{key}_evidence"] = _("“%(name)s” asks for evidence: attach the document that proves it.") % {
                "name": entry.indicator.name
            }
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    written = []
    try:
        with transaction.atomic():
            report = FigureReport.objects.select_for_update().filter(unit=unit, batch=batch).first()
            if report is not None and seen_version is not None and report.version != seen_version:
                raise FiguresConflict(
                    _("These figures were reported again since you opened the form (by %(who)s): reload and check.")
                    % {"who": person_name(report.reported_by) if report.reported_by_id else "—"}
                )
            if participation is not None:
                current = Participation.objects.select_for_update().get(pk=current.pk)
                for name in COUNTS:
                    setattr(current, name, participation.get(name, getattr(current, name)))
                if batch.five_checks:
                    for name in CHECKS:
                        setattr(current, name, bool(participation.get(name, getattr(current, name))))
                current.look_back_note = participation.get("look_back_note", current.look_back_note)
                current.save()
            for entry in entries:
                value = stored.get(entry.indicator.pk)
                if entry.value is None:
                    if value is not None:
                        value.delete()
                    continue
                if value is None:
                    value = IndicatorValue(indicator=entry.indicator, unit=unit, batch=batch)
                value.value, value.note = entry.value, entry.note[:300]
                if entry.evidence:
                    value.evidence = entry.evidence
                    value.evidence_name = entry.evidence.name[:255]
                    value.evidence_type = check_upload(entry.evidence).mime
                    value.evidence_size = entry.evidence.size
                    written.append(value)
                value.save()
            if report is None:
                report = FigureReport(unit=unit, batch=batch, reported_at=now, reported_by=user)
            else:
                report.version += 1
            report.status = FigureReport.Status.REPORTED
            report.reported_by, report.reported_at = user, now
            report._change_reason = _("Figures reported")
            report.save()
    except BaseException:
        for value in written:
            if value.evidence:
                value.evidence.storage.delete(value.evidence.name)
        raise
    return report


def return_figures(user, report, reason):
    """The unit above returns a report (退回) with a reason; the unit's staff are told and report again."""
    refusal = permissions.refusal(user, REVIEW, report, requested_by=report.reported_by_id)
    if refusal is not None:
        raise permissions.Refused(
            _("Only the unit above %(unit)s returns its figures, and not the person who reported them.")
            % {"unit": report.unit.name}
        )
    if not reason.strip():
        raise ValidationError(_("Say why the figures are returned: the unit corrects them from it."))
    with transaction.atomic():
        report = FigureReport.objects.select_for_update().select_related("unit", "batch").get(pk=report.pk)
        if report.status != FigureReport.Status.REPORTED:
            raise ValidationError(_("These figures have already been returned."))
        report.status = FigureReport.Status.RETURNED
        report.returned_by, report.returned_at, report.return_reason = user, timezone.now(), reason
        report.version += 1
        report._change_reason = _("Returned: %(reason)s") % {"reason": reason[:80]}
        report.save()
        transaction.on_commit(lambda: _tell_returned(report), robust=True)
    return report


def _tell_returned(report):
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        context = {"unit": report.unit.display_name, "batch": report.batch.name, "reason": report.return_reason}
        title = _("Figures returned: %(unit)s, %(batch)s") % context
        body = _("The figures %(unit)s reported for %(batch)s were returned; correct them and report again:\n%(reason)s") % context
    notify.tell_staff_of(
        report.unit, DECISION, f"figures-returned:{report.pk}:{report.version}", title, body,
        report_url(report.unit, report.batch), background.queue_email_delivery, background.queue_robot_delivery,
    )  # fmt: skip


def reporting_status(user, batch):
    """The units taking part in ``batch`` that ``user`` sees, each annotated with its report:
    ``report_status`` (None: not reported), ``reported_at``, ``report_id``."""
    reports = FigureReport.objects.filter(unit=OuterRef("unit_id"), batch=batch)
    return (
        Participation.objects.visible_to(user)
        .filter(batch=batch)
        .select_related("unit", "batch")
        .annotate(
            report_status=Subquery(reports.values("status")[:1]),
            reported_at=Subquery(reports.values("reported_at")[:1]),
            report_id=Subquery(reports.values("pk")[:1]),
        )
        .order_by("unit__path")
    )


def may_return(user, report):
    return permissions.refusal(user, REVIEW, report, requested_by=report.reported_by_id) is None


def to_report(user, today=None):
    """The participations of the units where ``user`` is office staff (the units themselves,
    not those below) in batches still under way, whose figures are not reported yet or
    were returned: what the home page asks them to report (one query)."""
    today = today or timezone.localdate()
    unit_ids = [unit_id for unit_id, _path, role in permissions.access(user).memberships if role == permissions.STAFF]
    if not unit_ids:
        return []
    reports = FigureReport.objects.filter(unit=OuterRef("unit_id"), batch=OuterRef("batch_id"))
    return list(
        Participation.objects.filter(unit_id__in=unit_ids, batch__end_date__gte=today)
        .annotate(report_status=Subquery(reports.values("status")[:1]))
        .filter(Q(report_status__isnull=True) | Q(report_status=FigureReport.Status.RETURNED))
        .select_related("unit", "batch")
        .order_by("batch__report_due", "unit__path")
    )
