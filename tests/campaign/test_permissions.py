"""The permission layer (campaign/permissions.py): one answer to "may this user
do ACTION here", the same for a list (``restrict``) and for one object (``may``),
with separation of duties for every decision."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from campaign import permissions
from campaign.models import Role, Unit, UnitKind
from campaign.permissions import ACTIONS, DECIDE, EDIT, OPERATE, REPORT, SUPERVISE, VIEW
from rectification.models import CoordinationRequest, Task, Verification
from tests.factories import (
    BatchFactory,
    CampaignFactory,
    MembershipFactory,
    SupervisionGroupFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Refusals read in English here, so the assertions name the msgids (the catalogue is tested apart)."""
    with translation.override("en"):
        yield


@pytest.fixture
def tree(city):
    campaign = CampaignFactory(issuing_unit=city["city"])
    batch = BatchFactory(campaign=campaign)
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="东区督导组")
    group.units.add(city["east"])
    tasks = {key: TaskFactory(unit=city[key], problem__batch=batch) for key in city}
    tasks["east_community"].co_units.add(city["west_community"])
    return {**city, "group": group, "campaign": campaign, "batch": batch, "tasks": tasks}


def person(username, *memberships, groups=(), superuser=False):
    user = UserFactory(username=username, is_superuser=superuser)
    for unit, role in memberships:
        MembershipFactory(user=user, unit=unit, role=role)
    for group in groups:
        group.members.add(user)
    return user


def everyone(tree):
    east, west, city = tree["east"], tree["west"], tree["city"]
    return [
        person("anon-like-inactive", (east, Role.STAFF)),
        person("east-staff", (tree["east_community"], Role.STAFF)),
        person("west-staff", (tree["west_community"], Role.STAFF)),
        person("east-admin", (east, Role.ADMIN)),
        person("east-leader", (east, Role.LEADER)),
        person("east-member-supervisor", (east, Role.SUPERVISOR)),
        person("group-supervisor", groups=[tree["group"]]),
        person("group-and-street-staff", (tree["east_street"], Role.STAFF), groups=[tree["group"]]),
        person("city-admin", (city, Role.ADMIN)),
        person("west-leader", (west, Role.LEADER)),
        person("root", superuser=True),
    ]


def test_a_list_and_one_object_get_the_same_answer_for_every_action(tree):
    """restrict(user, action) holds exactly the objects for which may(user, action, object)."""
    users = everyone(tree)
    users[0].is_active = False
    users[0].save()
    tasks = list(tree["tasks"].values())
    units = list(Unit.objects.all())
    for user, action in itertools.product(users, ACTIONS):
        listed_tasks = set(Task.objects.restrict(user, action))
        listed_units = set(Unit.objects.restrict(user, action))
        for task in tasks:
            assert (task in listed_tasks) == permissions.may(user, action, task), (user.username, action, task.unit)
        for unit in units:
            assert (unit in listed_units) == permissions.may(user, action, unit), (user.username, action, unit)


def test_what_each_role_may_do_on_a_community_task(tree):
    task = tree["tasks"]["east_community"]
    expectations = {
        # user: actions allowed on the east community's task
        person("staff", (tree["east_community"], Role.STAFF)): {VIEW, "own", EDIT, REPORT, "explain"},
        person("co-staff", (tree["west_community"], Role.STAFF)): {VIEW, "own", REPORT},
        # REVIEW (a plan's review) belongs to the units above the row's unit: the district, the city
        person("admin", (tree["east"], Role.ADMIN)): {VIEW, "own", EDIT, REPORT, "oversee", "administer", "review"},
        person("leader", (tree["city"], Role.LEADER)): {VIEW, "own", "oversee", "review", "instruct"},  # 领导批示
        person("supervisor", groups=[tree["group"]]): {VIEW, SUPERVISE, DECIDE, "oversee"},
        person("root", superuser=True): {VIEW, EDIT, REPORT, "oversee", "administer", OPERATE},
        person("west-staff", (tree["west"], Role.STAFF)): {VIEW, "own", REPORT},  # through the co-responsible unit
        person("nobody"): set(),
    }
    for user, allowed in expectations.items():
        got = {action for action in ACTIONS if permissions.may(user, action, task)}
        assert got == allowed, user.username


class TestSeparationOfDuties:
    """Each rule, with the words the refused user reads."""

    def ask(self, task, asker):
        return Verification.objects.create(task=task, note="已完成", requested_by=asker)

    def test_a_supervisor_of_no_unit_of_the_task_decides(self, tree):
        supervisor = person("supervisor", groups=[tree["group"]])
        asker = person("asker", (tree["east_community"], Role.STAFF))
        verification = self.ask(tree["tasks"]["east_community"], asker)
        assert permissions.refusal(supervisor, DECIDE, verification) is None
        assert list(Verification.objects.restrict(supervisor, DECIDE)) == [verification]

    def test_nobody_decides_on_their_own_request(self, tree):
        # staff of the co-responsible unit (may ask: explanations) who sits in the group
        user = person("co-and-group", (tree["west_community"], Role.STAFF), groups=[tree["group"]])
        verification = self.ask(tree["tasks"]["east_community"], user)
        assert permissions.refusal(user, DECIDE, verification) == "You asked for this yourself: another supervisor must decide."
        assert not Verification.objects.restrict(user, DECIDE).exists()

    def test_nobody_decides_on_a_unit_whose_ledger_they_keep_or_one_above(self, tree):
        asker = person("asker", (tree["east_community"], Role.STAFF))
        for role in (Role.STAFF, Role.ADMIN):
            user = person(f"group-and-street-{role}", (tree["east_street"], role), groups=[tree["group"]])
            verification = self.ask(tree["tasks"]["east_community"], asker)
            assert permissions.refusal(user, DECIDE, verification).startswith(
                "You keep the ledger of this task's unit or of a unit above it"
            )
            assert not Verification.objects.restrict(user, DECIDE).filter(pk=verification.pk).exists()
            verification.delete()

    def test_nobody_decides_on_their_own_units_task_whatever_their_role_there(self, tree):
        user = person("community-supervisor", (tree["east_community"], Role.SUPERVISOR))
        asker = person("asker", (tree["east_community"], Role.STAFF))
        verification = self.ask(tree["tasks"]["east_community"], asker)
        assert permissions.refusal(user, DECIDE, verification) == (
            "You belong to this task's unit: a supervisor from outside it must decide."
        )

    def test_a_colleague_of_the_person_who_asked_does_not_decide(self, tree):
        district_supervisor = person("district-supervisor", (tree["east"], Role.SUPERVISOR))
        district_staff = person("district-staff", (tree["east"], Role.STAFF))
        verification = self.ask(tree["tasks"]["east_community"], district_staff)
        assert permissions.refusal(district_supervisor, DECIDE, verification) == (
            "You work in 东区, like the person who asked: someone from outside it must decide."
        )
        # the same supervisor decides on a request of the community's own staff
        other = self.ask(tree["tasks"]["east_street"], person("street-staff", (tree["east_street"], Role.STAFF)))
        assert permissions.refusal(district_supervisor, DECIDE, other) is None

    def test_a_superuser_decides_only_as_a_supervisor_who_passes_the_rule(self, tree):
        root = person("root", superuser=True)
        verification = self.ask(tree["tasks"]["east_community"], person("asker", (tree["east_community"], Role.STAFF)))
        assert permissions.refusal(root, DECIDE, verification) == (
            "Administrators do not decide on tasks: a supervisor over the unit does."
        )
        tree["group"].members.add(root)
        permissions.forget(root)
        assert permissions.refusal(root, DECIDE, verification) is None

    def test_a_supervisor_out_of_scope_is_told_so(self, tree):
        west_group = SupervisionGroupFactory(campaign=tree["campaign"], organising_unit=tree["city"])
        west_group.units.add(tree["west"])
        user = person("west-supervisor", groups=[west_group])
        verification = self.ask(tree["tasks"]["east_street"], person("asker", (tree["east_street"], Role.STAFF)))
        assert permissions.refusal(user, DECIDE, verification) == "You do not supervise this unit's work."


class TestCoordinationSides:
    @pytest.fixture
    def request_(self, tree):
        bureau = UnitFactory(parent=tree["city"], name="市水务局", kind=UnitKind.DEPARTMENT)
        asker = person("asker", (tree["east_community"], Role.STAFF))
        return CoordinationRequest.objects.create(
            task=tree["tasks"]["east_community"], from_unit=tree["east_community"], to_unit=bureau,
            subject="协调", text="请协调", created_by=asker,
        )  # fmt: skip

    def test_the_department_asked_is_spoken_for_by_its_members_and_the_staff_above(self, tree, request_):
        bureau = request_.to_unit
        for user in (
            person("bureau-leader", (bureau, Role.LEADER)),
            person("bureau-staff", (bureau, Role.STAFF)),
            person("city-staff", (tree["city"], Role.STAFF)),
        ):
            assert permissions.coordination_side(user, request_) == bureau, user.username

    def test_the_asking_side_is_spoken_for_by_its_staff_and_the_asker(self, tree, request_):
        assert permissions.coordination_side(request_.created_by, request_) == tree["east_community"]
        street = person("street-staff", (tree["east_street"], Role.STAFF))
        assert permissions.coordination_side(street, request_) == tree["east_community"]

    def test_leaders_supervisors_and_superusers_speak_for_neither(self, tree, request_):
        for user in (
            person("city-leader", (tree["city"], Role.LEADER)),
            person("supervisor", groups=[tree["group"]]),
            person("root", superuser=True),
        ):
            assert permissions.coordination_side(user, request_) is None, user.username


def test_a_users_roles_are_read_once_per_request(tree):
    user = person("busy", (tree["east"], Role.STAFF), (tree["west"], Role.LEADER), groups=[tree["group"]])
    with CaptureQueriesContext(connection) as captured:
        for action in ACTIONS:
            permissions.access(user).paths(action)
        for task in tree["tasks"].values():
            permissions.may(user, SUPERVISE, task)
    assert len(captured) == 2  # memberships, supervision groups


def test_only_top_level_administrators_and_superusers_operate(tree):
    assert permissions.has_any(person("city-admin", (tree["city"], Role.ADMIN)), OPERATE)
    assert permissions.has_any(person("root", superuser=True), OPERATE)
    assert not permissions.has_any(person("district-admin", (tree["east"], Role.ADMIN)), OPERATE)
    assert not permissions.has_any(person("city-leader", (tree["city"], Role.LEADER)), OPERATE)
