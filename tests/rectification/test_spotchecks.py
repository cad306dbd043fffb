"""Supervision scope, spot checks (抽查) and accountability (问责): the services."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from campaign import permissions
from campaign.models import Role
from campaign.permissions import SUPERVISE
from rectification import queues, services, spotchecks
from rectification.models import AccountabilityRecord, Explanation, SpotCheckFinding, Task, TaskStatus
from rectification.models.supervision import AccountabilityMeasure
from tests.factories import (
    BatchFactory,
    CampaignFactory,
    MembershipFactory,
    SupervisionGroupFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)

CHECKED_ON = datetime.date(2026, 11, 25)
NEW_DUE = timezone.localdate() + datetime.timedelta(days=30)


def closed_task(unit, batch, **kwargs):
    return TaskFactory(
        unit=unit, problem__batch=batch, status=TaskStatus.CLOSED, closed_at=timezone.now(), progress=100, **kwargs
    )


@pytest.fixture
def group(campaign, city):
    """第一督导组 watches the east district."""
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="第一督导组")
    group.units.add(city["east"])
    return group


@pytest.fixture
def group_member(group):
    user = UserFactory(username="group-member")
    group.members.add(user)
    return user


@pytest.fixture
def group_leader(group):
    user = UserFactory(username="group-leader")
    group.leader = user
    group.save()
    return user


@pytest.mark.django_db
class TestSupervisedTasks:
    def test_a_supervisor_by_membership_supervises_the_subtree_only(self, city, batch, supervisor_in_scope):
        east = TaskFactory(unit=city["east_community"], problem__batch=batch)
        west = TaskFactory(unit=city["west_community"], problem__batch=batch)
        assert list(queues.supervised_tasks(supervisor_in_scope)) == [east]
        assert west not in queues.supervised_tasks(supervisor_in_scope)

    def test_group_members_and_leaders_supervise_the_groups_units(self, city, batch, group_member, group_leader):
        east = TaskFactory(unit=city["east_street"], problem__batch=batch)
        TaskFactory(unit=city["west_street"], problem__batch=batch)
        assert list(queues.supervised_tasks(group_member)) == [east]
        assert list(queues.supervised_tasks(group_leader)) == [east]

    def test_staff_and_leaders_supervise_nothing(self, city, task, unit_staff, leader):
        assert not queues.supervised_tasks(unit_staff).exists()
        assert not queues.supervised_tasks(leader).exists()
        assert not queues.is_supervisor(unit_staff)

    def test_a_superuser_administers_but_supervises_nothing_by_being_one(self, city, batch, task):
        TaskFactory(unit=city["west"], problem__batch=batch)
        root = UserFactory(username="root", is_superuser=True)
        assert not queues.supervised_tasks(root).exists() and not queues.is_supervisor(root)
        assert Task.objects.visible_to(root).count() == 2

    def test_agrees_with_the_permission_layer_for_every_task_and_user(
        self, city, batch, task, supervisor_in_scope, supervisor_out_of_scope, supervisor_who_is_staff_above, unit_staff, group_member
    ):
        tasks = [task] + [TaskFactory(unit=city[key], problem__batch=batch) for key in ("city", "east", "west_street")]
        for user in (supervisor_in_scope, supervisor_out_of_scope, supervisor_who_is_staff_above, unit_staff, group_member):
            listed = set(queues.supervised_tasks(user))
            for each in tasks:
                assert (each in listed) == permissions.may(user, SUPERVISE, each), (user, each)


@pytest.mark.django_db
class TestDrawSample:
    def test_the_same_seed_draws_the_same_tasks(self, city, batch, group):
        for _i in range(20):
            closed_task(city["east_community"], batch)
        first = spotchecks.draw_sample(group, 5, seed=2026)
        assert len(first) == 5
        assert spotchecks.draw_sample(group, 5, seed=2026) == first
        assert spotchecks.draw_sample(group, 5, seed=7) != first

    def test_draws_tasks_in_any_state_within_the_groups_units_and_campaign(self, city, batch, group):
        """The speech's 抽查 covers the units' work in progress too, not only closed tasks."""
        inside = {closed_task(city["east_community"], batch), closed_task(city["east_street"], batch)}
        inside.add(TaskFactory(unit=city["east_community"], problem__batch=batch))  # in progress
        inside.add(TaskFactory(unit=city["east_community"], problem__batch=batch, status=TaskStatus.PENDING_VERIFICATION))
        closed_task(city["west_community"], batch)  # another district
        closed_task(city["city"], batch)  # above the group's unit
        other_campaign = BatchFactory(campaign=CampaignFactory(issuing_unit=city["city"]))
        closed_task(city["east_community"], other_campaign)
        assert set(spotchecks.draw_sample(group, 100, seed=1)) == inside

    def test_is_limited_to_the_users_scope_and_the_units_chosen(self, city, batch, group, supervisor_in_scope):
        group.units.add(city["west"])
        east = closed_task(city["east_community"], batch)
        street = closed_task(city["east_street"], batch)
        closed_task(city["west_community"], batch)
        assert set(spotchecks.draw_sample(group, 10, seed=1, user=supervisor_in_scope)) == {east, street}
        assert spotchecks.draw_sample(group, 10, seed=1, user=supervisor_in_scope, units=[city["east_community"]]) == [east]

    def test_an_empty_scope_or_size_draws_nothing(self, city, batch, group):
        assert spotchecks.draw_sample(group, 3, seed=1) == []
        closed_task(city["east_community"], batch)
        assert spotchecks.draw_sample(group, 0, seed=1) == []


@pytest.mark.django_db
class TestRecordSpotCheck:
    def test_a_failed_finding_reopens_its_task_and_a_passed_one_does_not(self, city, batch, group, group_member):
        failed = closed_task(city["east_community"], batch)
        passed = closed_task(city["east_street"], batch)
        spot_check = spotchecks.record_spot_check(
            group, group_member, CHECKED_ON, [], [(failed, False, "管网仍漏水", NEW_DUE), (passed, True, "")], "抽查两项"
        )
        failed.refresh_from_db()
        passed.refresh_from_db()
        assert failed.status == TaskStatus.IN_PROGRESS and failed.closed_at is None
        assert passed.status == TaskStatus.CLOSED
        assert "管网仍漏水" in failed.history.first().history_change_reason
        assert failed.history.filter(status=TaskStatus.CLOSED).exists()  # the closed state stays in the history
        findings = {finding.task_id: finding for finding in SpotCheckFinding.objects.filter(spot_check=spot_check)}
        assert findings[failed.pk].note == "管网仍漏水" and not findings[failed.pk].passed
        assert findings[passed.pk].passed
        assert set(spot_check.units.all()) == {city["east_community"], city["east_street"]}

    def test_a_supervisor_by_membership_records_for_a_group_watching_their_scope(self, city, batch, group, supervisor_in_scope):
        task = closed_task(city["east_community"], batch)
        assert list(spotchecks.groups_for(supervisor_in_scope)) == [group]
        spotchecks.record_spot_check(group, supervisor_in_scope, CHECKED_ON, [city["east_community"]], [(task, True, "")], "")
        assert task.spot_check_findings.count() == 1

    def test_staff_and_supervisors_of_other_districts_may_not_record(self, city, batch, group, unit_staff, supervisor_out_of_scope):
        task = closed_task(city["east_community"], batch)
        for user in (unit_staff, supervisor_out_of_scope):
            assert not spotchecks.groups_for(user).exists()
            with pytest.raises(PermissionDenied):
                spotchecks.record_spot_check(group, user, CHECKED_ON, [], [(task, False, "x", NEW_DUE)], "")
        task.refresh_from_db()
        assert task.status == TaskStatus.CLOSED

    def test_tasks_outside_the_groups_units_are_refused(self, city, batch, group, group_member):
        west = closed_task(city["west_community"], batch)
        with pytest.raises(PermissionDenied):
            spotchecks.record_spot_check(group, group_member, CHECKED_ON, [], [(west, False, "x", NEW_DUE)], "")
        west.refresh_from_db()
        assert west.status == TaskStatus.CLOSED and not west.spot_check_findings.exists()

    def test_a_failed_finding_needs_a_note(self, city, batch, group, group_member):
        task = closed_task(city["east_community"], batch)
        with pytest.raises(ValidationError):
            spotchecks.record_spot_check(group, group_member, CHECKED_ON, [], [(task, False, " ", NEW_DUE)], "")
        task.refresh_from_db()
        assert task.status == TaskStatus.CLOSED


@pytest.mark.django_db
class TestAccountability:
    def test_a_supervisor_records_a_measure_linked_to_tasks_of_the_unit(self, city, batch, supervisor_in_scope):
        task = TaskFactory(unit=city["east_community"], problem__batch=batch)
        record = spotchecks.record_accountability(
            supervisor_in_scope,
            unit=city["east_street"],
            person_name="王某",
            measure=AccountabilityMeasure.TALK,
            tasks=[task],
            decided_on=CHECKED_ON,
            deciding_unit=city["east"],
        )
        assert list(record.tasks.all()) == [task] and record.recorded_by == supervisor_in_scope

    def test_tasks_outside_the_units_subtree_are_refused(self, city, batch, supervisor_in_scope):
        other = TaskFactory(unit=city["east"], problem__batch=batch)
        with pytest.raises(ValidationError):
            spotchecks.record_accountability(
                supervisor_in_scope, unit=city["east_street"], measure=AccountabilityMeasure.TALK, tasks=[other],
                decided_on=CHECKED_ON, deciding_unit=city["east"],
            )

    def test_units_outside_the_scope_and_staff_are_refused(self, city, supervisor_in_scope, unit_staff):
        for user, unit in ((supervisor_in_scope, city["west_street"]), (unit_staff, city["east_community"])):
            with pytest.raises(PermissionDenied):
                spotchecks.record_accountability(
                    user, unit=unit, measure=AccountabilityMeasure.CIRCULAR, decided_on=CHECKED_ON, deciding_unit=city["city"]
                )

    def test_an_administrator_above_the_unit_may_not_record(self, city, city_admin):
        """Accountability is a decision: those who administer the unit (or above it) do not decide on it."""
        with translation.override("en"), pytest.raises(PermissionDenied, match="supervise"):
            spotchecks.record_accountability(
                city_admin, unit=city["west"], measure=AccountabilityMeasure.WARNING, decided_on=CHECKED_ON, deciding_unit=city["city"]
            )
        assert not AccountabilityRecord.objects.exists()

    def test_leaders_read_their_scope_and_staff_read_nothing(
        self, city, other_district, supervisor_in_scope, supervisor_out_of_scope, staff_above
    ):
        east = spotchecks.record_accountability(
            supervisor_in_scope, unit=city["east_street"], measure=AccountabilityMeasure.TALK, decided_on=CHECKED_ON, deciding_unit=city["east"]
        )
        north_street = UnitFactory(parent=other_district, name="北区街道党工委")  # not the supervisor's own unit
        spotchecks.record_accountability(
            supervisor_out_of_scope, unit=north_street, measure=AccountabilityMeasure.TALK, decided_on=CHECKED_ON, deciding_unit=other_district
        )
        leader = MembershipFactory(unit=city["east"], role=Role.LEADER).user
        assert list(spotchecks.visible_accountability(leader)) == [east]
        assert not spotchecks.can_read_accountability(staff_above)
        assert not spotchecks.visible_accountability(staff_above).exists()


@pytest.mark.django_db
class TestReviewExplanation:
    def test_is_marked_once_by_a_supervisor_in_scope(self, task, supervisor_in_scope, supervisor_out_of_scope):
        explanation = Explanation.objects.create(
            task=task, reason_code="funds", text="资金未到位", due_date=task.due_date
        )
        with pytest.raises(PermissionDenied):
            services.review_explanation(explanation, supervisor_out_of_scope)
        services.review_explanation(explanation, supervisor_in_scope, "已了解")
        explanation.refresh_from_db()
        assert explanation.reviewed_by == supervisor_in_scope and explanation.review_note == "已了解"
        with pytest.raises(ValidationError):
            services.review_explanation(explanation, supervisor_in_scope, "again")
