import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from campaign.models import Role, UnitKind
from tests.demo_snapshot import DemoSnapshot
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


# --- the people of the tests ----------------------------------------------------------------
# One set of personas, named by the part each plays toward "the task" (tests/rectification/
# conftest.py: a task of 东区社区党支部, with 西区社区党支部 co-responsible) and toward its unit.
# They match the rows of the permission matrix (issue 7). Tests outside rectification read
# "the unit" as 东区社区党支部 and its district 东区 likewise.


def member(unit, role, username):
    """A new user holding ``role`` over ``unit`` (and the units below it)."""
    return MembershipFactory(unit=unit, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def anonymous():
    """A visitor who has not logged in."""
    return AnonymousUser()


@pytest.fixture
def unit_staff(city):
    """Office staff of the task's own unit (东区社区党支部)."""
    return member(city["east_community"], Role.STAFF, "community-staff")


@pytest.fixture
def staff_above(city):
    """Office staff of the district above the task's unit (东区): they see and edit all of it."""
    return member(city["east"], Role.STAFF, "east-staff")


@pytest.fixture
def co_unit_staff(city):
    """Office staff of the co-responsible unit (西区社区党支部, in the other district)."""
    return member(city["west_community"], Role.STAFF, "co-staff")


@pytest.fixture
def other_district(city):
    """A third district (北区) that has no part in the task."""
    return UnitFactory(parent=city["city"], name="中共北区委员会", short_name="北区", kind=UnitKind.DISTRICT)


@pytest.fixture
def other_district_staff(other_district):
    """Office staff of 北区: nothing of the task is theirs to see."""
    return member(other_district, Role.STAFF, "north-staff")


@pytest.fixture
def supervisor_in_scope(city):
    """A supervisor of the task's district (东区), of no unit themselves: may verify its tasks."""
    return member(city["east"], Role.SUPERVISOR, "east-supervisor")


@pytest.fixture
def supervisor_out_of_scope(other_district):
    """A supervisor of 北区: the task lies outside what they supervise or see."""
    return member(other_district, Role.SUPERVISOR, "north-supervisor")


@pytest.fixture
def supervisor_who_is_staff_above(city):
    """A supervisor of the task's district (东区) who is also office staff of the task's own
    unit: may not decide on what their unit asked."""
    user = member(city["east"], Role.SUPERVISOR, "staff-supervisor")
    MembershipFactory(unit=city["east_community"], role=Role.STAFF, user=user)
    return user


@pytest.fixture
def leader(city):
    """A leader of the whole city (测试市): reads everything, records nothing."""
    return member(city["city"], Role.LEADER, "city-leader")


@pytest.fixture
def community_admin(city):
    """An administrator of the task's own unit (东区社区党支部) only."""
    return member(city["east_community"], Role.ADMIN, "community-admin")


@pytest.fixture
def admin_above(city):
    """An administrator of the district above the task's unit (东区), not of the city."""
    return member(city["east"], Role.ADMIN, "east-admin")


@pytest.fixture
def city_admin(city):
    """An administrator of the whole city (测试市)."""
    return member(city["city"], Role.ADMIN, "city-admin")


@pytest.fixture
def superuser(db):
    """A superuser, of no unit: administers everything."""
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture(scope="session")
def demo_snapshot(django_db_setup, django_db_blocker):
    """The demo city, loaded once for the whole session and kept aside (tests/demo_snapshot.py)."""
    with django_db_blocker.unblock():
        snapshot = DemoSnapshot.take()
    yield snapshot
    with django_db_blocker.unblock():
        snapshot.drop()


@pytest.fixture
def demo_city(db, demo_snapshot):
    """The demo city as ``load_demo`` leaves it, inside this test's transaction:
    what the test changes is rolled back after it."""
    demo_snapshot.restore()


REFUSALS = {
    403: gettext_noop("You may not do this. If you think you should, ask an administrator to check your units and role."),
    404: gettext_noop("This page does not exist, or it belongs to a unit outside your scope."),
}


def assert_refused(response, status):
    """``response`` is the page a user is refused with, saying why in the page's language:
    403 (seen but not theirs to do) or 404 (not there, or outside their scope)."""
    assert response.status_code == status
    with translation.override(response.get("Content-Language") or settings.LANGUAGE_CODE):
        message = gettext(REFUSALS[status])
    assert message in response.content.decode(), f"the {status} page does not say “{message}”"


def in_english(client):
    """Pages in English for this test client, as the language switch would set
    them (the browser's Accept-Language is ignored: see config.middleware)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(scope="session")
def object_store(tmp_path_factory):
    """A real S3-compatible server (SeaweedFS, see tests/object_store.py), once per session."""
    from tests import object_store as store

    process, server = store.start(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield server
    finally:
        store.stop(process)


def without_production_services(reason):
    """A test that needs PostgreSQL or Redis, run without them (the embedded shape: SQLite and
    the filesystem broker) is skipped with ``reason``; in CI (``CI`` set, as .ci/run sets it,
    with DATABASE_URL and REDIS_URL) the same situation fails, so a skip can never pass there."""
    import os

    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test on the production services: {reason}")
    pytest.skip(reason)
