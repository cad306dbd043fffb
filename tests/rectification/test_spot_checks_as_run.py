"""Spot checks as the speech runs them (issue 9, point 2): a supervision group checks units
(their 回头看 and rectification work) or tasks in any state, chosen by hand or drawn at
random with a recorded seed; a failed finding returns the task (退回重新整改) with a new due
date set by the group, the unit is told at once, and the level follows the new date."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rectification import spotchecks
from rectification.models import (
    Notification,
    SpotCheck,
    SpotCheckUnitFinding,
    TaskStatus,
    Verification,
    WarningLevel,
)
from tests.factories import SupervisionGroupFactory, TaskFactory, UserFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def group(campaign, city):
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="市委第一督导组")
    group.units.add(city["east"])
    return group


@pytest.fixture
def member(group):
    user = UserFactory(username="group-member")
    group.members.add(user)
    return user


def long_overdue_closed_task(unit, batch):
    return TaskFactory(
        unit=unit, problem__batch=batch, start_date=TODAY - 120 * DAY, due_date=TODAY - 31 * DAY,
        status=TaskStatus.CLOSED, closed_at=timezone.now() - 20 * DAY, progress=100,
    )  # fmt: skip


@pytest.mark.django_db
class TestAFailedFinding:
    def test_returns_a_closed_task_with_the_new_due_date_and_its_level_follows_it(
        self, city, batch, group, member, unit_staff, committed
    ):
        """Why: a failed spot check reopened a task with its old, long-past due date, so it jumped
        straight to 督办 without the unit being told."""
        task = long_overdue_closed_task(city["east_community"], batch)
        with committed():
            spotchecks.record_spot_check(
                group, member, TODAY, [], [(task, False, "垃圾收集点未按时清运", TODAY + 20 * DAY)], ""
            )
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS and task.closed_at is None
        assert task.due_date == TODAY + 20 * DAY and task.original_due_date == TODAY - 31 * DAY
        assert task.warning_level == WarningLevel.NONE and task.explained_at is None
        notice = Notification.objects.get(user=unit_staff)
        assert notice.task_id == task.pk and "退回重新整改" in notice.title
        assert f"{TODAY + 20 * DAY:%Y-%m-%d}" in notice.body and "垃圾收集点未按时清运" in notice.body

    def test_on_an_in_progress_task_sets_the_new_date(self, city, batch, group, member):
        task = TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=TODAY + 60 * DAY, progress=40)
        spot_check = spotchecks.record_spot_check(
            group, member, TODAY, [], [(task, False, "进度与台账不符", TODAY + 2 * DAY)], ""
        )
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS and task.due_date == TODAY + 2 * DAY
        assert task.warning_level == WarningLevel.YELLOW  # the short term's window, from the new date
        finding = spot_check.findings.get()
        assert finding.status_checked == TaskStatus.IN_PROGRESS and finding.new_due_date == TODAY + 2 * DAY

    def test_returns_a_pending_request_to_close(self, city, batch, group, member):
        task = TaskFactory(unit=city["east_community"], problem__batch=batch, status=TaskStatus.PENDING_VERIFICATION)
        Verification.objects.create(task=task, note="已完成")
        spotchecks.record_spot_check(group, member, TODAY, [], [(task, False, "现场未整改", TODAY + 10 * DAY)], "")
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS
        assert task.verifications.get().outcome == Verification.Outcome.RETURNED

    def test_needs_a_new_due_date_not_in_the_past(self, city, batch, group, member):
        task = long_overdue_closed_task(city["east_community"], batch)
        for due in (None, TODAY - DAY):
            with pytest.raises(ValidationError):
                spotchecks.record_spot_check(group, member, TODAY, [], [(task, False, "未整改", due)], "")
        task.refresh_from_db()
        assert task.status == TaskStatus.CLOSED and not SpotCheck.objects.exists()

    def test_the_words_say_what_happened(self, client, city, batch, group, member):
        """Why: the finding read "不合格，任务已重新整改" as if the redo were already done."""
        task = long_overdue_closed_task(city["east_community"], batch)
        check = spotchecks.record_spot_check(group, member, TODAY, [], [(task, False, "未巩固", TODAY + 20 * DAY)], "")
        client.force_login(member)
        page = client.get(reverse("rectification:spotcheck_detail", args=[check.pk])).content.decode()
        assert "不合格，退回重新整改" in page and "任务已重新整改" not in page
        assert "抽查时：" in page and "现状：" in page  # two statuses side by side, each named
        timeline = client.get(reverse("rectification:task_detail", args=[task.pk])).content.decode()
        assert "退回重新整改" in timeline and f"{TODAY + 20 * DAY:%Y-%m-%d}" in timeline


@pytest.mark.django_db
class TestChoosingWhatToCheck:
    URL = reverse("rectification:spotcheck_create")

    def test_a_random_draw_records_its_seed_and_the_seed_draws_it_again(self, client, city, batch, group, member):
        tasks = [TaskFactory(unit=city["east_community"], problem__batch=batch) for _i in range(6)]
        tasks.append(long_overdue_closed_task(city["east_street"], batch))
        client.force_login(member)
        start = client.post(self.URL, {"step": "start", "group": group.pk, "checked_on": f"{TODAY:%Y-%m-%d}", "sample_size": 3})
        form = start.context["form"]
        seed = form["seed"].value()
        assert seed is not None and len(form.task_list) == 3
        data = {"step": "findings", "group": group.pk, "checked_on": f"{TODAY:%Y-%m-%d}", "sample_size": 3, "seed": seed,
                "tasks": [task.pk for task in form.task_list], "summary": ""}  # fmt: skip
        data.update({f"result_{task.pk}": "passed" for task in form.task_list})
        assert client.post(self.URL, data).status_code == 302
        check = SpotCheck.objects.get()
        assert check.seed == int(seed) and check.sample_size == 3
        assert spotchecks.draw_sample(group, 3, check.seed, user=member) == form.task_list
        page = client.get(reverse("rectification:spotcheck_detail", args=[check.pk])).content.decode()
        assert str(seed) in page

    def test_by_hand_the_units_work_and_some_of_their_tasks_in_any_state(
        self, client, city, batch, group, member, unit_staff, django_capture_on_commit_callbacks
    ):
        in_progress = TaskFactory(unit=city["east_community"], problem__batch=batch, title="进行中的任务")
        closed = long_overdue_closed_task(city["east_community"], batch)
        client.force_login(member)
        start = client.post(self.URL, {"step": "start", "group": group.pk, "checked_on": f"{TODAY:%Y-%m-%d}",
                                       "units": [city["east_community"].pk]})  # fmt: skip
        form = start.context["form"]
        assert set(form.task_list) == {in_progress, closed}
        assert [unit for unit, _result, _note in form.unit_rows] == [city["east_community"]]
        unit = city["east_community"]
        data = {"step": "findings", "group": group.pk, "checked_on": f"{TODAY:%Y-%m-%d}", "units": [unit.pk],
                "tasks": [in_progress.pk, closed.pk], f"result_{in_progress.pk}": "failed",
                f"note_{in_progress.pk}": "进度滞后", f"due_{in_progress.pk}": f"{TODAY + 15 * DAY:%Y-%m-%d}",
                f"result_{closed.pk}": "", f"unit_result_{unit.pk}": "failed",
                f"unit_note_{unit.pk}": "“回头看”走过场", "summary": "抽查东区社区"}  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(self.URL, data).status_code == 302
        check = SpotCheck.objects.get()
        assert [finding.task for finding in check.findings.all()] == [in_progress]  # the other: not checked
        assert SpotCheckUnitFinding.objects.get(spot_check=check, unit=unit).note == "“回头看”走过场"
        assert Notification.objects.filter(user=unit_staff, key__startswith="spotcheck-unit:").exists()
        in_progress.refresh_from_db()
        assert in_progress.due_date == TODAY + 15 * DAY

    def test_a_failed_task_without_a_new_due_date_keeps_the_form(self, client, city, batch, group, member):
        task = TaskFactory(unit=city["east_community"], problem__batch=batch)
        client.force_login(member)
        response = client.post(self.URL, {
            "step": "findings", "group": group.pk, "checked_on": f"{TODAY:%Y-%m-%d}", "tasks": [task.pk],
            f"result_{task.pk}": "failed", f"note_{task.pk}": "台账与现场不符", f"due_{task.pk}": "",
        })  # fmt: skip
        assert response.status_code == 200 and "台账与现场不符" in response.content.decode()
        assert f"due_{task.pk}" in response.context["form"].errors and not SpotCheck.objects.exists()
