"""Reviews with an outcome (issue 9, point 4): an overdue explanation is 认可 or
不予认可（要求重新说明）, with a note the unit reads and is told of; a refused explanation
counts as none for the warning level. Accountability records carry the person's post,
the deciding body (a unit, never a supervision group) and the decision document, and
show on their tasks' timelines and in the notices of the unit concerned."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rectification import policy, services, spotchecks, timeline
from rectification.models import AccountabilityRecord, Notification, WarningLevel, WarningPolicy
from rectification.models.supervision import AccountabilityMeasure
from rectification.sweep import run_sweep
from tests.rectification.conftest import pdf_bytes

DAY = datetime.timedelta(days=1)


def overdue(task, days):
    """Make ``task`` overdue by ``days`` today (its level as Task.save stores it)."""
    task.due_date = timezone.localdate() - days * DAY
    task.save()
    return task


def stored_level_agrees_with_the_rule(task, now):
    task.refresh_from_db()
    rule = policy.warning_level(task, timezone.localdate(now), WarningPolicy.objects.effective(task.batch_id, task.term))
    assert task.warning_level == rule
    return task.warning_level


@pytest.mark.django_db
class TestExplanationReview:
    def test_a_refused_explanation_turns_the_task_to_escalated_on_schedule(
        self, task, unit_staff, supervisor_in_scope, committed
    ):
        """Overdue by 1 day, explained, refused: red while within the 3 days' grace, 督办 on the
        4th day as if never explained; the sweep's UPDATEs and the rule agree every day."""
        overdue(task, 1)
        explanation = services.give_explanation(task, unit_staff, "funds", "资金未到位")
        with committed():
            services.review_explanation(explanation, supervisor_in_scope, "理由不充分，请重新说明", accepted=False)
        task.refresh_from_db()
        assert task.explained_at is None and task.warning_level == WarningLevel.RED
        now = timezone.now()
        run_sweep(now=now + 2 * DAY)  # 3 days overdue: still within the grace days
        assert stored_level_agrees_with_the_rule(task, now + 2 * DAY) == WarningLevel.RED
        run_sweep(now=now + 3 * DAY)  # 4 days overdue, no explanation that counts
        assert stored_level_agrees_with_the_rule(task, now + 3 * DAY) == WarningLevel.ESCALATED

    def test_an_accepted_explanation_keeps_the_task_red_until_30_days(self, task, unit_staff, supervisor_in_scope):
        overdue(task, 1)
        explanation = services.give_explanation(task, unit_staff, "funds", "资金未到位")
        services.review_explanation(explanation, supervisor_in_scope, "情况属实", accepted=True)
        now = timezone.now()
        run_sweep(now=now + 10 * DAY)
        assert stored_level_agrees_with_the_rule(task, now + 10 * DAY) == WarningLevel.RED

    def test_the_unit_is_told_of_the_outcome_with_the_note(self, task, unit_staff, supervisor_in_scope, committed):
        overdue(task, 2)
        explanation = services.give_explanation(task, unit_staff, "objective", "施工队未进场")
        with committed():
            services.review_explanation(explanation, supervisor_in_scope, "请说明施工队何时进场", accepted=False)
        notice = Notification.objects.get(user=unit_staff, key=f"explanation-review:{explanation.pk}")
        assert "请说明施工队何时进场" in notice.body and notice.task_id == task.pk
        assert "重新说明" in notice.title

    def test_refusing_needs_a_note_and_a_review_is_given_once(self, task, unit_staff, supervisor_in_scope):
        overdue(task, 2)
        explanation = services.give_explanation(task, unit_staff, "funds", "资金未到位")
        with pytest.raises(ValidationError):
            services.review_explanation(explanation, supervisor_in_scope, " ", accepted=False)
        services.review_explanation(explanation, supervisor_in_scope, "", accepted=True)
        with pytest.raises(ValidationError):
            services.review_explanation(explanation, supervisor_in_scope, "改判", accepted=False)
        explanation.refresh_from_db()
        assert explanation.accepted is True

    def test_a_newer_explanation_is_not_undone_by_refusing_an_older_one(self, task, unit_staff, supervisor_in_scope):
        overdue(task, 2)
        older = services.give_explanation(task, unit_staff, "funds", "资金未到位")
        services.give_explanation(task, unit_staff, "funds", "补充说明：资金已申请")
        services.review_explanation(older, supervisor_in_scope, "不充分", accepted=False)
        task.refresh_from_db()
        assert task.explained_at is not None

    def test_the_queue_offers_both_outcomes_and_the_unit_reads_the_refusal_on_its_task(
        self, client, task, unit_staff, supervisor_in_scope
    ):
        overdue(task, 2)
        explanation = services.give_explanation(task, unit_staff, "funds", "专项资金未下达")
        client.force_login(supervisor_in_scope)
        queue = client.get(reverse("rectification:queue") + "?tab=explanations").content.decode()
        assert "认可" in queue and "不予认可（要求重新说明）" in queue and "标为已审阅" not in queue
        url = reverse("rectification:explanation_review", args=[explanation.pk])
        prefix = f"explanations-{explanation.pk}"
        kept = client.post(url, {f"{prefix}-decision": "refuse", f"{prefix}-note": ""})
        assert kept.status_code == 200 and "专项资金未下达" in kept.content.decode()
        client.post(url, {f"{prefix}-decision": "refuse", f"{prefix}-note": "未说明资金何时到位"})
        explanation.refresh_from_db()
        assert explanation.accepted is False
        client.force_login(unit_staff)
        page = client.get(reverse("rectification:task_detail", args=[task.pk])).content.decode()
        assert "原因说明不予认可" in page and "未说明资金何时到位" in page
        assert 'data-testid="explain-callout"' in page  # asked to explain again


def document(name="约谈决定书.pdf", content=None):
    return SimpleUploadedFile(name, content or pdf_bytes(), content_type="application/pdf")


@pytest.mark.django_db
class TestAccountabilityRecords:
    def record(self, user, city, task, **extra):
        fields = {
            "unit": city["east_community"],
            "measure": AccountabilityMeasure.TALK,
            "decided_on": timezone.localdate(),
            "deciding_unit": city["east"],
            "person_name": "王某",
            "person_post": "党支部书记",
            "tasks": [task],
            "note": "整改超期未说明",
            "document": document(),
            **extra,
        }
        return spotchecks.record_accountability(user, **fields)

    def test_it_carries_the_post_the_deciding_unit_and_the_document(self, city, task, supervisor_in_scope):
        record = self.record(supervisor_in_scope, city, task)
        record.refresh_from_db()
        assert record.person_post == "党支部书记" and record.deciding_body == "中共东区委员会"
        assert record.document_name == "约谈决定书.pdf" and record.document_type == "application/pdf"

    def test_the_deciding_body_is_a_unit_above_or_its_department_never_another_district(
        self, city, task, supervisor_in_scope
    ):
        with pytest.raises(ValidationError):
            self.record(supervisor_in_scope, city, task, deciding_unit=city["west"])
        assert not AccountabilityRecord.objects.exists()
        department = type(city["city"]).objects.create(parent=city["city"], name="中共测试市纪律检查委员会", kind="department")
        record = self.record(supervisor_in_scope, city, task, deciding_unit=department)
        assert record.deciding_unit == department

    def test_the_document_is_checked_as_evidence(self, city, task, supervisor_in_scope):
        with pytest.raises(ValidationError):
            self.record(supervisor_in_scope, city, task, document=document("决定.pdf", b"MZ\x90\x00 not a pdf"))
        assert not AccountabilityRecord.objects.exists()

    def test_it_shows_on_the_tasks_timeline(self, city, task, supervisor_in_scope):
        self.record(supervisor_in_scope, city, task)
        entries = [entry for entry in timeline.build(task).entries if entry.kind == "accountability"]
        assert len(entries) == 1
        assert "党支部书记 王某" in entries[0].title and "中共东区委员会" in entries[0].meta
        assert entries[0].evidence[0].name == "约谈决定书.pdf"

    def test_the_unit_concerned_is_notified(self, city, task, unit_staff, supervisor_in_scope, committed):
        with committed():
            record = self.record(supervisor_in_scope, city, task)
        notice = Notification.objects.get(user=unit_staff)
        assert notice.task_id == task.pk and "约谈" in notice.title and "党支部书记" in notice.body
        assert str(record.deciding_body) in notice.body

    def test_the_document_is_read_by_the_unit_and_its_supervisors_only(
        self, client, city, task, unit_staff, supervisor_in_scope, other_district_staff
    ):
        record = self.record(supervisor_in_scope, city, task)
        url = reverse("rectification:accountability_document", args=[record.pk])
        for user, status in ((unit_staff, 200), (supervisor_in_scope, 200), (other_district_staff, 404)):
            client.force_login(user)
            assert client.get(url).status_code == status
        client.logout()
        assert client.get(url).status_code == 302

    def test_the_form_records_post_body_and_document(self, client, city, task, supervisor_in_scope):
        client.force_login(supervisor_in_scope)
        url = reverse("rectification:accountability_create")
        data = {
            "unit": city["east_community"].pk, "person_name": "王某", "person_post": "党支部书记",
            "measure": AccountabilityMeasure.TALK, "decided_on": f"{timezone.localdate():%Y-%m-%d}",
            "deciding_unit": city["east"].pk, "note": "整改不力", "tasks": [task.pk], "document": document(),
        }  # fmt: skip
        assert client.post(url, data).status_code == 302
        record = AccountabilityRecord.objects.get()
        assert record.person_post == "党支部书记" and record.deciding_unit == city["east"] and record.document
        listing = client.get(reverse("rectification:accountability_list")).content.decode()
        assert "约谈决定书.pdf" in listing and "中共东区委员会" in listing



@pytest.mark.django_db
def test_the_deciding_body_picker_offers_the_units_above_and_no_other_district(client, city, supervisor_in_scope):
    """The 市委 above the supervisor's district is offered though the supervisor does not supervise it."""
    client.force_login(supervisor_in_scope)
    search = reverse("campaign:unit_search")
    found = client.get(search, {"source": "deciding", "q": "委员会"}).content.decode()
    assert "中共测试市委员会" in found and "中共东区委员会" in found and "中共西区委员会" not in found
