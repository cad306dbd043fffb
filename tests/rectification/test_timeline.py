"""A task's timeline: one list, newest first, of its history and everything done on it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from rectification import services, timeline
from rectification.models import SpotCheck, SpotCheckFinding
from rectification.sweep import run_sweep
from tests.factories import SupervisionGroupFactory, UnitFactory, UserFactory

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def kinds(entries):
    return [entry.kind for entry in entries]


def history(entries):
    return [entry for entry in entries if entry.kind == "history"]


@pytest.mark.django_db
class TestHistory:
    def test_an_edit_says_who_changed_which_field_from_what_to_what(self, client, task, unit_staff):
        unit_staff.last_name, unit_staff.first_name = "张", "晓梅"
        unit_staff.save()
        client.force_login(unit_staff)
        client.cookies["django_language"] = "en"
        form = client.get(reverse("rectification:task_edit", args=[task.pk])).context["form"]
        data = {name: form[name].value() for name in form.fields}
        data.update(person_name="赵干事", term="long", start_date="2026-03-15")
        assert client.post(reverse("rectification:task_edit", args=[task.pk]), data).status_code == 302
        translation.activate("en")

        entry = history(timeline.build(task).entries)[0]
        assert entry.who == "张晓梅"
        changes = {change.label: (change.old, change.new) for change in entry.changes}
        assert changes == {
            "responsible person": ("李干事", "赵干事"),
            "term": ("Within a set time", "Medium to long term"),
            "start date": ("2026-03-01", "2026-03-15"),
        }

    def test_a_change_of_co_responsible_units_is_shown_once_with_the_units_named(self, task, staff_above, city):
        translation.activate("en")
        services.update_task(task, staff_above, {"title": task.title}, seen_version=task.version, co_units=[city["east_street"]])
        entries = [entry for entry in history(timeline.build(task).entries) if entry.changes]
        co_unit_changes = [
            (change.old, change.new) for entry in entries for change in entry.changes if change.label == "co-responsible units"
        ]
        assert co_unit_changes == [("西区社区党支部", "东区街道党工委")]

    def test_the_page_shows_the_change_and_its_author(self, client, task, unit_staff):
        services.update_task(task, unit_staff, {"leader_name": "孙书记"}, seen_version=task.version)
        client.force_login(unit_staff)
        client.cookies["django_language"] = "en"
        content = client.get(task.get_absolute_url()).content.decode()
        translation.activate("en")
        assert "<del>王书记</del> → <ins>孙书记</ins>" in content
        assert "Responsible leader" in content

    def test_status_and_progress_changes_use_their_labels(self, task, unit_staff, photo):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="完成", percent=80, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        entries = timeline.build(task).entries
        status_changes = [(c.old, c.new) for entry in entries for c in entry.changes if c.label == "status"]
        progress_changes = [(c.old, c.new) for entry in entries for c in entry.changes if c.label == "progress %"]
        assert status_changes == [("In progress", "Awaiting verification")]
        assert progress_changes == [("0%", "80%")]

    def test_a_steps_own_change_is_shown_under_the_step(self, task, unit_staff, supervisor_in_scope, photo):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="完成", percent=80, files=[photo])
        services.request_verification(task, unit_staff, "完成")
        services.return_task(task, supervisor_in_scope, "材料不全")
        entries = timeline.build(task).entries
        assert kinds(entries) == ["decision", "verification", "progress", "created"]
        assert [(c.label, c.old, c.new) for c in entries[0].changes] == [("status", "Awaiting verification", "In progress")]
        assert [(c.label, c.old, c.new) for c in entries[2].changes] == [("progress %", "0%", "80%")]

    def test_an_edit_stays_an_entry_of_its_own_even_right_after_a_step(self, task, unit_staff):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="完成", percent=30)
        services.update_task(task, unit_staff, {"title": "新标题"}, seen_version=task.version)
        entries = timeline.build(task).entries
        assert kinds(entries) == ["history", "progress", "created"]
        assert [c.label for c in entries[0].changes] == ["title"]

    def test_a_change_of_unit_is_shown_by_name(self, task, city):
        task.unit = city["east_street"]
        task.save()
        changes = [c for entry in history(timeline.build(task).entries) for c in entry.changes]
        assert ("responsible unit", "东区社区党支部", "东区街道党工委") in [(c.label, c.old, c.new) for c in changes]

    def test_a_save_that_changes_nothing_shown_adds_no_entry(self, task):
        task.save()
        task.save()
        assert kinds(timeline.build(task).entries) == ["created"]

    def test_the_creation_comes_last(self, task, unit_staff):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="开始", percent=10)
        assert kinds(timeline.build(task).entries)[-1] == "created"


@pytest.mark.django_db
class TestOneList:
    def test_every_kind_of_step_is_merged_newest_first(self, task, unit_staff, supervisor_in_scope, campaign, photo):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="管网勘察", percent=40, files=[photo])
        services.request_verification(task, unit_staff, "申请销号")
        services.return_task(task, supervisor_in_scope, "缺少通水记录")
        type(task).objects.filter(pk=task.pk).update(due_date=TODAY() - datetime.timedelta(days=1))
        run_sweep()  # overdue now, as the sweep finds it: only an overdue task is explained
        task.refresh_from_db()
        task.save()  # overdue now: only an overdue task is explained
        services.give_explanation(task, unit_staff, "funds", "资金未到位")
        extension = services.request_extension(task, unit_staff, task.due_date + datetime.timedelta(days=30), "等资金")
        services.decide_extension(extension, supervisor_in_scope, approve=False, note="不同意")
        services.urge(task, supervisor_in_scope, "请加快进度")
        department = UnitFactory(parent=task.unit.parent.parent.parent, name="市水务局")
        services.ask_coordination(task, unit_staff, department, "资金协调", "请协调资金")
        check = SpotCheck.objects.create(
            group=SupervisionGroupFactory(campaign=campaign), checked_on=TODAY(), created_by=supervisor_in_scope
        )
        SpotCheckFinding.objects.create(spot_check=check, task=task, passed=False, note="现场仍在停水")

        entries = [entry for entry in timeline.build(task).entries if entry.kind not in ("history", "created")]
        assert kinds(entries) == [
            "spot_check",
            "coordination",
            "urge",
            "decision",
            "extension",
            "explanation",
            "decision",
            "verification",
            "progress",
        ]
        times = [entry.at for entry in timeline.build(task).entries]
        assert times == sorted(times, reverse=True)
        texts = [entry.text for entry in entries]
        assert texts == ["现场仍在停水", "请协调资金", "请加快进度", "不同意", "等资金", "资金未到位", "缺少通水记录", "申请销号", "管网勘察"]
        assert entries[0].tone == "bad" and "failed" in entries[0].title
        assert "市水务局" in entries[1].title and "Waiting for a reply" in entries[1].meta
        assert entries[-1].evidence[0].name == "现场照片.png"
        assert entries[-1].evidence[0].url == reverse("rectification:evidence_download", args=[task.evidence.get().pk])

    def test_the_latest_return_is_prominent_until_closing_is_asked_again(self, task, unit_staff, supervisor_in_scope, photo):
        services.add_progress(task, unit_staff, entry_date=TODAY(), text="t", percent=90, files=[photo])
        services.request_verification(task, unit_staff, "第一次")
        services.return_task(task, supervisor_in_scope, "材料不全")
        built = timeline.build(task)
        assert built.returned.reason == "材料不全"
        assert [entry.text for entry in built.entries if entry.prominent] == ["材料不全"]

        services.request_verification(task, unit_staff, "第二次")
        built = timeline.build(task)
        assert built.returned is None and not any(entry.prominent for entry in built.entries)

    def test_a_coordination_request_links_to_its_thread_when_that_page_exists(self, task, unit_staff, city):
        request = services.ask_coordination(task, unit_staff, city["east"], "协调", "请协调")
        entry = next(entry for entry in timeline.build(task).entries if entry.kind == "coordination")
        try:
            expected = reverse("rectification:coordination_detail", kwargs={"pk": request.pk})
        except NoReverseMatch:
            expected = ""
        assert entry.url == expected
        assert "0 days since asked" in entry.meta

    def test_a_fixed_number_of_queries_whatever_the_number_of_entries(self, task, unit_staff, supervisor_in_scope, photo, upload_file):
        from tests.rectification.conftest import png_bytes

        services.add_progress(task, unit_staff, entry_date=TODAY(), text="1", percent=10, files=[photo])
        services.urge(task, supervisor_in_scope, "催")
        with CaptureQueriesContext(connection) as few:
            timeline.build(task)
        for number in range(6):
            files = [upload_file(f"照片{number}.png", png_bytes()), upload_file(f"照片{number}b.png", png_bytes())]
            services.add_progress(task, unit_staff, entry_date=TODAY(), text=str(number), percent=20 + number, files=files)
            services.urge(task, supervisor_in_scope, f"催{number}")
        task.unit = UnitFactory(parent=task.unit, name="新单位")
        task.save()
        with CaptureQueriesContext(connection) as many:
            built = timeline.build(task)
        assert len(built.entries) >= 15
        # one more query only: the names of the units in the unit change
        assert len(many) <= len(few) + 1

    def test_an_author_without_a_name_is_shown_by_login(self, task):
        user = UserFactory(username="wang-xm", first_name="", last_name="")
        assert timeline.person_name(user) == "wang-xm"
        assert timeline.person_name(None) == ""
