from decimal import Decimal

import pytest

from campaign.models import IndicatorValue, Participation
from campaign.models.indicators import Rollup
from tests.factories import BatchFactory, CampaignFactory, IndicatorFactory, IndicatorValueFactory, ParticipationFactory


@pytest.fixture
def campaign(city):
    return CampaignFactory(issuing_unit=city["city"])


@pytest.mark.django_db
class TestIndicatorRollup:
    def test_values_sum_up_the_tree(self, city, campaign):
        funds = IndicatorFactory(campaign=campaign, code="funds", name="经费", measure="万元")
        batch = BatchFactory(campaign=campaign)
        IndicatorValueFactory(indicator=funds, batch=batch, unit=city["east_community"], value=Decimal("12.5"))
        IndicatorValueFactory(indicator=funds, batch=batch, unit=city["east"], value=100)
        IndicatorValueFactory(indicator=funds, batch=batch, unit=city["west_street"], value=30)

        assert IndicatorValue.objects.rolled_up(city["city"]) == [(funds, Decimal("142.50"))]
        assert IndicatorValue.objects.rolled_up(city["east"]) == [(funds, Decimal("112.50"))]
        assert IndicatorValue.objects.rolled_up(city["west"]) == [(funds, Decimal("30.00"))]

    def test_a_batch_limits_the_roll_up(self, city, campaign):
        applications = IndicatorFactory(campaign=campaign, code="applications", measure="名")
        first, second = BatchFactory(campaign=campaign, number=1), BatchFactory(campaign=campaign, number=2)
        IndicatorValueFactory(indicator=applications, batch=first, unit=city["east"], value=5)
        IndicatorValueFactory(indicator=applications, batch=second, unit=city["east"], value=7)
        assert IndicatorValue.objects.rolled_up(city["city"], batch=second) == [(applications, Decimal("7.00"))]

    def test_an_indicator_rolled_up_by_maximum_takes_the_largest_value(self, city, campaign):
        rate = IndicatorFactory(campaign=campaign, code="rate", measure="%", rollup=Rollup.MAX)
        batch = BatchFactory(campaign=campaign)
        IndicatorValueFactory(indicator=rate, batch=batch, unit=city["east"], value=91)
        IndicatorValueFactory(indicator=rate, batch=batch, unit=city["west"], value=96)
        assert IndicatorValue.objects.rolled_up(city["city"]) == [(rate, Decimal("96.00"))]

    def test_an_indicator_with_no_values_is_left_out(self, city, campaign):
        IndicatorFactory(campaign=campaign, code="venues")
        assert IndicatorValue.objects.rolled_up(city["city"]) == []

    def test_indicators_come_in_their_order(self, city, campaign):
        batch = BatchFactory(campaign=campaign)
        later = IndicatorFactory(campaign=campaign, code="b", order=2)
        first = IndicatorFactory(campaign=campaign, code="a", order=1)
        for indicator in (later, first):
            IndicatorValueFactory(indicator=indicator, batch=batch, unit=city["east"], value=1)
        assert [indicator for indicator, _value in IndicatorValue.objects.rolled_up(city["city"])] == [first, later]


@pytest.mark.django_db
def test_participation_figures_total_over_a_subtree(city, campaign):
    batch = BatchFactory(campaign=campaign)
    ParticipationFactory(unit=city["east_community"], batch=batch, makeup_members=3, members_transformed=1)
    ParticipationFactory(unit=city["west_community"], batch=batch, makeup_members=5, members_handled=2)
    totals = Participation.objects.filter(unit__path__startswith=city["city"].path).totals()
    assert (totals["makeup_members"], totals["members_transformed"], totals["members_handled"]) == (8, 1, 2)
    assert Participation.objects.filter(unit__path__startswith=city["east"].path).totals()["makeup_members"] == 3
