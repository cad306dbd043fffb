"""Queries per page do not grow with the data (issue 10): every page of the benchmark,
as the roles of the benchmark, takes the same number of queries on a small tree and on
one several times larger (more units, tasks, requests, participations)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import Role, UnitKind
from rectification.models import CoordinationRequest, Notification, TaskStatus, Verification
from tests.factories import (
    BatchFactory,
    CampaignFactory,
    MembershipFactory,
    ParticipationFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)

TODAY = timezone.localdate


def grow(world, streets):
    """Add ``streets`` streets to the district, each with branches, tasks in every state and requests."""
    for s in range(streets):
        street = UnitFactory(parent=world["district"], name=f"街道{world['n']}-{s}", kind=UnitKind.STREET)
        ParticipationFactory(unit=street, batch=world["batch"])
        for b in range(3):
            branch = UnitFactory(parent=street, name=f"社区{world['n']}-{s}-{b}", kind=UnitKind.COMMUNITY)
            ParticipationFactory(unit=branch, batch=world["batch"])
            for t in range(4):
                task = TaskFactory(
                    unit=branch,
                    problem__batch=world["batch"],
                    due_date=TODAY() + datetime.timedelta(days=t * 7 - 10),
                )
                if t == 0:
                    Verification.objects.create(task=task, note="完成", requested_by=world["staff"])
                    type(task).objects.filter(pk=task.pk).update(status=TaskStatus.PENDING_VERIFICATION)
                if t == 1:
                    task.co_units.add(world["department"])
                    CoordinationRequest.objects.create(
                        task=task, from_unit=branch, to_unit=world["department"], subject="协调", text="请协调"
                    )
                for user in (world["leader"], world["supervisor"]):
                    Notification.objects.create(user=user, task=task, kind="alert", key=f"k{task.pk}", title="超期")
    world["n"] += 1


@pytest.fixture
def world(db):
    city = UnitFactory(name="中共测试市委员会", kind=UnitKind.CITY)
    district = UnitFactory(parent=city, name="中共测试区委员会")
    department = UnitFactory(parent=city, name="中共测试市民政局党组", kind=UnitKind.DEPARTMENT)
    campaign = CampaignFactory(issuing_unit=city)
    batch = BatchFactory(campaign=campaign)
    world = {"city": city, "district": district, "department": department, "batch": batch, "n": 0}
    world["leader"] = MembershipFactory(unit=city, role=Role.LEADER, user=UserFactory(username="leader")).user
    world["supervisor"] = MembershipFactory(unit=district, role=Role.SUPERVISOR, user=UserFactory(username="sup")).user
    world["staff"] = UserFactory(username="staff")
    grow(world, 1)
    branch = district.children.order_by("path").first().children.order_by("path").first()
    MembershipFactory(unit=branch, role=Role.STAFF, user=world["staff"])
    world["branch"] = branch
    return world


PAGES = {
    "home": lambda w: reverse("reports:home"),
    "my units' tasks": lambda w: reverse("rectification:my_tasks"),
    "task list": lambda w: reverse("rectification:task_list"),
    "task list, filtered": lambda w: reverse("rectification:task_list") + "?status=in_progress&term=short",
    "task list, sorted": lambda w: reverse("rectification:task_list") + "?sort=-due_date",
    "ledger": lambda w: reverse("reports:ledger"),
    "unit tree": lambda w: reverse("campaign:unit_tree"),
    "unit page": lambda w: reverse("campaign:unit_detail", args=[w["branch"].pk]),
    "participation list": lambda w: reverse("campaign:participation_list"),
    "notifications": lambda w: reverse("rectification:notification_list"),
    "coordination inbox": lambda w: reverse("rectification:coordination_inbox"),
    "figures reported": lambda w: reverse("rectification:figures_list"),
    "figures of a unit": lambda w: reverse("rectification:figures_report", args=[w["branch"].pk, w["batch"].pk]),
}
SUPERVISOR_PAGES = {
    "supervision queue": lambda w: reverse("rectification:queue"),
    # issue 11: the overdue dashboard at the district and a street, and its at-risk list
    "dashboard": lambda w: reverse("reports:dashboard"),
    "dashboard, a street": lambda w: reverse("reports:dashboard") + f"?unit={w['district'].children.order_by('path').first().pk}",
    "at-risk list": lambda w: reverse("reports:dashboard") + "?export=csv&list=at_risk",
}
LEADER_PAGES = {"dashboard": lambda w: reverse("reports:dashboard")}


def counts(client, world):
    found = {}
    for role in ("leader", "supervisor", "staff"):
        client.force_login(world[role])
        extra = {"supervisor": SUPERVISOR_PAGES, "leader": LEADER_PAGES}.get(role, {})
        pages = {**PAGES, **extra}
        for name, url in pages.items():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url(world), secure=True)
            assert response.status_code == 200, (name, role)
            found[(name, role)] = len(captured)
    return found


@pytest.mark.django_db
def test_every_page_takes_as_many_queries_on_a_tree_five_times_larger(client, world):
    small = counts(client, world)
    grow(world, 4)
    large = counts(client, world)
    grown = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert not grown, f"queries that grew with the data (small, large): {grown}"
