"""Loads the demo city of the speech (乌海市) and its campaign: the story data
is in demo/data/ (units.yaml, campaign.yaml, people.yaml, read by
:mod:`demo.stories`); this module writes it, in :func:`load_demo`.

Every figure is reported by its unit through the reporting form's service
(rectification.figures), as the unit's staff (or the campaign office) would in
the app. The figures add up to the ones the speech quotes: indicator totals at the
root (470万元 funds, 960万元 venues, 51/207/104 “三员”, 850 applications,
956 new members) and the look-back totals (41 make-up members, 7 educated
and transformed, 4 handled). The dates put late November 2026 inside the
look-back (回头看) of the second batch.

Loading is idempotent: every row is looked up by its natural key and only
created when missing; existing rows, passwords included, are left alone.
"""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from simple_history.models import HistoricalRecords

from campaign.models import (
    Batch,
    Campaign,
    FigureReport,
    Indicator,
    Membership,
    Participation,
    Phase,
    SupervisionGroup,
    Unit,
)
from campaign import permissions
from campaign.models.campaigns import LOOK_BACK_CHECKS
from campaign.permissions import REPORT
from demo import stories
from demo.evidence import Document

# --- loading ------------------------------------------------------------------------------


@dataclass
class DemoResult:
    root: Unit
    campaign: Campaign
    created: Counter = field(default_factory=Counter)  # model name -> rows created by this run


@transaction.atomic
def load_demo():
    """Write the demo city, campaign and users; a second run adds nothing."""
    data = stories.city()
    loader = _Loader(data)
    units = loader.units(data.root)
    root = units[data.root.name]
    campaign = loader.get(Campaign, name=data.campaign["name"], defaults={**data.campaign, "issuing_unit": root})
    batches = {spec.number: loader.batch(campaign, spec) for spec in data.batches}
    for spec in data.batches:
        loader.participations(batches[spec.number], [u for u in units.values() if u.kind in spec.kinds])
    indicators = loader.indicators(campaign)
    users = {spec.username: loader.user(spec, units) for spec in data.users}
    loader.reports(data.batches, batches, units, indicators, users)
    for group_spec in data.supervision_groups:
        group = loader.get(
            SupervisionGroup,
            campaign=campaign,
            name=group_spec["name"],
            defaults={"organising_unit": root, "leader": users[group_spec["leader"]]},
        )
        group.units.add(*(units[name] for name in group_spec["supervises"]))
        group.members.add(*(users[name] for name in group_spec["members"]))
    return DemoResult(root=root, campaign=campaign, created=loader.created)


class _Loader:
    """get_or_create on natural keys, counting what it creates."""

    def __init__(self, data):
        self.data = data
        self.created = Counter()

    def get(self, model, defaults=None, **keys):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **keys)
        if created:
            self.created[model.__name__] += 1
        return obj

    def units(self, spec, parent=None):
        """The unit of ``spec`` and all below it, by name."""
        unit = self.get(
            Unit,
            parent=parent,
            name=spec.name,
            defaults={
                "short_name": spec.short_name,
                "kind": spec.kind,
                "code": spec.code,
                "leader_name": spec.leader_name,
                "member_count": spec.member_count,
            },
        )
        units = {unit.name: unit}
        for child in spec.children:
            units.update(self.units(child, parent=unit))
        return units

    def batch(self, campaign, spec):
        batch = self.get(
            Batch,
            campaign=campaign,
            number=spec.number,
            defaults={
                "name": spec.name,
                "scope_note": spec.scope_note,
                "start_date": spec.start_date,
                "end_date": spec.end_date,
                "five_checks": spec.five_checks,
                "report_due": spec.report_due,
            },
        )
        for order, (kind, start, end, note) in enumerate(spec.phases, start=1):
            self.get(
                Phase,
                batch=batch,
                kind=kind,
                defaults={"order": order, "start_date": start, "end_date": end, "note": note},
            )
        return batch

    def participations(self, batch, units):
        """The units taking part in the batch (the campaign office sets them up); their
        figures come from their own reports (:meth:`reports`)."""
        for unit in units:
            self.get(Participation, unit=unit, batch=batch)

    def indicators(self, campaign):
        found = {}
        for order, (code, name, measure, evidence) in enumerate(self.data.indicators, start=1):
            found[code] = self.get(
                Indicator, campaign=campaign, code=code,
                defaults={"name": name, "measure": measure, "order": order, "needs_evidence": evidence},
            )  # fmt: skip
        return found

    def reports(self, batch_specs, batches, units, indicators, users):
        """Each unit reports its figures for each batch through the reporting form's service
        (rectification.figures): its participation and look-back figures, and its indicators
        with their evidence. The office staff report where they may, the campaign office
        for the others. A unit that has reported already is left alone."""
        from rectification import figures

        staff, office = users["staff"], users["admin"]
        for spec in batch_specs:
            batch = batches[spec.number]
            reported = set(FigureReport.objects.filter(batch=batch).values_list("unit_id", flat=True))
            values = {}  # unit name -> [(code, value)]
            for code, by_batch in self.data.indicator_values.items():
                for unit_name, value in by_batch.get(spec.number, {}).items():
                    values.setdefault(unit_name, []).append((code, value))
            taking_part = {p.unit_id for p in Participation.objects.filter(batch=batch)}
            for unit in units.values():
                if unit.pk in reported or (unit.pk not in taking_part and unit.name not in values):
                    continue
                participation = None
                if unit.pk in taking_part:
                    participation = {
                        "members_expected": unit.member_count,
                        "members_participated": unit.member_count - self.data.members_absent.get(unit.name, 0),
                    }
                    if spec.five_checks:
                        participation.update(self.look_back_figures(unit.name))
                entries = [
                    figures.IndicatorEntry(
                        indicators[code], Decimal(value), "",
                        self.evidence(unit, indicators[code], value) if indicators[code].needs_evidence else None,
                    )  # fmt: skip
                    for code, value in values.get(unit.name, [])
                ]
                reporter = staff if permissions.may(staff, REPORT, unit) else office
                with _acting_as(reporter):
                    report = figures.report_figures(reporter, unit, batch, participation=participation, indicators=entries)
                self.created[FigureReport.__name__] += 1
                returned = self.data.figures_returned.get(unit.name)
                if returned and returned[0] == spec.number:
                    with _acting_as(office):
                        figures.return_figures(office, report, returned[1])

    @staticmethod
    def evidence(unit, indicator, value):
        document = Document(
            f"{indicator.name}.pdf", f"{unit.name}{indicator.name}",
            (f"{indicator.name}：{value}{indicator.measure}", "经党组织研究同意，列入年度预算。"),
        )  # fmt: skip
        return SimpleUploadedFile(document.name, document.content(), content_type="application/pdf")

    def user(self, spec, units):
        User = get_user_model()
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User.objects.create_user(
                spec.username,
                email=f"{spec.username}@example.org",
                password=settings.DEMO_PASSWORD,
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
            self.created[User.__name__] += 1
        for unit_name, role in spec.memberships:
            self.get(Membership, user=user, unit=units[unit_name], role=role)
        return user

    def look_back_figures(self, unit_name):
        makeup, transformed, handled = self.data.look_back.get(unit_name, (0, 0, 0))
        open_checks, note = self.data.look_back_open.get(unit_name, ((), ""))
        checks = {check: check not in open_checks for check, _label in LOOK_BACK_CHECKS}
        return {
            "makeup_members": makeup,
            "members_transformed": transformed,
            "members_handled": handled,
            "look_back_note": note,
            **checks,
        }


@contextmanager
def _acting_as(user):
    """History rows written inside are by ``user`` (as a request would make them)."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous
