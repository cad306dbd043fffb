import pytest
from django.conf import settings
from django.utils import translation

from campaign.models import Role, UnitKind
from tests.factories import MembershipFactory, UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the site's default language (Chinese), whatever a
    previous test's requests left active in this thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def empty_rate_limits():
    """The public forms' rate limits count per address in the cache (locmem in tests):
    every test starts with nothing counted."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def city(db):
    """A small tree: a city with two districts, each with a street and a community."""
    root = UnitFactory(name="中共测试市委员会", short_name="测试市", kind=UnitKind.CITY)
    tree = {"city": root}
    for key, name in (("east", "东区"), ("west", "西区")):
        district = UnitFactory(parent=root, name=f"中共{name}委员会", short_name=name, kind=UnitKind.DISTRICT)
        street = UnitFactory(parent=district, name=f"{name}街道党工委", kind=UnitKind.STREET)
        community = UnitFactory(parent=street, name=f"{name}社区党支部", kind=UnitKind.COMMUNITY)
        tree[key] = district
        tree[f"{key}_street"] = street
        tree[f"{key}_community"] = community
    return tree


@pytest.fixture
def east_staff(city):
    """Staff of the east district: the allowed persona."""
    return MembershipFactory(unit=city["east"], role=Role.STAFF, user=UserFactory(username="east-staff")).user


@pytest.fixture
def west_staff(city):
    """Staff of the west district: the outsider persona."""
    return MembershipFactory(unit=city["west"], role=Role.STAFF, user=UserFactory(username="west-staff")).user


@pytest.fixture
def city_admin(city):
    return MembershipFactory(unit=city["city"], role=Role.ADMIN, user=UserFactory(username="city-admin")).user


def in_english(client):
    """Pages in English for this test client, as the language switch would set
    them (the browser's Accept-Language is ignored: see config.middleware)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
