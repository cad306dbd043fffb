"""The right page and notice for each role (issue 9, point 5): staff are asked to
explain, supervisors see what to decide, leaders read figures and a digest, and
roles in supervision groups are named as people say them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import Role
from rectification import notify
from rectification.models import Alert, Notification, WarningLevel
from tests.conftest import in_english, member
from tests.factories import MembershipFactory, SupervisionGroupFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db
MY_TASKS = reverse("rectification:my_tasks")


@pytest.fixture
def overdue(city, batch):
    """An overdue, unexplained task of the east community, escalated."""
    return TaskFactory(
        unit=city["east_community"], problem__batch=batch, title="超期未说明的任务",
        due_date=timezone.localdate() - datetime.timedelta(days=40),
    )  # fmt: skip


@pytest.fixture
def group(city, campaign):
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="市委第三督导组")
    group.units.add(city["east"])
    group.leader = UserFactory(username="group-leader")
    group.save()
    group.members.add(UserFactory(username="group-member"))
    return group


# --- notices -----------------------------------------------------------------------------


@pytest.mark.parametrize("level", [WarningLevel.RED, WarningLevel.ESCALATED])
def test_the_city_leader_is_never_asked_to_explain_a_communitys_task(overdue, unit_staff, leader, group, level):
    district_leader = member(overdue.unit.parent.parent, Role.LEADER, "district-leader")
    alert = Alert.objects.create(task=overdue, level=level, due_date=overdue.due_date)
    notify.make_alert_notifications()
    told = set(Notification.objects.filter(alert=alert).values_list("user__username", flat=True))
    assert unit_staff.username in told
    assert leader.username not in told and district_leader.username not in told


def test_leaders_get_a_daily_digest_of_their_scope_instead(city, overdue, unit_staff, leader, group):
    west_leader = member(city["west"], Role.LEADER, "west-leader")
    Alert.objects.create(task=overdue, level=WarningLevel.ESCALATED, due_date=overdue.due_date)
    made = notify.make_daily_digests()
    digest = Notification.objects.get(user=leader, kind="digest")
    assert "超期未说明的任务" in digest.body
    assert digest.url == reverse("reports:home")
    assert not Notification.objects.filter(user=west_leader).exists()  # nothing in the west: no digest
    assert made["digests"] == 3  # the city leader and the group's two supervisors
    assert notify.make_daily_digests()["digests"] == 0  # once a day


def test_a_supervisor_who_also_leads_gets_one_digest_of_what_to_decide(city, overdue, group):
    MembershipFactory(unit=city["city"], role=Role.LEADER, user=group.leader)
    notify.make_daily_digests()
    [digest] = Notification.objects.filter(user=group.leader, kind="digest")
    assert digest.url == reverse("rectification:queue")


# --- the "my units' tasks" page ----------------------------------------------------------


def test_staff_are_asked_to_explain_with_the_buttons(client, overdue, unit_staff):
    client.force_login(unit_staff)
    content = in_english(client).get(MY_TASKS).content.decode()
    assert "Say why each is late" in content and "Explain now" in content


@pytest.mark.parametrize("who", ["supervisor", "leader"])
def test_supervisors_and_leaders_are_not_asked_to_explain(client, city, overdue, unit_staff, group, leader, supervisor_in_scope, who):
    user = {"supervisor": supervisor_in_scope, "leader": leader}[who]
    client.force_login(user)
    content = in_english(client).get(MY_TASKS).content.decode()
    assert "Say why each is late" not in content and "Explain now" not in content
    if who == "supervisor":
        assert 'data-testid="to-decide"' in content and "Requests to close" in content
    else:
        assert 'data-testid="to-decide"' not in content


# --- roles named as people say them ------------------------------------------------------


def test_group_roles_are_named_as_people_say_them(client, group):
    client.force_login(group.leader)
    content = client.get(reverse("reports:home")).content.decode()
    assert "市委第三督导组 · 督导组组长" in content
    assert "市委第三督导组 · 督导组</li>" not in content
    client.force_login(group.members.get())
    content = client.get(reverse("reports:home")).content.decode()
    assert "市委第三督导组 · 督导组成员" in content
