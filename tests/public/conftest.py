import datetime

import pytest

from campaign.models import Role, UnitKind
from tests.factories import (
    BatchFactory,
    CampaignFactory,
    MembershipFactory,
    ParticipationFactory,
    SupervisionGroupFactory,
    UnitFactory,
    UserFactory,
)


class Town:
    """A city with two districts (east with a street and a community, west with a community),
    a second city with its own campaign, and the people each test needs."""

    def __init__(self):
        self.city = UnitFactory(name="中共测试市委员会", short_name="测试市", kind=UnitKind.CITY)
        self.east = UnitFactory(parent=self.city, name="中共东区委员会", short_name="东区")
        self.east_street = UnitFactory(parent=self.east, name="东区街道党工委", kind=UnitKind.STREET)
        self.community = UnitFactory(parent=self.east_street, name="明达社区党支部", short_name="明达社区", kind=UnitKind.COMMUNITY)
        self.west = UnitFactory(parent=self.city, name="中共西区委员会", short_name="西区")
        self.west_community = UnitFactory(parent=self.west, name="西山社区党支部", short_name="西山社区", kind=UnitKind.COMMUNITY)
        self.bureau = UnitFactory(parent=self.city, name="中共测试市水务局党组", short_name="市水务局", kind=UnitKind.DEPARTMENT)
        self.campaign = CampaignFactory(issuing_unit=self.city, name="先进性教育活动", end_date=datetime.date(2027, 1, 10))
        self.batch = BatchFactory(campaign=self.campaign, number=2, name="第二批")
        for unit in (self.east, self.east_street, self.community, self.west, self.west_community, self.bureau):
            ParticipationFactory(unit=unit, batch=self.batch)
        self.other_city = UnitFactory(name="中共别市委员会", short_name="别市", kind=UnitKind.CITY)
        self.other_unit = UnitFactory(parent=self.other_city, name="别市某社区党支部", kind=UnitKind.COMMUNITY)
        self.other_campaign = CampaignFactory(issuing_unit=self.other_city, name="别市的活动")

        def member(username, unit, role, **names):
            return MembershipFactory(unit=unit, role=role, user=UserFactory(username=username, **names)).user

        self.staff = member("community-staff", self.community, Role.STAFF, last_name="张", first_name="晓梅")
        self.colleague = member("community-colleague", self.community, Role.STAFF)
        self.street_staff = member("street-staff", self.east_street, Role.STAFF, last_name="钱", first_name="明")
        self.street_leader = member("street-leader", self.east_street, Role.LEADER)
        self.district_staff = member("district-staff", self.east, Role.STAFF)
        self.west_staff = member("west-staff", self.west_community, Role.STAFF)
        self.bureau_staff = member("bureau-staff", self.bureau, Role.STAFF)
        self.city_admin = member("city-admin", self.city, Role.ADMIN)
        self.supervisor = UserFactory(username="supervisor", last_name="李", first_name="振华")
        self.outside_supervisor = UserFactory(username="west-supervisor")
        group = SupervisionGroupFactory(campaign=self.campaign, organising_unit=self.city, name="东区督导组")
        group.units.add(self.east)
        group.members.add(self.supervisor)
        west_group = SupervisionGroupFactory(campaign=self.campaign, organising_unit=self.city, name="西区督导组")
        west_group.units.add(self.west)
        west_group.members.add(self.outside_supervisor)


@pytest.fixture
def town(db):
    return Town()
