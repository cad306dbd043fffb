"""The staff's daily pages, tried as the task's own staff, staff of a co-responsible
unit, staff of another district, supervisors in and out of scope, and anonymous
visitors; inline progress with htmx; edit conflicts; the list's filters and export."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaign.models import Role, UnitKind
from rectification import services
from rectification.models import (
    CoordinationRequest,
    Explanation,
    ExtensionRequest,
    Problem,
    ProgressUpdate,
    Task,
    TaskStatus,
    Term,
)
from rectification.models.problems import ProblemCategory
from tests.conftest import assert_refused
from tests.factories import MembershipFactory, SupervisionGroupFactory, TaskFactory, UnitFactory, UserFactory
from tests.rectification.conftest import pdf_bytes, png_bytes

TODAY = timezone.localdate


@pytest.fixture
def client(client):
    """Pages in English, so that assertions read the msgids whatever the catalogue holds."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def overdue_task(city, batch):
    today = TODAY()
    return TaskFactory(
        unit=city["east_community"],
        problem__batch=batch,
        title="整治小区环境卫生",
        start_date=today - datetime.timedelta(days=40),
        due_date=today - datetime.timedelta(days=10),
    )


@pytest.fixture
def water_bureau(city):
    return UnitFactory(parent=city["city"], name="市水务局", short_name="水务局", kind=UnitKind.DEPARTMENT)


@pytest.fixture
def group_member(city, campaign):
    """Staff of the east community who also sits in a supervision group over the whole east district:
    sees the district, but only the community's tasks are "mine"."""
    user = MembershipFactory(unit=city["east_community"], role=Role.STAFF, user=UserFactory(username="group-member")).user
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"])
    group.units.add(city["east"])
    group.members.add(user)
    return user


def as_user(client, user):
    client.force_login(user)
    return client


def progress_data(text="完成管网勘察", percent=40, **extra):
    return {"progress-entry_date": TODAY().isoformat(), "progress-text": text, "progress-percent": percent, **extra}


def edit_data(response):
    """What the browser would send back from the edit form as loaded."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "co_units":
            data[name] = [str(pk) for pk in value or []]
        else:
            data[name] = "" if value is None else str(value)
    return data


def task_urls(task):
    return {
        "detail": reverse("rectification:task_detail", args=[task.pk]),
        "edit": reverse("rectification:task_edit", args=[task.pk]),
        "progress": reverse("rectification:task_add_progress", args=[task.pk]),
        "closing": reverse("rectification:task_request_verification", args=[task.pk]),
        "explain": reverse("rectification:task_explain", args=[task.pk]),
        "extend": reverse("rectification:task_request_extension", args=[task.pk]),
        "coordinate": reverse("rectification:coordination_create") + f"?task={task.pk}",
    }


# --- anonymous visitors -----------------------------------------------------------------------


@pytest.mark.django_db
class TestAnonymousVisitors:
    @pytest.mark.parametrize("name", ["detail", "edit", "progress", "closing", "explain", "extend", "coordinate"])
    def test_are_sent_to_login_from_every_task_page_and_step(self, client, task, name):
        url = task_urls(task)[name]
        response = client.get(url) if name in ("detail", "edit") else client.post(url, {})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    @pytest.mark.parametrize("name", ["rectification:my_tasks", "rectification:task_list", "rectification:problem_create"])
    def test_are_sent_to_login_from_the_lists(self, client, db, name):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_are_sent_to_login_from_a_problem_and_a_new_task(self, client, task):
        for url in (
            reverse("rectification:problem_detail", args=[task.problem_id]),
            reverse("rectification:task_create", args=[task.problem_id]),
        ):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_add_nothing_by_posting(self, client, task):
        client.post(task_urls(task)["progress"], progress_data())
        assert not ProgressUpdate.objects.exists()


# --- who sees the task page and who may take which step ------------------------------------------


@pytest.mark.django_db
class TestTaskPage:
    def test_its_own_staff_see_it_with_every_step(self, client, task, unit_staff):
        response = as_user(client, unit_staff).get(task_urls(task)["detail"])
        assert response.status_code == 200
        content = response.content.decode()
        assert task.title in content and task.measures in content and task.problem.title in content
        assert "西区社区党支部" in content  # the co-responsible unit
        for key in ("progress_form", "verification_form", "extension_form", "coordination_form"):
            assert response.context[key] is not None, key
        assert task_urls(task)["edit"] in content

    def test_co_responsible_staff_may_report_but_not_edit(self, client, task, co_unit_staff):
        response = as_user(client, co_unit_staff).get(task_urls(task)["detail"])
        assert response.status_code == 200
        assert response.context["progress_form"] is not None
        assert response.context["verification_form"] is None and response.context["extension_form"] is None
        assert task_urls(task)["edit"] not in response.content.decode()

    def test_a_supervisor_in_scope_sees_it_without_the_staff_steps(self, client, task, supervisor_in_scope):
        response = as_user(client, supervisor_in_scope).get(task_urls(task)["detail"])
        assert response.status_code == 200
        assert response.context["progress_form"] is None and response.context["verification_form"] is None

    def test_staff_of_another_district_get_404(self, client, task, other_district_staff):
        response = as_user(client, other_district_staff).get(task_urls(task)["detail"])
        assert_refused(response, 404)
        assert task.title not in response.content.decode()

    def test_a_supervisor_out_of_scope_gets_404(self, client, task, supervisor_out_of_scope):
        response = as_user(client, supervisor_out_of_scope).get(task_urls(task)["detail"])
        assert_refused(response, 404)
        assert task.title not in response.content.decode()

    def test_shows_the_original_due_date_of_an_extended_task(self, client, task, unit_staff, supervisor_in_scope):
        original = task.due_date
        request = services.request_extension(task, unit_staff, original + datetime.timedelta(days=30), "资金未到位")
        services.decide_extension(request, supervisor_in_scope, approve=True)
        content = as_user(client, unit_staff).get(task_urls(task)["detail"]).content.decode()
        assert f"{original:%Y-%m-%d}" in content and f"{original + datetime.timedelta(days=30):%Y-%m-%d}" in content
        assert "originally" in content

    def test_shows_sub_tasks_and_the_parent(self, client, task, unit_staff):
        sub = TaskFactory(unit=task.unit, problem=task.problem, parent=task, title="铺设入户管线")
        content = as_user(client, unit_staff).get(task_urls(task)["detail"]).content.decode()
        assert "铺设入户管线" in content
        content = client.get(task_urls(sub)["detail"]).content.decode()
        assert task.title in content and task_urls(task)["detail"] in content


@pytest.mark.django_db
class TestWhoMayTakeWhichStep:
    """Steps posted by each persona: allowed (redirect), seen but not allowed (403), unseen (404)."""

    def post(self, client, user, task, step, data):
        return as_user(client, user).post(task_urls(task)[step], data)

    @pytest.mark.parametrize(
        "persona,expected",
        [("unit_staff", 302), ("co_unit_staff", 302), ("supervisor_in_scope", 403), ("other_district_staff", 404), ("supervisor_out_of_scope", 404)],
    )
    def test_adding_progress(self, client, task, request, persona, expected):
        user = request.getfixturevalue(persona)
        assert self.post(client, user, task, "progress", progress_data()).status_code == expected
        assert ProgressUpdate.objects.filter(task=task).exists() == (expected == 302)

    @pytest.mark.parametrize(
        "persona,expected",
        [("unit_staff", 302), ("co_unit_staff", 403), ("supervisor_in_scope", 403), ("other_district_staff", 404), ("supervisor_out_of_scope", 404)],
    )
    def test_asking_for_an_extension(self, client, task, request, persona, expected):
        user = request.getfixturevalue(persona)
        data = {"extend-new_due_date": (task.due_date + datetime.timedelta(days=20)).isoformat(), "extend-reason": "资金"}
        assert self.post(client, user, task, "extend", data).status_code == expected
        assert ExtensionRequest.objects.filter(task=task).exists() == (expected == 302)

    @pytest.mark.parametrize(
        "persona,expected",
        [("unit_staff", 302), ("co_unit_staff", 302), ("supervisor_in_scope", 403), ("other_district_staff", 404), ("supervisor_out_of_scope", 404)],
    )
    def test_giving_an_explanation(self, client, overdue_task, request, persona, expected):
        user = request.getfixturevalue(persona)
        overdue_task.co_units.add(request.getfixturevalue("city")["west_community"])
        data = {"explain-reason_code": "funds", "explain-text": "资金未到位"}
        response = self.post(client, user, overdue_task, "explain", data)
        assert response.status_code == expected
        if expected != 302:
            assert_refused(response, expected)
        assert Explanation.objects.filter(task=overdue_task).exists() == (expected == 302)

    @pytest.mark.parametrize("persona,expected", [("co_unit_staff", 403), ("supervisor_in_scope", 403), ("other_district_staff", 404)])
    def test_asking_for_closing(self, client, task, request, persona, expected):
        user = request.getfixturevalue(persona)
        assert_refused(self.post(client, user, task, "closing", {"closing-note": "完成"}), expected)
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS

    @pytest.mark.parametrize(
        "persona,expected",
        [("unit_staff", 302), ("co_unit_staff", 302), ("supervisor_in_scope", 403), ("other_district_staff", 404), ("supervisor_out_of_scope", 404)],
    )
    def test_asking_for_coordination(self, client, task, water_bureau, request, persona, expected):
        user = request.getfixturevalue(persona)
        data = {"coord-to_unit": water_bureau.pk, "coord-subject": "管网改造资金", "coord-text": "请协调改造资金"}
        assert self.post(client, user, task, "coordinate", data).status_code == expected
        assert CoordinationRequest.objects.filter(task=task).exists() == (expected == 302)

    def test_steps_answer_only_posts(self, client, task, unit_staff):
        response = as_user(client, unit_staff).get(task_urls(task)["progress"])
        assert response.status_code == 405 and response["Allow"] == "POST"


# --- progress inline with htmx --------------------------------------------------------------------


@pytest.mark.django_db
class TestProgressInline:
    def test_an_htmx_post_answers_the_panel_and_timeline_not_the_page(self, client, task, unit_staff):
        response = as_user(client, unit_staff).post(
            task_urls(task)["progress"], progress_data(text="施工队已进场", percent=45), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "<html" not in content and 'id="task-live"' in content
        assert "施工队已进场" in content and "Progress recorded." in content
        assert response.context["progress_form"].is_bound is False  # a blank form for the next entry
        task.refresh_from_db()
        assert task.progress == 45 and task.progress_updates.get().text == "施工队已进场"

    def test_lowering_the_progress_is_kept_and_said(self, client, task, unit_staff):
        as_user(client, unit_staff)
        client.post(task_urls(task)["progress"], progress_data(text="完成一半", percent=50), HTTP_HX_REQUEST="true")
        response = client.post(task_urls(task)["progress"], progress_data(text="返工", percent=20), HTTP_HX_REQUEST="true")
        assert response.context["progress_lowered"] == {"before": 50, "now": 20}
        assert 'data-testid="progress-lowered"' in response.content.decode()
        task.refresh_from_db()
        assert task.progress == 20 and task.progress_updates.count() == 2

    def test_a_bad_htmx_post_keeps_what_was_typed_and_says_what_is_wrong(self, client, task, unit_staff):
        response = as_user(client, unit_staff).post(
            task_urls(task)["progress"], progress_data(text="写了很长一段进展说明", percent=150), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "<html" not in content
        assert "写了很长一段进展说明" in content and 'value="150"' in content
        assert "less than or equal to 100" in content
        assert not ProgressUpdate.objects.exists()

    def test_a_future_date_is_refused(self, client, task, unit_staff):
        data = progress_data(**{"progress-entry_date": (TODAY() + datetime.timedelta(days=3)).isoformat()})
        response = as_user(client, unit_staff).post(task_urls(task)["progress"], data, HTTP_HX_REQUEST="true")
        assert "cannot be in the future" in response.content.decode()
        assert not ProgressUpdate.objects.exists()

    def test_without_htmx_it_saves_and_returns_to_the_task(self, client, task, unit_staff):
        response = as_user(client, unit_staff).post(task_urls(task)["progress"], progress_data(), follow=True)
        assert response.redirect_chain[-1][0] == task_urls(task)["detail"]
        assert "Progress recorded." in response.content.decode()

    def test_without_htmx_a_bad_post_shows_the_whole_page_with_the_typed_text(self, client, task, unit_staff):
        response = as_user(client, unit_staff).post(task_urls(task)["progress"], progress_data(text="未填比例", percent=""))
        content = response.content.decode()
        assert response.status_code == 200 and "<html" in content and "未填比例" in content
        assert not ProgressUpdate.objects.exists()

    def test_several_evidence_files_are_kept_with_the_entry(self, client, task, upload_file, unit_staff):
        files = [upload_file("现场一.png", png_bytes()), upload_file("验收单.pdf", pdf_bytes())]
        as_user(client, unit_staff).post(
            task_urls(task)["progress"], progress_data(**{"progress-files": files}), HTTP_HX_REQUEST="true"
        )
        entry = ProgressUpdate.objects.get()
        assert sorted(entry.evidence.values_list("original_name", flat=True)) == sorted(["现场一.png", "验收单.pdf"])

    def test_two_posts_from_stale_pages_are_both_kept(self, client, task, unit_staff, co_unit_staff):
        # Both people loaded the page at version 1; neither post carries anything that could clash.
        first, second = client, type(client)()
        second.cookies["django_language"] = "en"
        as_user(first, unit_staff).post(task_urls(task)["progress"], progress_data(text="甲", percent=30), HTTP_HX_REQUEST="true")
        as_user(second, co_unit_staff).post(task_urls(task)["progress"], progress_data(text="乙", percent=35), HTTP_HX_REQUEST="true")
        assert sorted(task.progress_updates.values_list("text", flat=True)) == ["乙", "甲"]
        entry = task.progress_updates.get(text="乙")
        assert entry.unit.name == "西区社区党支部"  # reported by the co-responsible unit
        task.refresh_from_db()
        assert task.progress == 35


# --- closing, explanations, extensions, coordination ------------------------------------------------


@pytest.mark.django_db
class TestSteps:
    def test_closing_without_evidence_is_refused_with_the_reason_and_the_note_kept(self, client, task, unit_staff):
        response = as_user(client, unit_staff).post(task_urls(task)["closing"], {"closing-note": "管网已全部更换"})
        assert response.status_code == 200
        content = response.content.decode()
        assert "Attach evidence of the work done before asking to close the task." in content
        assert "管网已全部更换" in content
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS

    def test_closing_with_evidence_puts_the_task_up_for_verification(self, client, task, unit_staff, photo):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="完成", percent=100, files=[photo])
        response = as_user(client, unit_staff).post(task_urls(task)["closing"], {"closing-note": "完成"})
        assert response.status_code == 302
        task.refresh_from_db()
        assert task.status == TaskStatus.PENDING_VERIFICATION

    def test_the_reason_of_a_return_is_shown_prominently(self, client, task, unit_staff, supervisor_in_scope, photo):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="完成", percent=100, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        services.return_task(task, supervisor_in_scope, "照片不能证明已通水")
        response = as_user(client, unit_staff).get(task_urls(task)["detail"])
        assert response.context["returned"].reason == "照片不能证明已通水"
        content = response.content.decode()
        banner = content[content.index('data-testid="returned"') :]
        assert "照片不能证明已通水" in banner[:1000] and "east-supervisor" in banner[:1000]

    def test_an_overdue_unexplained_task_asks_for_an_explanation_first(self, client, overdue_task, unit_staff):
        response = as_user(client, unit_staff).get(task_urls(overdue_task)["detail"])
        assert 'data-testid="explain-callout"' in response.content.decode()
        response = client.post(
            task_urls(overdue_task)["explain"], {"explain-reason_code": "funds", "explain-text": "专项资金尚未到位"}, follow=True
        )
        assert "Explanation recorded." in response.content.decode()
        assert 'data-testid="explain-callout"' not in response.content.decode()
        overdue_task.refresh_from_db()
        assert overdue_task.explained_at is not None and overdue_task.explanations.get().text == "专项资金尚未到位"

    def test_an_extension_to_an_earlier_date_is_refused_with_the_reason_kept(self, client, task, unit_staff):
        data = {"extend-new_due_date": task.due_date.isoformat(), "extend-reason": "等待上级资金下拨"}
        response = as_user(client, unit_staff).post(task_urls(task)["extend"], data)
        content = response.content.decode()
        assert "must be later than the current one" in content and "等待上级资金下拨" in content
        assert not ExtensionRequest.objects.exists()

    def test_a_pending_extension_is_shown_instead_of_a_second_form(self, client, task, unit_staff):
        new_date = task.due_date + datetime.timedelta(days=20)
        as_user(client, unit_staff).post(
            task_urls(task)["extend"], {"extend-new_due_date": new_date.isoformat(), "extend-reason": "资金"}
        )
        response = client.get(task_urls(task)["detail"])
        assert response.context["pending_extension"].requested_due_date == new_date
        assert response.context["extension_form"] is None
        assert "waiting for a decision" in response.content.decode()

    def test_coordination_is_asked_of_upper_units_and_departments_only(self, client, task, water_bureau, unit_staff, city):
        response = as_user(client, unit_staff).get(task_urls(task)["detail"])
        choices = set(response.context["coordination_form"].fields["to_unit"].queryset)
        assert water_bureau in choices and city["east"] in choices and city["city"] in choices
        assert task.unit not in choices and city["west_community"] not in choices

    def test_coordination_of_the_tasks_own_unit_is_refused(self, client, task, unit_staff):
        data = {"coord-to_unit": task.unit_id, "coord-subject": "x", "coord-text": "请协调"}
        response = as_user(client, unit_staff).post(task_urls(task)["coordinate"], data)
        assert response.status_code == 200 and "请协调" in response.content.decode()
        assert not CoordinationRequest.objects.exists()

    def test_a_coordination_request_shows_in_the_timeline_with_its_status(self, client, task, water_bureau, unit_staff):
        data = {"coord-to_unit": water_bureau.pk, "coord-subject": "管网改造资金", "coord-text": "请协调改造资金"}
        response = as_user(client, unit_staff).post(task_urls(task)["coordinate"], data, follow=True)
        content = response.content.decode()
        assert "市水务局" in content and "管网改造资金" in content and "Waiting for a reply" in content


# --- editing ---------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestEditing:
    def test_the_form_carries_the_version_and_the_values_loaded(self, client, task, unit_staff):
        response = as_user(client, unit_staff).get(task_urls(task)["edit"])
        assert response.status_code == 200
        data = edit_data(response)
        assert data["version"] == str(task.version) and data["seen_title"] == task.title
        assert data["seen_start_date"] == f"{task.start_date:%Y-%m-%d}"
        assert "due_date" not in data  # the due date moves only through an approved extension

    def test_staff_save_an_edit(self, client, task, staff_above, city):
        data = edit_data(as_user(client, staff_above).get(task_urls(task)["edit"]))
        data.update(title="改造明达小区全部供水管网", co_units=[str(city["west_community"].pk), str(city["east_street"].pk)])
        response = client.post(task_urls(task)["edit"], data)
        assert response.status_code == 302
        task.refresh_from_db()
        assert task.title == "改造明达小区全部供水管网" and task.version == 2
        assert set(task.co_units.values_list("name", flat=True)) == {"西区社区党支部", "东区街道党工委"}

    def test_co_units_are_chosen_among_visible_units(self, client, task, unit_staff, staff_above, city):
        response = as_user(client, staff_above).get(task_urls(task)["edit"])
        choices = set(response.context["form"].fields["co_units"].queryset)
        assert city["east_street"] in choices and city["west"] not in choices

    def test_a_co_unit_the_editor_cannot_see_is_kept(self, client, task, unit_staff):
        data = edit_data(as_user(client, unit_staff).get(task_urls(task)["edit"]))
        data["person_name"] = "赵干事"
        client.post(task_urls(task)["edit"], data)
        assert list(task.co_units.values_list("name", flat=True)) == ["西区社区党支部"]

    def test_co_responsible_staff_may_not_edit(self, client, task, co_unit_staff):
        assert_refused(as_user(client, co_unit_staff).get(task_urls(task)["edit"]), 403)
        assert_refused(client.post(task_urls(task)["edit"], {"title": "改"}), 403)
        task.refresh_from_db()
        assert task.title == "解决明达小区吃水难问题"

    def test_a_supervisor_may_not_edit(self, client, task, supervisor_in_scope):
        assert_refused(as_user(client, supervisor_in_scope).get(task_urls(task)["edit"]), 403)

    def test_staff_of_another_district_get_404(self, client, task, other_district_staff, supervisor_out_of_scope):
        assert_refused(as_user(client, other_district_staff).get(task_urls(task)["edit"]), 404)
        assert_refused(as_user(client, supervisor_out_of_scope).post(task_urls(task)["edit"], {"title": "改"}), 404)
        task.refresh_from_db()
        assert task.title == "解决明达小区吃水难问题"

    def test_a_closed_task_is_not_editable(self, client, task, unit_staff, supervisor_in_scope, photo):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="完成", percent=100, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        services.approve_closing(task, supervisor_in_scope)
        response = as_user(client, unit_staff).get(task_urls(task)["edit"], follow=True)
        assert "A closed task can no longer be edited." in response.content.decode()
        assert response.redirect_chain[-1][0] == task_urls(task)["detail"]

    def test_a_start_after_the_due_date_keeps_what_was_typed(self, client, task, unit_staff):
        data = edit_data(as_user(client, unit_staff).get(task_urls(task)["edit"]))
        data.update(title="新的标题", start_date="2099-01-01")
        response = client.post(task_urls(task)["edit"], data)
        content = response.content.decode()
        assert "The start date cannot be after the due date." in content and "新的标题" in content
        task.refresh_from_db()
        assert task.title != "新的标题"

    def test_of_two_stale_edits_the_second_is_shown_what_changed_and_nothing_is_lost(
        self, client, task, unit_staff, staff_above
    ):
        other = type(client)()
        other.cookies["django_language"] = "en"
        mine = edit_data(as_user(client, unit_staff).get(task_urls(task)["edit"]))
        theirs = edit_data(as_user(other, staff_above).get(task_urls(task)["edit"]))

        theirs.update(person_name="赵干事", term=Term.LONG)
        assert other.post(task_urls(task)["edit"], theirs).status_code == 302

        mine.update(title="我改的标题")
        response = client.post(task_urls(task)["edit"], mine)
        assert response.status_code == 200
        content = response.content.decode()
        assert "Someone else saved this task" in content and "version 2" in content
        assert response.context["conflict"]["rows"] == [
            ("responsible person", "李干事", "赵干事"),
            ("term", "Within a set time", "Medium to long term"),
        ]
        assert "我改的标题" in content  # what I typed is still in the form
        task.refresh_from_db()
        assert task.title != "我改的标题" and task.person_name == "赵干事" and task.version == 2

        # The re-shown form keeps my change and takes theirs where I changed nothing,
        # so saving it again keeps both instead of silently undoing theirs.
        again = edit_data(response)
        assert again["version"] == "2" and again["title"] == "我改的标题" and again["person_name"] == "赵干事"
        assert again["term"] == Term.LONG
        assert client.post(task_urls(task)["edit"], again).status_code == 302
        task.refresh_from_db()
        assert (task.title, task.person_name, task.term, task.version) == ("我改的标题", "赵干事", Term.LONG, 3)


# --- problems and new tasks -------------------------------------------------------------------------


@pytest.mark.django_db
class TestProblemsAndNewTasks:
    def test_a_problem_cannot_be_recorded_for_another_districts_unit(self, client, batch, unit_staff, city):
        response = as_user(client, unit_staff).post(
            reverse("rectification:problem_create"),
            {"title": "别的区的问题", "description": "x", "source": "public", "category": ProblemCategory.LIVELIHOOD,
             "unit": city["west_community"].pk, "batch": batch.pk, "found_on": TODAY().isoformat()},
        )  # fmt: skip
        assert response.status_code == 200 and "unit" in response.context["form"].errors
        assert not Problem.objects.filter(title="别的区的问题").exists()

    def test_a_problem_goes_in_the_batch_its_unit_takes_part_in(self, client, batch, unit_staff, city, campaign):
        from campaign.models import Participation
        from tests.factories import BatchFactory

        Participation.objects.create(unit=city["east_community"], batch=batch)
        other_batch = BatchFactory(campaign=campaign, number=1, name="第一批")
        response = as_user(client, unit_staff).post(
            reverse("rectification:problem_create"),
            {"title": "批次不符的问题", "description": "x", "source": "public", "category": ProblemCategory.LIVELIHOOD,
             "unit": city["east_community"].pk, "batch": other_batch.pk, "found_on": TODAY().isoformat()},
        )  # fmt: skip
        assert response.status_code == 200 and "batch" in response.context["form"].errors
        assert not Problem.objects.filter(title="批次不符的问题").exists()

    def test_staff_record_a_problem_see_it_and_add_a_task_to_it(self, client, batch, unit_staff, city):
        as_user(client, unit_staff)
        response = client.post(
            reverse("rectification:problem_create"),
            {
                "title": "小区路灯损坏无人修",
                "description": "群众反映夜间出行不便",
                "source": "public",
                "category": ProblemCategory.LIVELIHOOD,
                "unit": city["east_community"].pk,
                "batch": batch.pk,
                "found_on": TODAY().isoformat(),
            },
        )
        problem = Problem.objects.get(title="小区路灯损坏无人修")
        assert response.status_code == 302 and response["Location"] == problem.get_absolute_url()
        assert problem.created_by == unit_staff

        response = client.post(
            reverse("rectification:task_create", args=[problem.pk]),
            {
                "title": "维修更换路灯",
                "measures": "排查损坏路灯,联系供电所维修",
                "unit": city["east_community"].pk,
                "leader_name": "王书记",
                "person_name": "李干事",
                "term": Term.IMMEDIATE,
                "start_date": TODAY().isoformat(),
                "due_date": (TODAY() + datetime.timedelta(days=7)).isoformat(),
            },
        )
        task = Task.objects.get(title="维修更换路灯")
        assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
        assert task.batch == batch and task.created_by == unit_staff and task.version == 1

        content = client.get(problem.get_absolute_url()).content.decode()
        assert "小区路灯损坏无人修" in content and "维修更换路灯" in content

    def test_a_task_of_a_unit_outside_the_editors_units_is_refused(self, client, task, unit_staff, city):
        response = as_user(client, unit_staff).post(
            reverse("rectification:task_create", args=[task.problem_id]),
            {"title": "越权任务", "measures": "x", "unit": city["west_community"].pk, "leader_name": "a", "person_name": "b",
             "term": Term.SHORT, "start_date": TODAY().isoformat(), "due_date": TODAY().isoformat()},
        )
        assert response.status_code == 200 and "越权任务" in response.content.decode()
        assert not Task.objects.filter(title="越权任务").exists()

    def test_a_sub_task_rolls_into_its_parent(self, client, task, unit_staff):
        response = as_user(client, unit_staff).get(
            reverse("rectification:task_create", args=[task.problem_id]) + f"?parent={task.pk}"
        )
        assert response.context["form"]["parent"].value() == task.pk

    def test_another_districts_problem_is_not_found(self, client, task, other_district_staff):
        as_user(client, other_district_staff)
        for url in (
            reverse("rectification:problem_detail", args=[task.problem_id]),
            reverse("rectification:task_create", args=[task.problem_id]),
        ):
            response = client.get(url)
            assert_refused(response, 404)
            assert task.problem.title not in response.content.decode()

    def test_a_related_problem_out_of_scope_is_named_but_not_linked(self, client, task, unit_staff, city, batch):
        from tests.factories import ProblemFactory

        hidden = ProblemFactory(unit=city["west_community"], batch=batch, title="西区的根源问题")
        task.problem.related_problem = hidden
        task.problem.save()
        content = as_user(client, unit_staff).get(task.problem.get_absolute_url()).content.decode()
        assert "西区的根源问题" in content and hidden.get_absolute_url() not in content

    def test_a_supervisor_without_a_staff_role_may_not_record_problems(self, client, task, supervisor_in_scope):
        as_user(client, supervisor_in_scope)
        assert_refused(client.get(reverse("rectification:problem_create")), 403)
        assert_refused(client.get(reverse("rectification:task_create", args=[task.problem_id])), 403)
        response = client.get(reverse("rectification:problem_detail", args=[task.problem_id]))
        assert response.status_code == 200 and task.problem.title in response.content.decode()


# --- my units' tasks ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestMyTasks:
    def test_counts_my_units_tasks_and_puts_unexplained_overdue_ones_first(
        self, client, task, overdue_task, unit_staff, city, batch
    ):
        TaskFactory(unit=city["west_community"], problem__batch=batch, title="西区的任务")
        response = as_user(client, unit_staff).get(reverse("rectification:my_tasks"))
        assert response.status_code == 200
        counts = response.context["counts"]
        assert counts["total"] == 2 and counts["status_in_progress"] == 2 and counts["level_3"] == 1
        assert response.context["to_explain"] == [overdue_task]
        content = response.content.decode()
        assert "西区的任务" not in content
        assert content.index("整治小区环境卫生") < content.index(task.title)
        assert f'{overdue_task.get_absolute_url()}#explain' in content

    def test_co_responsible_units_see_the_task_as_theirs(self, client, task, co_unit_staff):
        response = as_user(client, co_unit_staff).get(reverse("rectification:my_tasks"))
        assert response.context["counts"]["total"] == 1 and task.title in response.content.decode()

    def test_a_supervisor_sees_the_units_they_belong_to(self, client, task, supervisor_in_scope):
        response = as_user(client, supervisor_in_scope).get(reverse("rectification:my_tasks"))
        assert response.context["counts"]["total"] == 1

    def test_only_my_own_units_count_not_the_whole_scope_i_supervise(self, client, task, group_member, city, batch):
        TaskFactory(unit=city["east_street"], problem__batch=batch, title="街道的任务")
        response = as_user(client, group_member).get(reverse("rectification:my_tasks"))
        assert response.context["counts"]["total"] == 1
        assert "街道的任务" not in response.content.decode()

    def test_staff_of_another_district_see_none_of_it(self, client, task, overdue_task, other_district_staff):
        response = as_user(client, other_district_staff).get(reverse("rectification:my_tasks"))
        assert response.context["counts"]["total"] == 0 and response.context["to_explain"] == []
        assert task.title not in response.content.decode()


# --- the task list -------------------------------------------------------------------------------------


@pytest.fixture
def many_tasks(city, batch):
    """Tasks across the east district's units and one in the west."""
    today = TODAY()
    east = [
        TaskFactory(unit=city["east_community"], problem__batch=batch, title="东区社区的供水任务", term=Term.IMMEDIATE,
                    due_date=today + datetime.timedelta(days=40), problem__category=ProblemCategory.LIVELIHOOD),
        TaskFactory(unit=city["east_street"], problem__batch=batch, title="街道作风整顿", measures="开展作风大讨论",
                    due_date=today - datetime.timedelta(days=2), start_date=today - datetime.timedelta(days=30),
                    problem__category=ProblemCategory.CONDUCT),
        TaskFactory(unit=city["east"], problem__batch=batch, title="区委督办事项", due_date=today + datetime.timedelta(days=2),
                    problem__title="群众反映办事难"),
    ]
    west = TaskFactory(unit=city["west_community"], problem__batch=batch, title="西区独有的任务")
    return east, west


@pytest.mark.django_db
class TestTaskList:
    def get(self, client, user, **params):
        return as_user(client, user).get(reverse("rectification:task_list"), params)

    def listed(self, response):
        return sorted(row.record.title for row in response.context["table"].paginated_rows)

    def test_never_shows_another_districts_task(self, client, many_tasks, staff_above, city):
        east, west = many_tasks
        response = self.get(client, staff_above)
        assert self.listed(response) == sorted(task.title for task in east)
        assert "西区独有的任务" not in response.content.decode()
        # nor when asked for the other district by URL
        response = self.get(client, staff_above, within=city["west"].pk)
        assert self.listed(response) == []

    @pytest.mark.parametrize(
        "params,expected",
        [
            ({"term": Term.IMMEDIATE}, ["东区社区的供水任务"]),
            ({"category": ProblemCategory.CONDUCT}, ["街道作风整顿"]),
            ({"warning_level": 2}, ["街道作风整顿"]),
            ({"warning_level": 1}, ["区委督办事项"]),
            ({"q": "作风大讨论"}, ["街道作风整顿"]),
            ({"q": "办事难"}, ["区委督办事项"]),
            ({"q": "供水"}, ["东区社区的供水任务"]),
            ({"status": TaskStatus.CLOSED}, []),
        ],
    )
    def test_filters(self, client, many_tasks, staff_above, params, expected):
        assert self.listed(self.get(client, staff_above, **params)) == expected

    def test_within_a_unit_lists_its_subtree(self, client, many_tasks, staff_above, city):
        response = self.get(client, staff_above, within=city["east_street"].pk)
        assert self.listed(response) == ["东区社区的供水任务", "街道作风整顿"]

    def test_mine_lists_only_my_units_tasks(self, client, many_tasks, group_member, city):
        # the group member sees the whole district; only the community's task is of their own unit
        assert len(self.listed(self.get(client, group_member))) == 3
        assert self.listed(self.get(client, group_member, mine="on")) == ["东区社区的供水任务"]

    def test_mine_includes_tasks_my_unit_is_co_responsible_for(self, client, many_tasks, group_member, city):
        street_task = many_tasks[0][1]
        street_task.co_units.add(city["east_community"])
        assert self.listed(self.get(client, group_member, mine="on")) == ["东区社区的供水任务", "街道作风整顿"]

    def test_batch_filter(self, client, many_tasks, staff_above, batch, campaign):
        from tests.factories import BatchFactory

        other = BatchFactory(campaign=campaign, number=3, name="第三批")
        TaskFactory(unit=many_tasks[0][0].unit, problem__batch=other, title="第三批的任务")
        assert self.listed(self.get(client, staff_above, batch=other.pk)) == ["第三批的任务"]

    def test_sorts_by_due_date_both_ways(self, client, many_tasks, staff_above):
        table = self.get(client, staff_above, sort="due_date").context["table"]
        dates = [row.record.due_date for row in table.paginated_rows]
        assert dates == sorted(dates)
        table = self.get(client, staff_above, sort="-due_date").context["table"]
        assert [row.record.due_date for row in table.paginated_rows] == sorted(dates, reverse=True)

    def test_the_worst_come_first_by_default(self, client, many_tasks, staff_above):
        table = self.get(client, staff_above).context["table"]
        assert [row.record.title for row in table.paginated_rows][0] == "街道作风整顿"

    def test_pages_of_25_keep_the_filter_in_the_links(self, client, staff_above, city, batch):
        for number in range(30):
            TaskFactory(unit=city["east_community"], problem__batch=batch, title=f"批量任务{number:02d}", term=Term.LONG)
        response = self.get(client, staff_above, term=Term.LONG)
        assert len(response.context["table"].paginated_rows) == 25
        next_link = response.context["page"].next_query
        assert "term=long" in next_link and "term=long" in response.content.decode().split('data-testid="pager"')[1]
        following = as_user(client, staff_above).get(reverse("rectification:task_list") + "?" + next_link)
        assert len(following.context["table"].paginated_rows) == 5
        assert following.context["page"].start == 26

    @pytest.mark.parametrize("sort", ["", "warning_level", "-warning_level", "due_date", "-due_date", "unit", "-unit"])
    def test_keyset_pages_give_every_row_once_both_ways(self, client, staff_above, city, batch, sort):
        """Many tasks share a due date and a unit: the primary key breaks the ties."""
        import datetime

        from django.utils import timezone

        today = timezone.localdate()
        for number in range(61):
            TaskFactory(
                unit=city["east_community"] if number % 2 else city["east_street"],
                problem__batch=batch,
                due_date=today + datetime.timedelta(days=number % 4 - 2),
            )
        Task.objects.filter(pk__in=Task.objects.order_by("pk").values("pk")[:10]).update(status=TaskStatus.CLOSED)
        url = reverse("rectification:task_list")
        query = f"sort={sort}" if sort else ""
        seen, pages = [], []
        while query is not None:
            response = as_user(client, staff_above).get(f"{url}?{query}")
            page = response.context["page"]
            pages.append([row.record.pk for row in response.context["table"].paginated_rows])
            assert page.start == len(seen) + 1
            seen += pages[-1]
            query = getattr(page, "next_query", None) if page.has_next else None
        assert sorted(seen) == sorted(Task.objects.values_list("pk", flat=True)) and len(seen) == 61
        assert len(pages) == 3
        # and back from the last page, one page at a time
        back = []
        while page.has_previous:
            response = as_user(client, staff_above).get(f"{url}?{page.previous_query}")
            page = response.context["page"]
            back.append([row.record.pk for row in response.context["table"].paginated_rows])
        assert back == pages[-2::-1]

    def test_a_cursor_of_another_sort_or_a_forged_one_gives_the_first_page(self, client, staff_above, many_tasks):
        first = self.get(client, staff_above).context["table"].paginated_rows
        for cursor in ("not-a-cursor", "WyJkdWUiLFsiMjAyNi0xMi0wMSIsMV0sMjVd"):
            rows = self.get(client, staff_above, cursor=cursor).context["table"].paginated_rows
            assert [row.record.pk for row in rows] == [row.record.pk for row in first]

    def test_counts_are_exact_for_a_scope_and_capped_for_a_filter(self, client, staff_above, city, batch, many_tasks):
        from campaign import paging

        response = self.get(client, staff_above)
        assert response.context["page"].count == paging.Tally(len(many_tasks[0]))
        for number in range(5):
            TaskFactory(unit=city["east_community"], problem__batch=batch, term=Term.LONG)
        original, paging.COUNT_CAP = paging.COUNT_CAP, 3
        try:
            response = self.get(client, staff_above, term=Term.LONG)
        finally:
            paging.COUNT_CAP = original
        assert response.context["page"].count == paging.Tally(3, capped=True)
        assert "More than 3 tasks match" in response.content.decode() or "超过 3" in response.content.decode()

    def test_export_has_every_filtered_row_as_xlsx(self, client, staff_above, city, batch, many_tasks):
        for number in range(30):
            TaskFactory(unit=city["east_community"], problem__batch=batch, title=f"批量任务{number:02d}", term=Term.LONG)
        response = self.get(client, staff_above, term=Term.LONG, export="xlsx")
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 31  # header + all 30, not one page
        header = rows[0]
        assert "Task" in header and "Original due date" in header and "Measures" in header
        assert all(row[header.index("Term")] == "Medium to long term" for row in rows[1:])
        # dates are dates in Excel (sortable, filterable), not text
        assert all(isinstance(row[header.index("Due date")], datetime.datetime) for row in rows[1:])

    def test_export_as_csv_never_has_another_districts_rows(self, client, many_tasks, staff_above):
        response = self.get(client, staff_above, export="csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        titles = [row[0] for row in rows[1:]]
        assert sorted(titles) == sorted(task.title for task in many_tasks[0])

    def test_no_query_per_row(self, client, staff_above, city, batch):
        TaskFactory(unit=city["east_community"], problem__batch=batch)
        as_user(client, staff_above)
        url = reverse("rectification:task_list")
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _number in range(12):
            task = TaskFactory(unit=city["east_street"], problem__batch=batch)
            task.co_units.add(city["east_community"])
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many) == len(few)

    def test_the_list_is_for_logged_in_users_only(self, client, db):
        response = client.get(reverse("rectification:task_list"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_conflicting_edit_shows_the_saved_title_not_the_typed_one_as_the_tasks_name(client, task, unit_staff, staff_above):
    mine = edit_data(as_user(client, unit_staff).get(task_urls(task)["edit"]))
    services.update_task(task, staff_above, {"person_name": "赵干事"}, seen_version=task.version)
    mine.update(title="尚未保存的标题")
    response = client.post(task_urls(task)["edit"], mine)
    assert response.context["task"].title == task.title
    breadcrumb = response.content.decode().split('class="breadcrumb"')[1].split("</nav>")[0]
    assert "尚未保存的标题" not in breadcrumb and task.title in breadcrumb


@pytest.mark.django_db
def test_an_htmx_progress_post_on_a_task_closed_meanwhile_says_so_in_the_panel(client, task, unit_staff, supervisor_in_scope, photo):
    page = as_user(client, unit_staff).get(task_urls(task)["detail"])
    assert page.context["progress_form"] is not None
    services.add_progress(task, unit_staff, entry_date=TODAY(), text="完成", percent=100, files=[photo])
    services.request_verification(task, unit_staff, "完成")
    services.approve_closing(task, supervisor_in_scope)
    response = client.post(task_urls(task)["progress"], progress_data(text="迟到的进展"), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    content = response.content.decode()
    assert 'id="task-live"' in content and "This task has been closed" in content
    assert not task.progress_updates.filter(text="迟到的进展").exists()


@pytest.mark.django_db
def test_the_task_page_takes_a_fixed_number_of_queries(client, task, unit_staff, supervisor_in_scope, upload_file, city):
    as_user(client, unit_staff)
    with CaptureQueriesContext(connection) as few:
        client.get(task_urls(task)["detail"])
    for number in range(5):
        services.add_progress(
            task, unit_staff, entry_date=TODAY(), text=f"进展{number}", percent=10 * number,
            files=[upload_file(f"照片{number}.png", png_bytes()), upload_file(f"单据{number}.pdf", pdf_bytes())],
        )
        services.urge(task, supervisor_in_scope, f"催办{number}")
        TaskFactory(unit=task.unit, problem=task.problem, parent=task)
        task.co_units.add(UnitFactory(parent=city["west"], name=f"西区单位{number}"))
    with CaptureQueriesContext(connection) as many:
        response = client.get(task_urls(task)["detail"])
    assert "进展4" in response.content.decode()
    # two more only, whatever the number of entries: the evidence of the progress
    # entries, and the names of co-responsible units in the history, each fetched once
    assert len(many) <= len(few) + 2
