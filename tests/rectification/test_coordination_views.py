"""需上级部门协调 in the browser: a unit asks an upper department about a task,
the department finds it in its inbox and replies, either side resolves it;
nobody else sees the thread."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import Role, UnitKind
from rectification import services
from rectification.models import CoordinationReply, CoordinationRequest
from tests.conftest import assert_refused, in_english
from tests.factories import MembershipFactory, UnitFactory, UserFactory

INBOX_URL = reverse("rectification:coordination_inbox")
CREATE_URL = reverse("rectification:coordination_create")


def detail_url(coordination):
    return reverse("rectification:coordination_detail", args=[coordination.pk])


def reply_url(coordination):
    return reverse("rectification:coordination_reply", args=[coordination.pk])


def resolve_url(coordination):
    return reverse("rectification:coordination_resolve", args=[coordination.pk])


@pytest.fixture
def tax_bureau(city):
    """A city department, outside the asking community's district."""
    return UnitFactory(parent=city["city"], name="中共测试市国家税务局党组", short_name="市国税局", kind=UnitKind.DEPARTMENT)


@pytest.fixture
def bureau_staff(tax_bureau):
    return MembershipFactory(unit=tax_bureau, role=Role.STAFF, user=UserFactory(username="tax-staff")).user


@pytest.fixture
def coordination(task, unit_staff, tax_bureau):
    return services.ask_coordination(task, unit_staff, tax_bureau, "营业执照办理协调", "需市国税局协调办理临时税务登记。")


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestAsking:
    def test_the_asking_units_staff_ask_an_upper_department(self, client, task, unit_staff, tax_bureau, city):
        client = as_user(client, unit_staff)
        page = client.get(CREATE_URL, {"task": task.pk})
        offered = set(page.context["form"].fields["to_unit"].queryset)
        assert tax_bureau in offered and city["east"] in offered and city["city"] in offered
        assert city["east_community"] not in offered and city["west"] not in offered

        response = client.post(
            f"{CREATE_URL}?task={task.pk}",
            {"coord-to_unit": tax_bureau.pk, "coord-subject": "供水协调", "coord-text": "需市里协调自来水公司。"},
        )
        coordination = CoordinationRequest.objects.get()
        assert response.status_code == 302 and response["Location"] == detail_url(coordination)
        assert coordination.from_unit == city["east_community"] and coordination.to_unit == tax_bureau
        assert coordination.created_by == unit_staff and coordination.status == CoordinationRequest.Status.OPEN

    def test_the_tasks_own_unit_cannot_be_asked(self, client, task, unit_staff, city):
        response = in_english(as_user(client, unit_staff)).post(
            f"{CREATE_URL}?task={task.pk}", {"coord-to_unit": city["east_community"].pk, "coord-subject": "s", "coord-text": "t"}
        )
        assert response.status_code == 200 and "to_unit" in response.context["form"].errors
        assert CoordinationRequest.objects.count() == 0

    def test_a_form_with_errors_keeps_what_was_typed(self, client, task, unit_staff, tax_bureau):
        response = as_user(client, unit_staff).post(
            f"{CREATE_URL}?task={task.pk}", {"coord-to_unit": tax_bureau.pk, "coord-subject": "", "coord-text": "已经写好的说明"}
        )
        assert response.status_code == 200 and "已经写好的说明" in response.content.decode()
        assert CoordinationRequest.objects.count() == 0

    def test_a_user_who_only_supervises_may_not_ask(self, client, task, supervisor_in_scope, tax_bureau):
        assert_refused(as_user(client, supervisor_in_scope).get(CREATE_URL, {"task": task.pk}), 403)

    def test_a_task_of_another_district_is_not_found(self, client, task, other_district_staff):
        response = as_user(client, other_district_staff).get(CREATE_URL, {"task": task.pk})
        assert_refused(response, 404)
        assert task.title not in response.content.decode()
        assert_refused(client.get(CREATE_URL, {"task": "x"}), 404)


@pytest.mark.django_db
class TestInbox:
    def test_the_department_finds_the_request_in_its_inbox(self, client, coordination, bureau_staff):
        response = as_user(client, bureau_staff).get(INBOX_URL)
        assert response.context["received"]["waiting"] == [coordination]
        assert response.context["sent"]["waiting"] == []
        assert "营业执照办理协调" in response.content.decode()

    def test_the_asking_unit_finds_it_among_what_it_sent(self, client, coordination, unit_staff):
        response = as_user(client, unit_staff).get(INBOX_URL)
        assert response.context["sent"]["waiting"] == [coordination]
        assert response.context["received"]["waiting"] == []

    def test_open_ones_come_first_oldest_first_with_their_age(self, client, task, unit_staff, tax_bureau, bureau_staff):
        def ask(subject, days_ago, status=CoordinationRequest.Status.OPEN):
            request = services.ask_coordination(task, unit_staff, tax_bureau, subject, "t")
            created = timezone.now() - datetime.timedelta(days=days_ago)
            CoordinationRequest.objects.filter(pk=request.pk).update(
                created_at=created, status=status,
                resolved_at=created + datetime.timedelta(days=1) if status == "resolved" else None,
            )
            return request

        newer, older = ask("新的", 2), ask("旧的", 9)
        resolved = ask("已解决的", 30, CoordinationRequest.Status.RESOLVED)
        answered = ask("已答复的", 5, CoordinationRequest.Status.ANSWERED)
        response = as_user(client, bureau_staff).get(INBOX_URL)
        received = response.context["received"]
        assert received["waiting"] == [older, answered, newer] and received["resolved"] == [resolved]
        assert [item.age_days for item in received["waiting"]] == [9, 5, 2]
        assert received["resolved"][0].age_days == 1
        content = response.content.decode()
        assert content.index("旧的") < content.index("已答复的") < content.index("新的") < content.index("已解决的")

    def test_a_district_supervisor_sees_what_units_below_asked(self, client, coordination, supervisor_in_scope):
        response = as_user(client, supervisor_in_scope).get(INBOX_URL)
        assert response.context["sent"]["waiting"] == [coordination]
        assert response.context["received"]["waiting"] == []

    def test_an_unrelated_district_sees_nothing(self, client, coordination, other_district_staff):
        response = as_user(client, other_district_staff).get(INBOX_URL)
        assert response.context["received"]["waiting"] == [] and response.context["sent"]["waiting"] == []
        assert "营业执照办理协调" not in response.content.decode()

    def test_anonymous_visitors_are_sent_to_log_in(self, client, coordination, task):
        for url in (INBOX_URL, detail_url(coordination), f"{CREATE_URL}?task={task.pk}"):
            response = client.get(url)
            assert response.status_code == 302 and reverse("login") in response["Location"]
        for url in (reply_url(coordination), resolve_url(coordination)):
            response = client.post(url, {"text": "x"})
            assert response.status_code == 302 and reverse("login") in response["Location"]
        assert coordination.replies.count() == 0


@pytest.mark.django_db
class TestThread:
    def test_the_department_sees_the_thread_though_the_asking_unit_is_outside_its_scope(
        self, client, coordination, bureau_staff
    ):
        assert CoordinationRequest.objects.visible_to(bureau_staff).get() == coordination
        response = in_english(as_user(client, bureau_staff)).get(detail_url(coordination))
        content = response.content.decode()
        assert response.status_code == 200
        assert "需市国税局协调办理临时税务登记。" in content and "解决明达小区吃水难问题" in content
        assert "Reply as 中共测试市国家税务局党组" in content

    def test_the_department_replies_and_the_request_is_answered(self, client, coordination, bureau_staff, tax_bureau):
        response = as_user(client, bureau_staff).post(reply_url(coordination), {"text": "已安排税务所上门办理。"})
        assert response.status_code == 302
        reply = coordination.replies.get()
        assert reply.unit == tax_bureau and reply.author == bureau_staff and reply.text == "已安排税务所上门办理。"
        coordination.refresh_from_db()
        assert coordination.status == CoordinationRequest.Status.ANSWERED

    def test_the_asking_side_replies_as_its_unit_and_the_status_stays(self, client, coordination, unit_staff, city):
        as_user(client, unit_staff).post(reply_url(coordination), {"text": "补充材料已上传。"})
        assert coordination.replies.get().unit == city["east_community"]
        coordination.refresh_from_db()
        assert coordination.status == CoordinationRequest.Status.OPEN

    def test_replies_are_shown_in_order(self, client, coordination, bureau_staff, unit_staff):
        services.reply_coordination(coordination, unit_staff, "第一条")
        services.reply_coordination(coordination, bureau_staff, "第二条")
        content = as_user(client, unit_staff).get(detail_url(coordination)).content.decode()
        assert content.index("第一条") < content.index("第二条")

    def test_a_reply_through_htmx_returns_the_thread(self, client, coordination, bureau_staff):
        response = as_user(client, bureau_staff).post(reply_url(coordination), {"text": "收到"}, headers={"HX-Request": "true"})
        content = response.content.decode()
        assert response.status_code == 200 and content.lstrip().startswith('<div id="thread">')
        assert "收到" in content and "<html" not in content

    def test_an_empty_reply_is_refused(self, client, coordination, bureau_staff):
        response = as_user(client, bureau_staff).post(reply_url(coordination), {"text": ""})
        assert response.status_code == 200 and "text" in response.context["form"].errors
        assert coordination.replies.count() == 0

    def test_either_side_marks_it_resolved(self, client, coordination, bureau_staff, unit_staff):
        response = as_user(client, unit_staff).post(resolve_url(coordination))
        assert response.status_code == 302
        coordination.refresh_from_db()
        assert coordination.status == CoordinationRequest.Status.RESOLVED
        assert coordination.resolved_by == unit_staff and coordination.resolved_at

    def test_the_department_marks_it_resolved(self, client, coordination, bureau_staff):
        as_user(client, bureau_staff).post(resolve_url(coordination))
        coordination.refresh_from_db()
        assert coordination.status == CoordinationRequest.Status.RESOLVED and coordination.resolved_by == bureau_staff

    def test_a_resolved_request_takes_no_more_replies(self, client, coordination, bureau_staff):
        services.resolve_coordination(coordination, bureau_staff)
        response = in_english(as_user(client, bureau_staff)).post(reply_url(coordination), {"text": "再补充"})
        assert response.status_code == 200 and "This request is resolved" in response.content.decode()
        assert coordination.replies.count() == 0

    def test_a_user_of_an_unrelated_district_gets_404(self, client, coordination, other_district_staff):
        client = as_user(client, other_district_staff)
        assert client.get(detail_url(coordination)).status_code == 404
        assert client.post(reply_url(coordination), {"text": "x"}).status_code == 404
        assert client.post(resolve_url(coordination)).status_code == 404
        coordination.refresh_from_db()
        assert coordination.status == CoordinationRequest.Status.OPEN and not CoordinationReply.objects.exists()

    def test_a_supervisor_who_sees_it_may_read_but_not_speak(self, client, coordination, supervisor_in_scope):
        client = as_user(client, supervisor_in_scope)
        content = client.get(detail_url(coordination)).content.decode()
        assert "营业执照办理协调" in content and reply_url(coordination) not in content
        assert client.post(reply_url(coordination), {"text": "x"}).status_code == 403
        assert client.post(resolve_url(coordination)).status_code == 403


@pytest.mark.django_db
def test_a_superuser_sees_every_request_in_both_lists(client, coordination, superuser):
    response = as_user(client, superuser).get(INBOX_URL)
    assert response.context["sent"]["waiting"] == [coordination]
    assert response.context["received"]["waiting"] == [coordination]
