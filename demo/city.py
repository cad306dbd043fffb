"""Loads the demo city of the speech (乌海市) and its campaign: the story data
is in demo/data/ (units.yaml, campaign.yaml, people.yaml, read by
:mod:`demo.stories`); this module writes it, in :func:`load_demo`.

The figures add up to the ones the speech quotes: indicator totals at the
root (470万元 funds, 960万元 venues, 51/207/104 “三员”, 850 applications,
956 new members) and the look-back totals (41 make-up members, 7 educated
and transformed, 4 handled). The dates put late November 2026 inside the
look-back (回头看) of the second batch.

Loading is idempotent: every row is looked up by its natural key and only
created when missing; existing rows, passwords included, are left alone.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from campaign.models import (
    Batch,
    Campaign,
    Indicator,
    IndicatorValue,
    Membership,
    Participation,
    Phase,
    SupervisionGroup,
    Unit,
)
from campaign.models.campaigns import LOOK_BACK_CHECKS
from demo import stories

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
        loader.participations(batches[spec.number], spec, [u for u in units.values() if u.kind in spec.kinds])
    loader.indicators(campaign, batches, units)
    users = {spec.username: loader.user(spec, units) for spec in data.users}
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

    def participations(self, batch, spec, units):
        for unit in units:
            figures = {
                "members_expected": unit.member_count,
                "members_participated": unit.member_count - self.data.members_absent.get(unit.name, 0),
            }
            if spec.five_checks:
                figures.update(self.look_back_figures(unit.name))
            self.get(Participation, unit=unit, batch=batch, defaults=figures)

    def indicators(self, campaign, batches, units):
        for order, (code, name, measure) in enumerate(self.data.indicators, start=1):
            indicator = self.get(
                Indicator, campaign=campaign, code=code, defaults={"name": name, "measure": measure, "order": order}
            )
            for number, values in self.data.indicator_values[code].items():
                for unit_name, value in values.items():
                    self.get(
                        IndicatorValue,
                        indicator=indicator,
                        unit=units[unit_name],
                        batch=batches[number],
                        defaults={"value": value},
                    )

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
