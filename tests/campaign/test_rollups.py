"""Participation and indicator roll-ups (issue 10) equal the live totals after every change."""

import pytest

from campaign import rollups
from campaign.models import IndicatorValue, Participation
from campaign.models.indicators import Rollup
from tests.factories import BatchFactory, CampaignFactory, IndicatorFactory, IndicatorValueFactory, ParticipationFactory


@pytest.fixture
def figures(city):
    campaign = CampaignFactory(issuing_unit=city["city"])
    batch = BatchFactory(campaign=campaign)
    funds = IndicatorFactory(campaign=campaign, code="funds", rollup=Rollup.SUM)
    biggest = IndicatorFactory(campaign=campaign, code="biggest", rollup=Rollup.MAX)
    mean = IndicatorFactory(campaign=campaign, code="mean", rollup=Rollup.AVG)
    for value, unit in enumerate(["east_community", "east_street", "west_community", "west"], start=1):
        ParticipationFactory(unit=city[unit], batch=batch, members_expected=10 * value, members_participated=9 * value)
        for indicator in (funds, biggest, mean):
            IndicatorValueFactory(indicator=indicator, unit=city[unit], batch=batch, value=value * 1.5)
    return batch


def assert_match(city, batch=None):
    for unit in city.values():
        unit.refresh_from_db()
        live = Participation.objects.within(unit)
        values = IndicatorValue.objects.within(unit)
        if batch is not None:
            live, values = live.filter(batch=batch), values.filter(batch=batch)
        expected = live.totals()
        assert rollups.participation_totals([unit], batch=batch) == expected, unit.name
        assert rollups.indicator_totals([unit], batch=batch) == values.rollup(), unit.name


@pytest.mark.django_db
class TestParticipationAndIndicatorRollups:
    def test_created(self, city, figures):
        assert rollups.participation_totals([city["city"]])["members_expected"] == 100
        assert_match(city)
        assert_match(city, figures)

    def test_edited_and_deleted(self, city, figures):
        participation = Participation.objects.get(unit=city["east_street"])
        participation.members_participated = 1
        participation.save()
        IndicatorValue.objects.filter(unit=city["west"], indicator__code="biggest").get().delete()
        value = IndicatorValue.objects.get(unit=city["east_community"], indicator__code="mean")
        value.value = 99
        value.save()
        assert_match(city)

    def test_a_unit_moved(self, city, figures):
        street = city["east_street"]
        street.parent = city["west"]
        street.save()
        assert rollups.participation_totals([city["east"]])["units"] == 0
        assert_match(city)

    def test_rebuild_gives_the_same(self, city, figures):
        rollups.rebuild()
        assert_match(city)
