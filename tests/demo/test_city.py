import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from campaign.models import Batch, Campaign, IndicatorValue, Participation, Unit, UnitKind
from campaign.models.campaigns import PhaseKind
from campaign.permissions import VIEW, access
from demo.city import load_demo

pytestmark = pytest.mark.django_db

CITY = "中共乌海市委员会"
CAMPAIGN = "保持共产党员先进性教育活动"
DEMO_USERS = ["staff", "supervisor", "inspector", "leader", "admin"]


def run_command():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(demo_city):
    return Unit.objects.get(name=CITY, parent=None)


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_app_config("campaign").get_models()} | {
        "auth.User": get_user_model().objects.count()
    }


def test_the_command_loads_the_city_and_prints_the_demo_logins():
    output = run_command()

    assert Unit.objects.get(name=CITY).kind == UnitKind.CITY
    assert CAMPAIGN in output
    for username in DEMO_USERS:
        assert username in output


def test_the_city_has_districts_streets_communities_villages_enterprises_and_departments(demo):
    units = Unit.objects.subtree(demo)
    kinds = set(units.values_list("kind", flat=True))

    assert 30 <= units.count() <= 60
    assert {"city", "district", "street", "community", "village", "enterprise", "department"} <= kinds
    assert set(demo.children.filter(kind=UnitKind.DISTRICT).values_list("short_name", flat=True)) == {
        "海勃湾区",
        "海南区",
        "乌达区",
    }
    assert demo.children.filter(short_name="市国税局", kind=UnitKind.DEPARTMENT).exists()
    community = Unit.objects.get(name="明达东路社区党支部")
    assert community.is_descendant_of(Unit.objects.get(short_name="乌达区"))
    assert all(unit.code and unit.leader_name and unit.member_count for unit in units)


def test_indicator_totals_at_the_root_match_the_speech(demo):
    totals = {indicator.code: value for indicator, value in IndicatorValue.objects.rolled_up(demo)}

    assert totals == {
        "funds": Decimal("470"),
        "venues": Decimal("960"),
        "instructors": Decimal("51"),
        "liaisons": Decimal("207"),
        "counsellors": Decimal("104"),
        "applications": Decimal("850"),
        "new_members": Decimal("956"),
    }


def test_districts_report_different_figures(demo):
    districts = demo.children.filter(kind=UnitKind.DISTRICT)
    funds = {
        value for district in districts for indicator, value in IndicatorValue.objects.rolled_up(district)
        if indicator.code == "funds"
    }

    assert len(funds) == districts.count() == 3


def test_look_back_totals_match_the_speech(demo):
    totals = Participation.objects.filter(batch__campaign__name=CAMPAIGN).totals()

    assert (totals["makeup_members"], totals["members_transformed"], totals["members_handled"]) == (41, 7, 4)


def test_every_unit_takes_part_once_in_the_batch_of_its_kind(demo):
    first, second = Batch.objects.filter(campaign__name=CAMPAIGN).order_by("number")
    units = Unit.objects.subtree(demo)

    assert Participation.objects.filter(batch__in=[first, second]).count() == units.count()
    assert set(first.participations.values_list("unit__kind", flat=True)) == {"city", "district", "department"}
    assert set(second.participations.values_list("unit__kind", flat=True)) == {
        "street",
        "community",
        "village",
        "enterprise",
    }


def test_most_but_not_all_second_batch_units_finished_the_five_checks(demo):
    second = Batch.objects.get(campaign__name=CAMPAIGN, number=2)
    done = [p.checks_done == 5 for p in second.participations.all()]

    assert sum(done) > len(done) / 2
    assert not all(done)


def test_late_november_2026_falls_in_the_look_back_of_the_second_batch(demo):
    second = Batch.objects.get(campaign__name=CAMPAIGN, number=2)
    today = datetime.date(2026, 11, 25)

    current = [phase.kind for phase in second.phases.all() if phase.is_current(today)]
    assert current == [PhaseKind.LOOK_BACK]
    assert [phase.kind for phase in second.phases.order_by("order")] == [
        PhaseKind.MOBILISE,
        PhaseKind.ANALYSE,
        PhaseKind.RECTIFY,
        PhaseKind.LOOK_BACK,
    ]
    assert "3个月" in second.scope_note


def test_a_second_run_adds_nothing_and_changes_nothing(demo):
    before = row_counts()
    values_before = list(IndicatorValue.objects.order_by("pk").values_list("pk", "value"))
    participations_before = list(Participation.objects.order_by("pk").values())

    result = load_demo()

    assert not result.created
    assert row_counts() == before
    assert list(IndicatorValue.objects.order_by("pk").values_list("pk", "value")) == values_before
    assert list(Participation.objects.order_by("pk").values()) == participations_before
    assert "nothing created" in run_command()


def test_a_second_run_keeps_a_password_the_user_changed(demo, client):
    user = get_user_model().objects.get(username="staff")
    user.set_password("my-own-pass-2026")
    user.save()

    run_command()

    assert client.login(username="staff", password="my-own-pass-2026")


def test_staff_sees_their_community_and_district_but_not_another_district(demo):
    staff = get_user_model().objects.get(username="staff")
    visible = Unit.objects.visible_to(staff)

    assert visible.filter(name="明达东路社区党支部").exists()
    assert visible.filter(name="五一乡富源村党支部").exists()
    assert not visible.filter(path__startswith=Unit.objects.get(short_name="海南区").path).exists()
    assert access(staff).paths(VIEW) == [Unit.objects.get(short_name="乌达区").path]


def test_the_supervisor_watches_wuda_through_the_city_supervision_group(demo):
    supervisor = get_user_model().objects.get(username="supervisor")
    group = supervisor.supervision_groups.get()
    wuda = Unit.objects.get(short_name="乌达区")

    assert group.organising_unit == demo
    assert list(group.units.all()) == [wuda]
    assert access(supervisor).paths(VIEW) == [wuda.path]


@pytest.mark.parametrize("username", DEMO_USERS)
def test_the_demo_users_log_in_with_the_demo_password(demo, client, settings, username):
    user = get_user_model().objects.get(username=username)

    assert user.first_name and user.last_name
    assert client.login(username=username, password=settings.DEMO_PASSWORD)


@override_settings(DEMO_PASSWORD="another-demo-pass")
def test_the_demo_password_comes_from_settings(client):
    run_command()

    assert client.login(username="leader", password="another-demo-pass")


def test_only_admin_reaches_the_django_admin(demo, client, settings):
    client.login(username="admin", password=settings.DEMO_PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert 'href="/admin/campaign/unit/"' in response.content.decode()  # the admin's list of models

    client.login(username="leader", password=settings.DEMO_PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")  # the admin's own login, not its pages


def test_the_campaign_is_issued_by_the_city_in_two_batches(demo):
    campaign = Campaign.objects.get(name=CAMPAIGN)

    assert campaign.issuing_unit == demo
    assert list(campaign.batches.values_list("number", "name")) == [(1, "第一批"), (2, "第二批")]
