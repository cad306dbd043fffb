"""The supervisors' pages, tried as a supervisor in scope, one of another district,
staff, and an anonymous visitor."""

import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaign.models import Role
from rectification import services, spotchecks
from rectification.models import (
    AccountabilityRecord,
    Explanation,
    ExtensionRequest,
    SpotCheck,
    TaskStatus,
    Urge,
    Verification,
)
from rectification.models.decisions import Decision
from rectification.models.supervision import AccountabilityMeasure
from tests.conftest import assert_refused
from tests.factories import MembershipFactory, SupervisionGroupFactory, TaskFactory, UnitFactory, UserFactory
from tests.rectification.conftest import png_bytes

TODAY = datetime.date(2026, 11, 28)
QUEUE = reverse("rectification:queue")


def login(client, user):
    client.force_login(user)
    return client


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def ask_to_close(task, staff, note="管网改造完成,已通水"):
    """Staff of the unit (here: an administrator above it) put the task forward for closing."""
    photo = SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png")
    services.add_progress(task, staff, entry_date=TODAY, text="已完成", percent=100, files=[photo])
    return services.request_verification(task, staff, note)


def overdue_task(unit, batch, **kwargs):
    return TaskFactory(unit=unit, problem__batch=batch, due_date=timezone.localdate() - datetime.timedelta(days=10), **kwargs)


def closed_task(unit, batch, **kwargs):
    return TaskFactory(unit=unit, problem__batch=batch, status=TaskStatus.CLOSED, closed_at=timezone.now(), progress=100, **kwargs)


@pytest.fixture(autouse=True)
def english(settings):
    """Pages in English, so that assertions read the msgids whatever the catalogue says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def west_task(city, batch):
    return TaskFactory(unit=city["west_community"], problem__batch=batch, title="西区道路硬化")


@pytest.fixture
def group(campaign, city):
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="第一督导组")
    group.units.add(city["east"])
    return group


@pytest.mark.django_db
class TestAnonymousVisitors:
    @pytest.mark.parametrize(
        "name,args",
        [
            ("rectification:queue", []),
            ("rectification:spotcheck_list", []),
            ("rectification:spotcheck_create", []),
            ("rectification:spotcheck_detail", [1]),
            ("rectification:accountability_list", []),
            ("rectification:accountability_create", []),
        ],
    )
    def test_are_sent_to_the_login_page(self, client, name, args):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    @pytest.mark.parametrize(
        "name,args",
        [
            ("rectification:verification_bulk", []),
            ("rectification:extension_decide", [1]),
            ("rectification:explanation_review", [1]),
            ("rectification:task_urge", [1]),
        ],
    )
    def test_cannot_decide_anything(self, client, task, name, args):
        response = client.post(reverse(name, args=args), {"ids": [1], "action": "approve"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS


@pytest.mark.django_db
class TestQueue:
    def test_shows_only_tasks_in_the_supervisors_scope(self, client, city_admin, task, west_task, supervisor_in_scope):
        ask_to_close(task, city_admin)
        ask_to_close(west_task, city_admin)
        response = login(client, supervisor_in_scope).get(QUEUE)
        assert response.status_code == 200
        content = response.content.decode()
        assert task.title in content and west_task.title not in content
        assert dict((name, count) for name, _label, count in response.context["tabs"])["verifications"] == 1

    def test_a_supervisor_of_another_district_sees_none_of_it(self, client, city_admin, task, supervisor_out_of_scope):
        ask_to_close(task, city_admin)
        Explanation.objects.create(task=task, reason_code="funds", text="资金未到位", due_date=task.due_date)
        response = login(client, supervisor_out_of_scope).get(QUEUE)
        assert response.status_code == 200
        assert task.title not in response.content.decode()
        assert all(count == 0 for _name, _label, count in response.context["tabs"])

    def test_staff_get_403_on_the_queue_and_its_actions(self, client, city_admin, task, unit_staff):
        verification = ask_to_close(task, city_admin)
        extension = ExtensionRequest.objects.create(
            task=task, previous_due_date=task.due_date, requested_due_date=task.due_date + datetime.timedelta(days=30), reason="r"
        )
        explanation = Explanation.objects.create(task=task, reason_code="funds", text="t", due_date=task.due_date)
        login(client, unit_staff)
        assert client.get(QUEUE).status_code == 403
        posts = [
            (reverse("rectification:verification_bulk"), {"ids": [verification.pk], "action": "approve"}),
            (reverse("rectification:extension_decide", args=[extension.pk]), {f"extensions-{extension.pk}-decision": "approve"}),
            (reverse("rectification:explanation_review", args=[explanation.pk]), {}),
            (reverse("rectification:task_urge", args=[task.pk]), {f"overdue-{task.pk}-message": "快"}),
        ]
        for url, data in posts:
            assert client.post(url, data).status_code == 403, url
        task.refresh_from_db()
        extension.refresh_from_db()
        explanation.refresh_from_db()
        assert task.status == TaskStatus.PENDING_VERIFICATION and task.due_date == extension.previous_due_date
        assert extension.decision == Decision.PENDING and explanation.reviewed_at is None and not Urge.objects.exists()

    def test_own_unit_tasks_are_not_offered(self, client, city_admin, task, supervisor_who_is_staff_above, supervisor_in_scope):
        """The queue offers only what the user may decide: not a request from their own unit."""
        verification = ask_to_close(task, city_admin)
        content = login(client, supervisor_who_is_staff_above).get(QUEUE + "?tab=verifications").content.decode()
        assert task.title not in content and f'id="verification-{verification.pk}"' not in content
        content = login(client, supervisor_in_scope).get(QUEUE + "?tab=verifications").content.decode()
        assert task.title in content and f'id="verification-{verification.pk}"' in content

    def test_shows_note_requester_and_evidence_count(self, client, city_admin, task, supervisor_in_scope):
        ask_to_close(task, city_admin, note="已铺设新管道300米")
        response = login(client, supervisor_in_scope).get(QUEUE + "?tab=verifications")
        item = response.context["page"][0]
        assert item.evidence_count == 1 and "已铺设新管道300米" in response.content.decode()

    def test_the_number_of_queries_does_not_grow_with_the_rows(self, client, city, batch, city_admin, supervisor_in_scope):
        def queries(tab):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(f"{QUEUE}?tab={tab}").status_code == 200
            return len(captured)

        login(client, supervisor_in_scope)
        ask_to_close(TaskFactory(unit=city["east_street"], problem__batch=batch), city_admin)
        overdue_task(city["east_street"], batch)
        before = {tab: queries(tab) for tab in ("verifications", "overdue")}
        for _i in range(4):
            ask_to_close(TaskFactory(unit=city["east_street"], problem__batch=batch), city_admin)
            overdue_task(city["east_community"], batch)
        assert {tab: queries(tab) for tab in ("verifications", "overdue")} == before


@pytest.mark.django_db
class TestBulkVerification:
    @pytest.fixture
    def street_and_community_supervisor(self, city):
        """Supervises the east district and belongs to the east community: may not close the community's tasks."""
        user = MembershipFactory(unit=city["east"], role=Role.SUPERVISOR, user=UserFactory(username="mixed")).user
        MembershipFactory(unit=city["east_community"], role=Role.LEADER, user=user)
        return user

    def test_bulk_approve_closes_the_allowed_and_refuses_own_unit_ones(
        self, client, city, batch, city_admin, task, street_and_community_supervisor
    ):
        street = TaskFactory(unit=city["east_street"], problem__batch=batch, title="街道路灯维修")
        allowed, own = ask_to_close(street, city_admin), ask_to_close(task, city_admin)
        response = login(client, street_and_community_supervisor).post(
            reverse("rectification:verification_bulk"), {"ids": [allowed.pk, own.pk], "action": "approve", "note": ""}
        )
        assert response.status_code == 302
        street.refresh_from_db()
        task.refresh_from_db()
        assert street.status == TaskStatus.CLOSED and task.status == TaskStatus.PENDING_VERIFICATION
        messages = texts(response)
        assert any("1 task closed" in text for text in messages)
        assert any(task.title in text and "a supervisor from outside it must decide" in text for text in messages)

    def test_bulk_return_requires_a_reason_and_keeps_the_selection(self, client, city_admin, task, supervisor_in_scope):
        verification = ask_to_close(task, city_admin)
        response = login(client, supervisor_in_scope).post(
            reverse("rectification:verification_bulk"), {"ids": [verification.pk], "action": "return", "note": "  "}
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "Say why the tasks are returned." in content
        box = content[content.index(f'id="verification-{verification.pk}"') :].split(">", 1)[0]
        assert "checked" in box
        assert 'value="return" selected' in content
        task.refresh_from_db()
        assert task.status == TaskStatus.PENDING_VERIFICATION

    def test_bulk_return_sends_the_tasks_back_with_the_reason(self, client, city, batch, city_admin, task, supervisor_in_scope):
        other = TaskFactory(unit=city["east_street"], problem__batch=batch)
        ids = [ask_to_close(task, city_admin).pk, ask_to_close(other, city_admin).pk]
        response = login(client, supervisor_in_scope).post(
            reverse("rectification:verification_bulk"), {"ids": ids, "action": "return", "note": "照片不能证明已通水"}
        )
        assert any("2 tasks returned" in text for text in texts(response))
        for each in (task, other):
            each.refresh_from_db()
            assert each.status == TaskStatus.IN_PROGRESS
            assert each.verifications.get().reason == "照片不能证明已通水"

    def test_the_units_staff_are_told_of_the_return_and_why(self, client, city, batch, city_admin, task, supervisor_in_scope,
                                                            unit_staff, committed):  # fmt: skip
        from rectification.models import Notification

        ids = [ask_to_close(task, city_admin).pk]
        with committed() as delay:
            login(client, supervisor_in_scope).post(
                reverse("rectification:verification_bulk"), {"ids": ids, "action": "return", "note": "照片不能证明已通水"}
            )
        notification = Notification.objects.get(user=unit_staff, kind="decision")
        delay.assert_called_once_with(notification.pk)
        assert notification.task == task and "照片不能证明已通水" in notification.body

    def test_nothing_selected_is_an_error(self, client, supervisor_in_scope):
        response = login(client, supervisor_in_scope).post(reverse("rectification:verification_bulk"), {"action": "approve"})
        assert response.status_code == 200 and "Select at least one task." in response.content.decode()

    def test_another_districts_items_are_refused(self, client, city_admin, task, supervisor_out_of_scope):
        verification = ask_to_close(task, city_admin)
        response = login(client, supervisor_out_of_scope).post(
            reverse("rectification:verification_bulk"), {"ids": [verification.pk], "action": "approve"}
        )
        task.refresh_from_db()
        assert task.status == TaskStatus.PENDING_VERIFICATION
        assert any("outside your scope" in text for text in texts(response))
        verification.refresh_from_db()
        assert verification.outcome == Verification.Outcome.PENDING


@pytest.mark.django_db
class TestExtensionDecisions:
    @pytest.fixture
    def extension(self, task, city_admin):
        return services.request_extension(task, city_admin, task.due_date + datetime.timedelta(days=60), "冬季无法施工")

    def post(self, client, extension, decision, note=""):
        prefix = f"extensions-{extension.pk}"
        return client.post(
            reverse("rectification:extension_decide", args=[extension.pk]),
            {f"{prefix}-decision": decision, f"{prefix}-note": note},
        )

    def test_the_request_is_listed_with_both_dates_and_the_reason(self, client, supervisor_in_scope, extension):
        content = login(client, supervisor_in_scope).get(QUEUE + "?tab=extensions").content.decode()
        assert "冬季无法施工" in content
        assert extension.requested_due_date.isoformat() in content and extension.previous_due_date.isoformat() in content

    def test_approving_moves_the_due_date_and_keeps_the_original(self, client, supervisor_in_scope, extension, task):
        response = self.post(login(client, supervisor_in_scope), extension, "approve")
        assert response.status_code == 302
        task.refresh_from_db()
        assert task.due_date == extension.requested_due_date and task.original_due_date == extension.previous_due_date
        extension.refresh_from_db()
        assert extension.decision == Decision.APPROVED and extension.decided_by == supervisor_in_scope

    def test_the_units_staff_are_told_the_new_date(self, client, supervisor_in_scope, extension, task, unit_staff, committed):
        from rectification.models import Notification

        with committed():
            self.post(login(client, supervisor_in_scope), extension, "approve")
        notification = Notification.objects.get(user=unit_staff, kind="decision")
        assert f"{extension.requested_due_date:%Y-%m-%d}" in notification.body

    def test_refusing_keeps_the_date_and_the_note(self, client, supervisor_in_scope, extension, task):
        self.post(login(client, supervisor_in_scope), extension, "refuse", "理由不充分")
        task.refresh_from_db()
        extension.refresh_from_db()
        assert task.due_date == extension.previous_due_date
        assert extension.decision == Decision.REFUSED and extension.decision_note == "理由不充分"

    def test_refusing_needs_a_note_and_keeps_the_choice(self, client, supervisor_in_scope, extension):
        response = self.post(login(client, supervisor_in_scope), extension, "refuse", "")
        assert response.status_code == 200
        content = response.content.decode()
        assert "Say why the extension is refused." in content
        assert response.context["page"][0].form["decision"].value() == "refuse"
        assert response.context["next"] == f"{QUEUE}?tab=extensions"  # not the action's own URL
        assert f'href="{QUEUE}?tab=verifications"' in content
        extension.refresh_from_db()
        assert extension.decision == Decision.PENDING

    def test_a_supervisor_of_another_district_gets_404(self, client, supervisor_out_of_scope, extension):
        assert self.post(login(client, supervisor_out_of_scope), extension, "approve").status_code == 404
        extension.refresh_from_db()
        assert extension.decision == Decision.PENDING

    def test_a_decided_request_is_not_decided_again(self, client, supervisor_in_scope, extension, task):
        login(client, supervisor_in_scope)
        self.post(client, extension, "refuse", "不同意")
        response = self.post(client, extension, "approve")
        assert any("already been decided" in text for text in texts(response))
        task.refresh_from_db()
        assert task.due_date == extension.previous_due_date


@pytest.mark.django_db
class TestExplanations:
    def test_are_listed_and_marked_reviewed_with_a_note(self, client, task, supervisor_in_scope):
        explanation = Explanation.objects.create(task=task, reason_code="funds", text="专项资金未下达", due_date=task.due_date)
        login(client, supervisor_in_scope)
        content = client.get(QUEUE + "?tab=explanations").content.decode()
        assert "专项资金未下达" in content
        response = client.post(
            reverse("rectification:explanation_review", args=[explanation.pk]),
            {f"explanations-{explanation.pk}-decision": "accept", f"explanations-{explanation.pk}-note": "请加快协调"},
        )
        assert response.status_code == 302
        explanation.refresh_from_db()
        assert explanation.reviewed_by == supervisor_in_scope and explanation.review_note == "请加快协调"
        assert "专项资金未下达" not in client.get(QUEUE + "?tab=explanations").content.decode()

    def test_a_supervisor_of_another_district_gets_404(self, client, task, supervisor_out_of_scope):
        explanation = Explanation.objects.create(task=task, reason_code="funds", text="t", due_date=task.due_date)
        response = login(client, supervisor_out_of_scope).post(reverse("rectification:explanation_review", args=[explanation.pk]))
        assert response.status_code == 404
        explanation.refresh_from_db()
        assert explanation.reviewed_at is None


@pytest.mark.django_db
class TestUrge:
    def test_lists_overdue_tasks_in_scope_without_an_explanation(self, client, city, batch, supervisor_in_scope):
        waiting = overdue_task(city["east_community"], batch, title="超期未说明的任务")
        overdue_task(city["east_community"], batch, title="超期已说明的任务", explained_at=timezone.now())
        TaskFactory(unit=city["east_community"], problem__batch=batch, title="未到期的任务")
        overdue_task(city["west_community"], batch, title="西区超期任务")
        response = login(client, supervisor_in_scope).get(QUEUE + "?tab=overdue")
        assert [task.pk for task in response.context["page"]] == [waiting.pk]

    def test_urging_records_the_message(self, client, city, batch, supervisor_in_scope):
        task = overdue_task(city["east_community"], batch)
        response = login(client, supervisor_in_scope).post(
            reverse("rectification:task_urge", args=[task.pk]), {f"overdue-{task.pk}-message": "请三日内报送进展"}
        )
        assert response.status_code == 302
        urge = Urge.objects.get()
        assert urge.task == task and urge.author == supervisor_in_scope and urge.message == "请三日内报送进展"
        listed = client.get(QUEUE + "?tab=overdue").context["page"][0]
        assert listed.urge_count == 1 and listed.last_urged_at == urge.created_at

    def test_urging_notifies_the_units_staff(self, client, city, batch, supervisor_in_scope, unit_staff, committed):
        from rectification.models import Notification

        task = overdue_task(city["east_community"], batch)
        with committed():
            login(client, supervisor_in_scope).post(
                reverse("rectification:task_urge", args=[task.pk]), {f"overdue-{task.pk}-message": "请三日内报送进展"}
            )
        notification = Notification.objects.get(user=unit_staff)
        assert notification.task == task and notification.kind == "urge"

    def test_an_empty_message_is_refused(self, client, city, batch, supervisor_in_scope):
        task = overdue_task(city["east_community"], batch)
        response = login(client, supervisor_in_scope).post(reverse("rectification:task_urge", args=[task.pk]), {f"overdue-{task.pk}-message": ""})
        assert response.status_code == 200 and "Write what the unit should do." in response.content.decode()
        assert not Urge.objects.exists()

    def test_a_supervisor_of_another_district_gets_404(self, client, city, batch, supervisor_out_of_scope):
        task = overdue_task(city["east_community"], batch)
        response = login(client, supervisor_out_of_scope).post(
            reverse("rectification:task_urge", args=[task.pk]), {f"overdue-{task.pk}-message": "快"}
        )
        assert response.status_code == 404 and not Urge.objects.exists()

    def test_returns_to_the_page_it_was_sent_from_but_never_elsewhere(self, client, city, batch, supervisor_in_scope):
        task = overdue_task(city["east_community"], batch)
        login(client, supervisor_in_scope)
        url = reverse("rectification:task_urge", args=[task.pk])
        data = {f"overdue-{task.pk}-message": "快"}
        assert client.post(url, {**data, "next": "/rectification/queue/?tab=overdue&page=1"})["Location"].endswith("page=1")
        assert client.post(url, {**data, "next": "https://evil.example/"})["Location"] == f"{QUEUE}?tab=overdue"
        assert Urge.objects.filter(task=task).count() == 2  # both urges were sent, wherever they led back


@pytest.mark.django_db
class TestSpotCheckPages:
    @pytest.fixture
    def member(self, group):
        user = UserFactory(username="group-member")
        group.members.add(user)
        return user

    def test_a_group_member_draws_a_sample_and_a_failed_finding_reopens_the_task(self, client, city, batch, group, member):
        tasks = [closed_task(city["east_community"], batch) for _i in range(3)]
        closed_task(city["west_community"], batch, title="西区已销号任务")
        login(client, member)
        assert client.get(reverse("rectification:spotcheck_create")).status_code == 200
        response = client.post(
            reverse("rectification:spotcheck_create"),
            {"step": "start", "group": group.pk, "checked_on": "2026-11-25", "sample_size": 10},
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert set(form.task_list) == set(tasks)
        failed, *passed = form.task_list
        data = {
            "step": "findings",
            "group": group.pk,
            "checked_on": "2026-11-25",
            "tasks": [task.pk for task in form.task_list],
            "summary": "抽查3项,1项未通过",
            f"result_{failed.pk}": "failed",
            f"note_{failed.pk}": "现场仍有积水",
            f"due_{failed.pk}": f"{TODAY + datetime.timedelta(days=20):%Y-%m-%d}",
            "sample_size": 10,
            "seed": form["seed"].value(),
        }
        data.update({f"result_{task.pk}": "passed" for task in passed})
        response = client.post(reverse("rectification:spotcheck_create"), data)
        spot_check = SpotCheck.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("rectification:spotcheck_detail", args=[spot_check.pk])
        failed.refresh_from_db()
        assert failed.status == TaskStatus.IN_PROGRESS
        for task in passed:
            task.refresh_from_db()
            assert task.status == TaskStatus.CLOSED
        detail = client.get(response["Location"]).content.decode()
        assert "现场仍有积水" in detail and "抽查3项,1项未通过" in detail

    def test_a_failed_finding_without_a_note_keeps_what_was_typed(self, client, city, batch, group, member):
        task = closed_task(city["east_community"], batch)
        response = login(client, member).post(
            reverse("rectification:spotcheck_create"),
            {"step": "findings", "group": group.pk, "checked_on": "2026-11-25", "tasks": [task.pk],
             "summary": "抽查小结文字", f"result_{task.pk}": "failed", f"note_{task.pk}": ""},
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "Say what was found wrong." in content and "抽查小结文字" in content
        task.refresh_from_db()
        assert task.status == TaskStatus.CLOSED and not SpotCheck.objects.exists()

    def test_every_task_drawn_must_be_judged(self, client, city, batch, group, member):
        task = closed_task(city["east_community"], batch)
        response = login(client, member).post(
            reverse("rectification:spotcheck_create"),
            {"step": "findings", "group": group.pk, "checked_on": "2026-11-25", "tasks": [task.pk], "summary": "小结",
             "sample_size": 1, "seed": 5},
        )
        assert response.status_code == 200 and f"result_{task.pk}" in response.context["form"].errors
        assert not SpotCheck.objects.exists()

    def test_choosing_units_lists_their_tasks_and_refuses_units_outside_the_group(self, client, city, batch, group, member):
        task = closed_task(city["east_community"], batch)
        closed_task(city["east_street"], batch)
        login(client, member)
        url = reverse("rectification:spotcheck_create")
        response = client.post(url, {"step": "start", "group": group.pk, "checked_on": "2026-11-25", "units": [city["east_community"].pk]})
        assert response.context["form"].task_list == [task]
        assert f'name="units" value="{city["east_community"].pk}"' in response.content.decode()
        response = client.post(url, {"step": "findings", "group": group.pk, "checked_on": "2026-11-25", "tasks": [task.pk],
                                     "units": [city["east_community"].pk], f"result_{task.pk}": "passed"})
        assert response.status_code == 302
        assert list(SpotCheck.objects.get().units.all()) == [city["east_community"]]
        response = client.post(url, {"step": "start", "group": group.pk, "checked_on": "2026-11-25", "units": [city["west"].pk]})
        assert response.status_code == 200 and "spotcheck_create.html" in response.templates[0].name

    def test_tasks_outside_the_group_posted_by_hand_are_refused(self, client, city, batch, group, member):
        west = closed_task(city["west_community"], batch)
        response = login(client, member).post(
            reverse("rectification:spotcheck_create"),
            {"step": "findings", "group": group.pk, "checked_on": "2026-11-25", "tasks": [west.pk],
             f"result_{west.pk}": "failed", f"note_{west.pk}": "x"},
        )
        assert response.status_code == 200
        west.refresh_from_db()
        assert west.status == TaskStatus.CLOSED and not SpotCheck.objects.exists()

    def test_staff_get_403_on_create(self, client, unit_staff):
        assert_refused(login(client, unit_staff).get(reverse("rectification:spotcheck_create")), 403)

    def test_list_and_detail_are_scoped(self, client, city, batch, group, member, supervisor_out_of_scope, unit_staff):
        task = closed_task(city["east_community"], batch)
        spot_check = spotchecks.record_spot_check(group, member, TODAY, [], [(task, False, "未整改到位", TODAY + datetime.timedelta(days=20))], "")
        login(client, supervisor_out_of_scope)
        assert list(client.get(reverse("rectification:spotcheck_list")).context["table"].data) == []
        assert client.get(reverse("rectification:spotcheck_detail", args=[spot_check.pk])).status_code == 404
        login(client, unit_staff)
        assert [row.pk for row in client.get(reverse("rectification:spotcheck_list")).context["table"].data] == [spot_check.pk]
        assert "未整改到位" in client.get(reverse("rectification:spotcheck_detail", args=[spot_check.pk])).content.decode()

    def test_the_list_exports_what_the_user_may_see(self, client, city, batch, group, member, supervisor_out_of_scope):
        import io

        from openpyxl import load_workbook

        task = closed_task(city["east_community"], batch)
        spotchecks.record_spot_check(group, member, TODAY, [], [(task, False, "未整改到位", TODAY + datetime.timedelta(days=20))], "抽查小结")
        rows = list(load_workbook(io.BytesIO(login(client, member).get(
            reverse("rectification:spotcheck_list"), {"export": "xlsx"}).content)).active.values)
        assert len(rows) == 2
        outside = login(client, supervisor_out_of_scope).get(reverse("rectification:spotcheck_list"), {"export": "csv"})
        assert len(outside.content.decode("utf-8-sig").strip().splitlines()) == 1  # the header only


@pytest.mark.django_db
class TestAccountabilityPages:
    URL = reverse("rectification:accountability_create")
    LIST = reverse("rectification:accountability_list")

    def data(self, unit, **extra):
        body = unit.parent or unit  # the unit above decides
        return {"unit": unit.pk, "person_name": "王某", "measure": AccountabilityMeasure.TALK,
                "decided_on": "2026-11-20", "deciding_unit": body.pk, "note": "整改不力", **extra}

    def test_a_supervisor_records_a_measure_and_sees_it_listed(self, client, city, batch, supervisor_in_scope):
        task = overdue_task(city["east_community"], batch, title="长期超期的任务")
        login(client, supervisor_in_scope)
        form_page = client.get(self.URL, {"unit": city["east_street"].pk}).content.decode()
        assert "长期超期的任务" in form_page
        response = client.post(self.URL, self.data(city["east_street"], tasks=[task.pk]))
        assert response.status_code == 302
        record = AccountabilityRecord.objects.get()
        assert record.unit == city["east_street"] and list(record.tasks.all()) == [task] and record.recorded_by == supervisor_in_scope
        assert "王某" in client.get(self.LIST).content.decode()

    def test_a_task_outside_the_units_subtree_is_refused_and_the_form_kept(self, client, city, batch, supervisor_in_scope):
        # in the east district, which the supervisor_in_scope decides on, but outside the street chosen
        other = TaskFactory(unit=UnitFactory(parent=city["east"], name="东区另一街道党工委"), problem__batch=batch)
        response = login(client, supervisor_in_scope).post(self.URL, self.data(city["east_street"], tasks=[other.pk], person_name="赵某某"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Only tasks of the unit and the units below it can be linked." in content and "赵某某" in content
        assert not AccountabilityRecord.objects.exists()

    def test_a_decision_dated_in_the_future_is_refused_and_the_form_kept(self, client, city, supervisor_in_scope):
        import datetime

        from django.utils import timezone

        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        response = login(client, supervisor_in_scope).post(
            self.URL, self.data(city["east_street"], decided_on=f"{tomorrow:%Y-%m-%d}", person_name="钱某")
        )
        content = response.content.decode()
        assert response.status_code == 200 and "The date cannot be in the future." in content and "钱某" in content
        assert not AccountabilityRecord.objects.exists()

    def test_a_unit_of_another_district_cannot_be_chosen(self, client, city, supervisor_in_scope):
        response = login(client, supervisor_in_scope).post(self.URL, self.data(city["west_street"]))
        assert response.status_code == 200 and not AccountabilityRecord.objects.exists()

    def test_staff_get_403_and_leaders_read_but_do_not_record(self, client, city, staff_above, leader, supervisor_in_scope):
        spotchecks.record_accountability(
            supervisor_in_scope, unit=city["east_street"], measure=AccountabilityMeasure.TALK, decided_on=TODAY, deciding_unit=city["east"]
        )
        login(client, staff_above)
        assert client.get(self.LIST).status_code == 403
        assert client.get(self.URL).status_code == 403
        login(client, leader)
        assert client.get(self.LIST).status_code == 200
        assert len(client.get(self.LIST).context["table"].data) == 1
        assert client.get(self.URL).status_code == 403
        assert client.post(self.URL, self.data(city["east_street"])).status_code == 403

    def test_the_list_is_scoped_filtered_and_exported(
        self, client, city, other_district, supervisor_in_scope, supervisor_out_of_scope
    ):
        spotchecks.record_accountability(
            supervisor_in_scope, unit=city["east_street"], person_name="东区某人", measure=AccountabilityMeasure.TALK,
            decided_on=datetime.date(2026, 10, 1), deciding_unit=city["east"],
        )
        spotchecks.record_accountability(
            supervisor_in_scope, unit=city["east_community"], person_name="东区另一人", measure=AccountabilityMeasure.CIRCULAR,
            decided_on=datetime.date(2026, 11, 1), deciding_unit=city["east"],
        )
        spotchecks.record_accountability(  # a street of 北区: not the supervisor's own unit
            supervisor_out_of_scope, unit=UnitFactory(parent=other_district, name="北区街道党工委"), person_name="北区某人",
            measure=AccountabilityMeasure.TALK, decided_on=TODAY, deciding_unit=other_district,
        )
        login(client, supervisor_in_scope)
        names = lambda response: {row.person_name for row in response.context["table"].data}  # noqa: E731
        assert names(client.get(self.LIST)) == {"东区某人", "东区另一人"}
        assert names(client.get(self.LIST, {"measure": AccountabilityMeasure.CIRCULAR})) == {"东区另一人"}
        assert names(client.get(self.LIST, {"decided_from": "2026-10-15"})) == {"东区另一人"}
        assert names(client.get(self.LIST, {"within": city["east_street"].pk})) == {"东区某人", "东区另一人"}
        response = client.get(self.LIST, {"measure": AccountabilityMeasure.TALK, "export": "xlsx"})
        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [str(cell.value) for row in sheet.iter_rows() for cell in row]
        assert "东区某人" in cells and "东区另一人" not in cells and "北区某人" not in cells
        login(client, supervisor_out_of_scope)
        assert names(client.get(self.LIST)) == {"北区某人"}


@pytest.mark.django_db
def test_a_supervisor_urges_from_the_task_page_and_returns_to_it(client, task, supervisor_in_scope, unit_staff, committed):
    """Any open task in scope can be urged, explained or not, from its own page."""
    from rectification.models import Notification

    page = login(client, supervisor_in_scope).get(task.get_absolute_url()).content.decode()
    assert reverse("rectification:task_urge", args=[task.pk]) in page
    with committed():
        response = client.post(
            reverse("rectification:task_urge", args=[task.pk]),
            {f"overdue-{task.pk}-message": "请本周内报送进展", "next": task.get_absolute_url()},
        )
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    assert Notification.objects.filter(user=unit_staff, kind="urge").exists()


@pytest.mark.django_db
def test_staff_see_no_urge_form_on_the_task_page(client, task, unit_staff):
    page = login(client, unit_staff).get(task.get_absolute_url()).content.decode()
    assert reverse("rectification:task_urge", args=[task.pk]) not in page
