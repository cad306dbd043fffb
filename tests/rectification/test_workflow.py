"""State rules of a task (DESIGN §3): every allowed and every refused step."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rectification import services
from rectification.models import Task, TaskStatus, Verification, WarningLevel
from tests.factories import TaskFactory


def close_with_evidence(task, staff, supervisor_in_scope, photo):
    services.add_progress(task, staff, entry_date=datetime.date(2026, 11, 20), text="已完成", percent=100, files=[photo])
    services.request_verification(task, staff, "管网改造完成")
    return services.approve_closing(task, supervisor_in_scope)


@pytest.mark.django_db
class TestClosing:
    def test_staff_request_closing_with_evidence_and_a_supervisor_closes(self, task, unit_staff, supervisor_in_scope, photo):
        closed = close_with_evidence(task, unit_staff, supervisor_in_scope, photo)
        assert closed.status == TaskStatus.CLOSED and closed.progress == 100 and closed.closed_at
        assert task.verifications.get().outcome == Verification.Outcome.APPROVED

    def test_closing_without_evidence_is_refused(self, task, unit_staff):
        with pytest.raises(ValidationError, match="佐证材料"):
            services.request_verification(task, unit_staff, "完成了")
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS

    def test_a_supervisor_of_the_tasks_own_unit_may_not_close_it(self, task, unit_staff, supervisor_who_is_staff_above, photo):
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        with pytest.raises(PermissionDenied):
            services.approve_closing(task, supervisor_who_is_staff_above)

    def test_a_supervisor_of_another_district_may_not_close_it(self, task, unit_staff, supervisor_out_of_scope, photo):
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        with pytest.raises(PermissionDenied):
            services.approve_closing(task, supervisor_out_of_scope)

    def test_staff_may_not_close_their_own_task(self, task, unit_staff, photo):
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        with pytest.raises(PermissionDenied):
            services.approve_closing(task, unit_staff)

    def test_a_returned_task_goes_back_to_work_with_the_reason_kept(self, task, unit_staff, supervisor_in_scope, photo):
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        services.return_task(task, supervisor_in_scope, "照片不能证明已通水")
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS
        verification = task.verifications.get()
        assert verification.outcome == Verification.Outcome.RETURNED and verification.reason == "照片不能证明已通水"

    def test_returning_needs_a_reason(self, task, unit_staff, supervisor_in_scope, photo):
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        with pytest.raises(ValidationError):
            services.return_task(task, supervisor_in_scope, "  ")

    def test_a_task_not_awaiting_verification_cannot_be_approved(self, task, supervisor_in_scope):
        with pytest.raises(ValidationError):
            services.approve_closing(task, supervisor_in_scope)

    def test_closing_cannot_be_requested_twice(self, task, unit_staff, photo):
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        with pytest.raises(ValidationError):
            services.request_verification(task, unit_staff, "再次")

    def test_a_closed_task_cannot_be_edited_nor_take_progress(self, task, unit_staff, supervisor_in_scope, photo):
        close_with_evidence(task, unit_staff, supervisor_in_scope, photo)
        task.refresh_from_db()
        with pytest.raises(services.TransitionRefused, match="已销号的任务不能再修改"):
            services.update_task(task, unit_staff, {"title": "改"}, seen_version=task.version)
        with pytest.raises(services.TransitionRefused):
            services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 21), text="t", percent=100)
        assert task.progress_updates.count() == 1 and Task.objects.get(pk=task.pk).title != "改"

    def test_a_closed_task_can_be_reopened_and_keeps_its_history(self, task, unit_staff, supervisor_in_scope, photo):
        close_with_evidence(task, unit_staff, supervisor_in_scope, photo)
        services.reopen_task(task, supervisor_in_scope, "抽查发现未通水")
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS and task.closed_at is None
        statuses = list(task.history.order_by("history_date").values_list("status", flat=True))
        assert TaskStatus.CLOSED in statuses and statuses[-1] == TaskStatus.IN_PROGRESS

    def test_a_parent_task_closes_only_after_its_sub_tasks(self, task, unit_staff, photo):
        TaskFactory(unit=task.unit, problem=task.problem, parent=task)
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=50, files=[photo])
        with pytest.raises(ValidationError):
            services.request_verification(task, unit_staff, "完成")


@pytest.mark.django_db
class TestWhoMayDoWhat:
    def test_co_responsible_staff_may_add_progress_but_not_edit(self, task, co_unit_staff):
        services.add_progress(task, co_unit_staff, entry_date=datetime.date(2026, 11, 20), text="配合完成管线", percent=40)
        with pytest.raises(PermissionDenied):
            services.update_task(task, co_unit_staff, {"title": "改"}, seen_version=task.version)

    def test_staff_of_another_district_may_not_add_progress(self, task, other_district_staff):
        with pytest.raises(PermissionDenied):
            services.add_progress(task, other_district_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=40)

    def test_a_supervisor_may_not_add_progress(self, task, supervisor_in_scope):
        with pytest.raises(PermissionDenied):
            services.add_progress(task, supervisor_in_scope, entry_date=datetime.date(2026, 11, 20), text="t", percent=40)

    def test_the_due_date_is_not_editable_only_extended(self, task, staff_above):
        original = task.due_date
        updated = services.update_task(task, staff_above, {"due_date": original.replace(year=2030)}, seen_version=task.version)
        assert updated.due_date == original

    def test_staff_above_the_unit_may_edit(self, task, staff_above):
        updated = services.update_task(task, staff_above, {"title": "新标题"}, seen_version=task.version)
        assert updated.title == "新标题" and updated.version == task.version + 1


@pytest.mark.django_db
class TestEditConflicts:
    def test_the_second_of_two_stale_edits_is_refused_with_what_changed(self, task, unit_staff, staff_above):
        seen = {"title": task.title, "person_name": task.person_name}
        services.update_task(task, unit_staff, {"person_name": "赵干事"}, seen_version=task.version, seen_values=seen)
        with pytest.raises(services.EditConflict) as conflict:
            services.update_task(task, staff_above, {"title": "另一个标题"}, seen_version=task.version, seen_values=seen)
        assert [(str(name), old, new) for name, old, new in conflict.value.changes] == [("责任人", "李干事", "赵干事")]
        task.refresh_from_db()
        assert task.title != "另一个标题" and task.person_name == "赵干事"

    def test_progress_entries_from_two_people_at_once_are_both_kept(self, task, unit_staff, co_unit_staff):
        stale_a, stale_b = type(task).objects.get(pk=task.pk), type(task).objects.get(pk=task.pk)
        services.add_progress(stale_a, unit_staff, entry_date=datetime.date(2026, 11, 20), text="甲", percent=30)
        services.add_progress(stale_b, co_unit_staff, entry_date=datetime.date(2026, 11, 20), text="乙", percent=35)
        assert sorted(task.progress_updates.values_list("text", flat=True)) == ["乙", "甲"]


@pytest.mark.django_db
class TestSubTasks:
    def test_progress_rolls_up_from_sub_tasks(self, task, unit_staff):
        first = TaskFactory(unit=task.unit, problem=task.problem, parent=task)
        second = TaskFactory(unit=task.unit, problem=task.problem, parent=task)
        services.add_progress(first, unit_staff, entry_date=datetime.date(2026, 11, 20), text="a", percent=100)
        services.add_progress(second, unit_staff, entry_date=datetime.date(2026, 11, 20), text="b", percent=50)
        task.refresh_from_db()
        assert task.progress == 75

    def test_progress_rolls_up_two_levels(self, task, unit_staff):
        child = TaskFactory(unit=task.unit, problem=task.problem, parent=task)
        grandchild = TaskFactory(unit=task.unit, problem=task.problem, parent=child)
        services.add_progress(grandchild, unit_staff, entry_date=datetime.date(2026, 11, 20), text="a", percent=60)
        task.refresh_from_db()
        assert task.progress == 60


@pytest.mark.django_db
class TestExtensions:
    def test_an_approved_extension_moves_the_due_date_and_keeps_the_original(self, task, unit_staff, supervisor_in_scope):
        original = task.due_date
        request = services.request_extension(task, unit_staff, original + datetime.timedelta(days=30), "资金未到位")
        services.decide_extension(request, supervisor_in_scope, approve=True, note="同意")
        task.refresh_from_db()
        assert task.due_date == original + datetime.timedelta(days=30) and task.original_due_date == original

    def test_a_refused_extension_changes_nothing(self, task, unit_staff, supervisor_in_scope):
        original = task.due_date
        request = services.request_extension(task, unit_staff, original + datetime.timedelta(days=30), "x")
        services.decide_extension(request, supervisor_in_scope, approve=False, note="不同意")
        task.refresh_from_db()
        assert task.due_date == original
        request.refresh_from_db()
        assert request.decision == "refused" and request.decided_by == supervisor_in_scope

    def test_a_decision_is_taken_once(self, task, unit_staff, supervisor_in_scope):
        request = services.request_extension(task, unit_staff, task.due_date + datetime.timedelta(days=3), "x")
        services.decide_extension(request, supervisor_in_scope, approve=False)
        with pytest.raises(ValidationError):
            services.decide_extension(request, supervisor_in_scope, approve=True)

    def test_an_earlier_date_is_no_extension(self, task, unit_staff):
        with pytest.raises(ValidationError):
            services.request_extension(task, unit_staff, task.due_date, "x")


@pytest.mark.django_db
class TestExplanations:
    def test_a_task_that_is_not_overdue_takes_no_explanation(self, task, unit_staff):
        with pytest.raises(ValidationError):
            services.give_explanation(task, unit_staff, "funds", "提前说明")
        assert not task.explanations.exists()

    def test_an_explanation_stops_an_overdue_task_escalating_for_want_of_one(self, task, unit_staff):
        task.due_date = datetime.date.today() - datetime.timedelta(days=5)
        task.save()
        assert task.warning_level == WarningLevel.ESCALATED
        services.give_explanation(task, unit_staff, "funds", "资金未到位")
        task.refresh_from_db()
        assert task.warning_level == WarningLevel.RED and task.explained_at


@pytest.mark.django_db
class TestTheWorkflowCannotBeSteppedAround:
    def test_a_pending_request_on_a_task_no_longer_awaiting_it_cannot_close_it(
        self, task, unit_staff, supervisor_in_scope, photo
    ):
        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        type(task).objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)  # e.g. changed behind the app's back
        with pytest.raises(ValidationError):
            services.approve_closing(task, supervisor_in_scope)

    def test_the_admin_cannot_revert_history_or_edit_decisions(self, admin_client, task, unit_staff, photo):
        from django.urls import reverse

        services.add_progress(task, unit_staff, entry_date=datetime.date(2026, 11, 20), text="t", percent=90, files=[photo])
        verification = services.request_verification(task, unit_staff, "完成")
        history_id = task.history.earliest().history_id
        revert_url = reverse("admin:rectification_task_simple_history", args=[task.pk, history_id])
        revert = admin_client.post(revert_url, {"title": task.title})
        assert revert.status_code == 403
        task.refresh_from_db()
        assert task.status == TaskStatus.PENDING_VERIFICATION
        change = admin_client.post(
            reverse("admin:rectification_verification_change", args=[verification.pk]), {"outcome": "approved"}
        )
        assert change.status_code == 403
        verification.refresh_from_db()
        assert verification.outcome == Verification.Outcome.PENDING

    def test_the_admin_shows_the_due_date_read_only(self, admin_client, task):
        from django.urls import reverse

        response = admin_client.get(reverse("admin:rectification_task_change", args=[task.pk]))
        assert response.status_code == 200
        assert 'name="due_date"' not in response.content.decode()


@pytest.mark.django_db
def test_moving_a_unit_to_another_district_moves_who_sees_its_tasks(
    task, city, client, staff_above, other_district, other_district_staff
):
    from rectification.models import Task

    task.co_units.clear()  # so that only the responsible unit decides who sees it
    assert not Task.objects.visible_to(other_district_staff).filter(pk=task.pk).exists()
    street = city["east_street"]
    street.parent = other_district
    street.save()
    task.refresh_from_db()
    assert task.unit_path == Task.objects.get(pk=task.pk).unit.path
    assert not Task.objects.visible_to(staff_above).filter(pk=task.pk).exists()
    assert Task.objects.visible_to(other_district_staff).filter(pk=task.pk).exists()
    client.force_login(staff_above)
    assert client.get(task.get_absolute_url()).status_code == 404
