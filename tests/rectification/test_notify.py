"""Notifications (DESIGN §4): who is told, exactly once, and e-mail sent exactly once."""

import datetime
import json
import smtplib
import threading
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from campaign.models import Role
from rectification import notify, services
from rectification.models import (
    Alert,
    CoordinationRequest,
    JobRun,
    Notification,
    Task,
    Term,
    Verification,
    WarningLevel,
    WarningPolicy,
)
from rectification.tasks import (
    deliver_notification,
    deliver_pending,
    send_daily_digests,
    send_deadline_reminders,
    sweep_overdue,
)
from tests.factories import (
    BatchFactory,
    CampaignFactory,
    MembershipFactory,
    SupervisionGroupFactory,
    TaskFactory,
    UserFactory,
)
from tests.rectification.email_backends import FailFirstLocmemBackend
from tests.rectification.shared_db import connect_this_thread, shared_database

FAIL_FIRST = "tests.rectification.email_backends.FailFirstLocmemBackend"


def member(unit, role, username, **fields):
    return MembershipFactory(unit=unit, role=role, user=UserFactory(username=username, **fields)).user


@pytest.fixture
def people(city, campaign, unit_staff):
    """Everyone who may hear about the east community's task, and some who may not."""
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="第一督导组")
    group.units.add(city["east"])
    group.leader = UserFactory(username="group-leader")
    group.save()
    group.members.add(UserFactory(username="group-member"))
    other = SupervisionGroupFactory(campaign=CampaignFactory(issuing_unit=city["city"]), organising_unit=city["city"])
    other.units.add(city["east"])
    other.members.add(UserFactory(username="other-campaign-supervisor"))
    west = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="第二督导组")
    west.units.add(city["west"])
    west.members.add(UserFactory(username="west-group-member"))
    return {
        "staff": unit_staff,
        "street_staff": member(city["east_street"], Role.STAFF, "street-staff"),
        "unit_leader": member(city["east_community"], Role.LEADER, "community-leader"),
        "district_leader": member(city["east"], Role.LEADER, "district-leader"),
        "west_staff": member(city["west_community"], Role.STAFF, "west-community-staff"),
        "group": group,
    }


def alert_for(task, level):
    return Alert.objects.create(task=task, level=level, due_date=task.due_date)


def recipients(alert):
    return set(Notification.objects.filter(alert=alert).values_list("user__username", flat=True))


@pytest.mark.django_db
class TestRecipients:
    def test_a_yellow_alert_goes_to_the_units_own_staff_only(self, task, people):
        alert = alert_for(task, WarningLevel.YELLOW)
        notify.make_alert_notifications()
        assert recipients(alert) == {"community-staff"}

    def test_a_unit_without_staff_is_served_by_its_nearest_ancestor_with_staff(self, city, batch, people):
        MembershipFactory(unit=city["east"], role=Role.STAFF, user=UserFactory(username="district-staff"))
        task = TaskFactory(unit=city["east_community"], problem__batch=batch)
        people["staff"].memberships.all().delete()
        alert = alert_for(task, WarningLevel.YELLOW)
        notify.make_alert_notifications()
        assert recipients(alert) == {"street-staff"}

    def test_a_red_alert_asks_the_units_staff_only_never_its_leaders(self, task, people):
        alert = alert_for(task, WarningLevel.RED)
        notify.make_alert_notifications()
        assert recipients(alert) == {"community-staff"}

    def test_a_unit_without_a_leader_has_no_leader_above_asked_to_explain(self, task, people):
        people["unit_leader"].memberships.all().delete()
        alert = alert_for(task, WarningLevel.RED)
        notify.make_alert_notifications()
        assert recipients(alert) == {"community-staff"}

    def test_an_escalated_alert_also_goes_to_the_supervising_group_never_to_leaders(self, task, people):
        alert = alert_for(task, WarningLevel.ESCALATED)
        notify.make_alert_notifications()
        assert recipients(alert) == {"community-staff", "group-leader", "group-member"}

    def test_an_alert_gone_stale_is_processed_without_notifying(self, task, people):
        alert = alert_for(task, WarningLevel.YELLOW)
        task.due_date += datetime.timedelta(days=30)  # an approved extension moved it
        task.save()
        assert notify.make_alert_notifications() == {"alerts": 1, "notifications": 0, "robot_messages": 0}
        alert.refresh_from_db()
        assert alert.processed_at is not None

    def test_inactive_users_are_not_notified(self, task, people):
        group_member = people["group"].members.get()
        group_member.is_active = False
        group_member.save()
        alert = alert_for(task, WarningLevel.ESCALATED)
        notify.make_alert_notifications()
        assert recipients(alert) == {"community-staff", "group-leader"}

    def test_the_message_names_the_task_and_links_to_it_in_the_site_language(self, task, people):
        alert = alert_for(task, WarningLevel.RED)
        with translation.override("en"):
            notify.make_alert_notifications()
        with translation.override("zh-hans"):
            title, body = notify.alert_text(alert)
        notification = Notification.objects.get(alert=alert, user=people["staff"])
        assert (notification.title, notification.body) == (title, body)
        assert task.title in notification.title and task.due_date.isoformat() in notification.body
        assert notification.url == reverse("rectification:task_detail", args=[task.pk])
        assert notification.task == task and notification.kind == "alert"

    def test_a_user_without_an_email_address_gets_the_notification_but_no_email(self, task, people):
        people["staff"].email = ""
        people["staff"].save()
        member(task.unit, Role.STAFF, "second-staff", email="second@example.org")
        alert = alert_for(task, WarningLevel.RED)
        notify.make_alert_notifications()
        statuses = dict(Notification.objects.filter(alert=alert).values_list("user__username", "email_status"))
        assert statuses == {"community-staff": "none", "second-staff": "pending"}


@pytest.mark.django_db
class TestExactlyOnce:
    def test_running_twice_makes_one_notification_per_alert_and_user(self, task, people):
        alert = alert_for(task, WarningLevel.ESCALATED)
        first = notify.make_alert_notifications()
        second = notify.make_alert_notifications()
        assert first == {"alerts": 1, "notifications": 3, "robot_messages": 0}
        assert second == {"alerts": 0, "notifications": 0, "robot_messages": 0}
        assert Notification.objects.filter(alert=alert).count() == 3
        alert.refresh_from_db()
        assert alert.processed_at is not None

    def test_an_alert_claimed_by_another_worker_is_left_alone(self, task, people):
        alert = alert_for(task, WarningLevel.RED)
        real_recipients = notify.alert_recipients

        def another_worker_claims_it_meanwhile(audience, loaded):
            Alert.objects.filter(pk=loaded.pk).update(processed_at=timezone.now())
            return real_recipients(audience, loaded)

        with mock.patch("rectification.notify.alerts.alert_recipients", side_effect=another_worker_claims_it_meanwhile):
            made = notify.make_alert_notifications()
        assert made == {"alerts": 0, "notifications": 0, "robot_messages": 0}
        assert not Notification.objects.filter(alert=alert).exists()

    def test_if_writing_fails_the_claim_is_rolled_back_and_the_next_run_sends(self, task, people):
        alert = alert_for(task, WarningLevel.RED)
        with mock.patch("rectification.notify.alerts.save_new", side_effect=RuntimeError("database went away")):
            with pytest.raises(RuntimeError):
                notify.make_alert_notifications()
        alert.refresh_from_db()
        assert alert.processed_at is None
        assert notify.make_alert_notifications() == {"alerts": 1, "notifications": 1, "robot_messages": 0}


@pytest.mark.django_db(transaction=True)
def test_two_threads_at_once_claim_each_alert_once(city, batch, unit_staff, tmp_path):
    """Each alert is claimed by exactly one of two concurrent runs (compare-and-set)."""
    MembershipFactory(unit=city["east_community"], role=Role.STAFF, user=UserFactory(username="second-staff"))
    alerts = [alert_for(TaskFactory(unit=city["east_community"], problem__batch=batch), WarningLevel.RED) for _ in range(40)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(database):
        try:
            connect_this_thread(database)
            barrier.wait(timeout=10)
            results.append(notify.make_alert_notifications())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    with shared_database(tmp_path) as database:
        threads = [threading.Thread(target=run, args=[database]) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 2, results
    assert sum(result["alerts"] for result in results) == len(alerts)
    assert sum(result["notifications"] for result in results) == 2 * len(alerts)
    assert Notification.objects.count() == 2 * len(alerts)
    assert not Alert.objects.filter(processed_at__isnull=True).exists()


@pytest.fixture
def notification(task, unit_staff):
    return Notification.objects.create(
        user=unit_staff, task=task, kind="alert", key="alert:test", title="超期:解决明达小区吃水难问题",
        body="请说明原因", url="/rectification/tasks/1/",
    )  # fmt: skip


@pytest.mark.django_db
class TestEmail:
    def test_it_sends_once_even_when_delivered_twice(self, notification):
        assert notify.deliver_email(notification.pk) == "sent"
        assert notify.deliver_email(notification.pk) == "not claimed"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["community-staff@example.org"] and notification.title in message.subject
        assert "请说明原因" in message.body and "http://campaign.test/rectification/tasks/1/" in message.body
        notification.refresh_from_db()
        assert notification.email_status == "sent" and notification.email_sent_at and notification.email_attempts == 1

    def test_a_message_being_sent_is_not_claimed_again(self, notification):
        Notification.objects.filter(pk=notification.pk).update(email_status="sending", email_claimed_at=timezone.now())
        assert notify.deliver_email(notification.pk) == "not claimed"
        assert mail.outbox == []

    def test_a_claim_left_by_a_dead_worker_is_taken_over_after_ten_minutes(self, notification):
        long_ago = timezone.now() - datetime.timedelta(minutes=11)
        Notification.objects.filter(pk=notification.pk).update(email_status="sending", email_claimed_at=long_ago)
        assert notify.deliver_email(notification.pk) == "sent"
        assert len(mail.outbox) == 1

    def test_a_transient_failure_is_retried_and_delivered_exactly_once(self, notification):
        FailFirstLocmemBackend.failed.clear()
        with override_settings(EMAIL_BACKEND=FAIL_FIRST):
            result = deliver_notification.apply(args=[notification.pk])
        assert result.successful() and result.result == "sent"
        assert len(mail.outbox) == 1
        notification.refresh_from_db()
        assert notification.email_status == "sent" and notification.email_attempts == 2

    def test_a_transient_failure_puts_the_message_back_and_keeps_the_error(self, notification):
        with mock.patch("rectification.notify.email.send_mail", side_effect=smtplib.SMTPServerDisconnected("gone")):
            with pytest.raises(notify.TransientEmailError):
                notify.deliver_email(notification.pk)
        notification.refresh_from_db()
        assert notification.email_status == "pending" and notification.email_attempts == 1
        assert "SMTPServerDisconnected: gone" in notification.email_error

    @pytest.mark.parametrize("error", [ConnectionRefusedError("refused"), TimeoutError("timed out")])
    def test_network_errors_count_as_transient(self, notification, error):
        with mock.patch("rectification.notify.email.send_mail", side_effect=error):
            with pytest.raises(notify.TransientEmailError):
                notify.deliver_email(notification.pk)

    def test_after_the_last_attempt_it_is_marked_failed(self, notification):
        with mock.patch("rectification.notify.email.send_mail", side_effect=smtplib.SMTPServerDisconnected("down")) as send:
            result = deliver_notification.apply(args=[notification.pk])
        assert result.result == "failed" and send.call_count == notify.MAX_EMAIL_ATTEMPTS
        notification.refresh_from_db()
        assert notification.email_status == "failed" and notification.email_attempts == notify.MAX_EMAIL_ATTEMPTS
        assert notify.deliver_email(notification.pk) == "not claimed"

    def test_an_unexpected_error_fails_the_message_without_retrying(self, notification):
        with mock.patch("rectification.notify.email.send_mail", side_effect=ValueError("bad header")):
            with pytest.raises(ValueError):
                notify.deliver_email(notification.pk)
        notification.refresh_from_db()
        assert notification.email_status == "failed" and "bad header" in notification.email_error

    def test_a_user_whose_address_was_removed_gets_no_email(self, notification, unit_staff):
        unit_staff.email = ""
        unit_staff.save()
        assert notify.deliver_email(notification.pk) == "no address"
        notification.refresh_from_db()
        assert notification.email_status == "none" and mail.outbox == []

    def test_deliverable_skips_fresh_claims_and_sent_messages(self, notification, unit_staff):
        now = timezone.now()
        other = Notification.objects.create(user=unit_staff, kind="alert", key="alert:other", title="t")
        Notification.objects.filter(pk=other.pk).update(email_status="sent")
        retry_soon = Notification.objects.create(user=unit_staff, kind="alert", key="alert:retry", title="t")
        Notification.objects.filter(pk=retry_soon.pk).update(email_claimed_at=now - datetime.timedelta(minutes=1))
        retry_due = Notification.objects.create(user=unit_staff, kind="alert", key="alert:due", title="t")
        Notification.objects.filter(pk=retry_due.pk).update(email_claimed_at=now - datetime.timedelta(minutes=6))
        assert set(notify.deliverable(now)) == {notification, retry_due}


@pytest.mark.django_db
class TestReminders:
    TODAY = datetime.date(2026, 11, 28)

    def make(self, city, batch, term, days):
        return TaskFactory(
            unit=city["east_community"], problem__batch=batch, term=term, due_date=self.TODAY + datetime.timedelta(days=days)
        )

    def test_it_reminds_staff_of_tasks_due_within_the_terms_days(self, city, batch, people):
        due_soon = self.make(city, batch, Term.SHORT, 3)
        later = self.make(city, batch, Term.SHORT, 4)
        long_term = self.make(city, batch, Term.LONG, 7)
        immediate_later = self.make(city, batch, Term.IMMEDIATE, 2)
        made = notify.make_deadline_reminders(self.TODAY)
        reminded = set(Notification.objects.filter(kind="reminder").values_list("task_id", flat=True))
        assert reminded == {due_soon.pk, long_term.pk}
        assert made == {"tasks": 2, "notifications": 2, "robot_messages": 0}
        assert later.pk not in reminded and immediate_later.pk not in reminded
        note = Notification.objects.get(task=due_soon)
        assert note.user == people["staff"] and note.key == f"reminder:{due_soon.pk}:2026-12-01"

    def test_a_campaigns_policy_sets_its_own_reminder_days(self, city, batch, people):
        WarningPolicy.objects.create(campaign=batch.campaign, term=Term.SHORT, window_days=3, reminder_days=10)
        task = self.make(city, batch, Term.SHORT, 9)
        other_batch = BatchFactory(campaign=CampaignFactory(issuing_unit=city["city"]))
        not_this_campaign = TaskFactory(
            unit=city["east_community"], problem__batch=other_batch, term=Term.SHORT, due_date=self.TODAY + datetime.timedelta(days=9)
        )
        notify.make_deadline_reminders(self.TODAY)
        assert set(Notification.objects.values_list("task_id", flat=True)) == {task.pk}
        assert not_this_campaign.pk

    def test_it_reminds_once_per_due_date_and_again_after_an_extension(self, city, batch, people):
        task = self.make(city, batch, Term.SHORT, 2)
        notify.make_deadline_reminders(self.TODAY)
        assert notify.make_deadline_reminders(self.TODAY + datetime.timedelta(days=1))["notifications"] == 0
        task.due_date = self.TODAY + datetime.timedelta(days=3)
        task.save()
        notify.make_deadline_reminders(self.TODAY + datetime.timedelta(days=1))
        assert Notification.objects.filter(task=task).count() == 2

    def test_closed_and_waiting_tasks_are_not_reminded(self, city, batch, people):
        task = self.make(city, batch, Term.SHORT, 1)
        type(task).objects.filter(pk=task.pk).update(status="pending_verification")
        assert notify.make_deadline_reminders(self.TODAY)["notifications"] == 0


@pytest.fixture
def group_supervisor(city, campaign):
    """A supervision group member watching the east district."""
    group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"], name="东区督导组")
    group.units.add(city["east"])
    user = UserFactory(username="digest-supervisor")
    group.members.add(user)
    return user


@pytest.mark.django_db
class TestDigests:
    def test_a_supervisor_gets_one_digest_a_day_with_what_needs_attention(self, city, batch, task, group_supervisor, supervisor_in_scope):
        overdue = TaskFactory(
            unit=city["east_community"], problem__batch=batch, title="超期未说明的任务",
            due_date=timezone.localdate() - datetime.timedelta(days=2),
        )  # fmt: skip
        Verification.objects.create(task=task, note="已完成")
        CoordinationRequest.objects.create(
            task=task, from_unit=city["east_community"], to_unit=city["east"], subject="协调供水管网", text="需要资金"
        )
        made = notify.make_daily_digests()
        assert made == {"digests": 2, "empty": 0}
        digest = Notification.objects.get(user=group_supervisor, kind="digest")
        assert digest.key == f"digest:{timezone.localdate().isoformat()}"
        assert overdue.title in digest.body and task.title in digest.body and "协调供水管网" in digest.body
        assert notify.make_daily_digests() == {"digests": 0, "empty": 0}
        assert Notification.objects.filter(kind="digest").count() == 2

    def test_nothing_to_report_sends_no_digest(self, task, group_supervisor):
        Task.objects.filter(pk=task.pk).update(progress=90)  # ahead of its time: not at risk
        assert notify.make_daily_digests() == {"digests": 0, "empty": 1}
        assert not Notification.objects.exists()

    def test_a_digest_covers_only_the_supervisors_scope(self, batch, group_supervisor, other_district, supervisor_out_of_scope):
        TaskFactory(
            unit=other_district, problem__batch=batch, title="北区超期任务",
            due_date=timezone.localdate() - datetime.timedelta(days=2),
        )  # fmt: skip
        notify.make_daily_digests()
        assert list(Notification.objects.values_list("user__username", flat=True)) == [supervisor_out_of_scope.username]

    def test_tasks_at_risk_are_in_the_digest(self, city, batch, group_supervisor):
        today = timezone.localdate()
        lagging = TaskFactory(
            unit=city["east_community"], problem__batch=batch, title="进度滞后的任务",
            start_date=today - datetime.timedelta(days=80), due_date=today + datetime.timedelta(days=20),
        )  # fmt: skip
        on_track = TaskFactory(
            unit=city["east_community"], problem__batch=batch, title="进度正常的任务",
            start_date=today - datetime.timedelta(days=80), due_date=today + datetime.timedelta(days=20),
        )  # fmt: skip
        Task.objects.filter(pk=on_track.pk).update(progress=70)
        notify.make_daily_digests()
        digest = Notification.objects.get(user=group_supervisor, kind="digest")
        assert "Tasks at risk" in digest.body or "滞后" in digest.body
        assert lagging.title in digest.body and on_track.title not in digest.body

    def test_a_new_day_brings_a_new_digest(self, city, batch, group_supervisor):
        TaskFactory(
            unit=city["east_community"], problem__batch=batch, due_date=timezone.localdate() - datetime.timedelta(days=2)
        )
        notify.make_daily_digests()
        notify.make_daily_digests(now=timezone.now() + datetime.timedelta(days=1))
        assert Notification.objects.filter(user=group_supervisor).count() == 2


@pytest.mark.django_db
class TestUrge:
    def test_urging_tells_the_units_staff_once_and_queues_the_email(self, task, people, supervisor_in_scope, committed):
        with committed() as delay:
            urge = services.urge(task, supervisor_in_scope, "请本周内拿出方案")
        assert notify.notify_urge(urge) == 0  # once per urge, whoever asks again
        note = Notification.objects.get(kind="urge")
        assert note.user == people["staff"] and note.key == f"urge:{urge.pk}" and "请本周内拿出方案" in note.body
        assert "east-supervisor" in note.body
        delay.assert_called_with(note.pk)


@pytest.mark.django_db
def test_the_unread_count_is_one_query_and_only_for_signed_in_users(client, unit_staff, notification, django_assert_num_queries):
    from rectification.context_processors import notifications

    request = mock.Mock(user=unit_staff)
    context = notifications(request)
    with django_assert_num_queries(1):
        assert int(str(context["unread_notifications"])) == 1
    notification.read_at = timezone.now()
    notification.save()
    assert notifications(mock.Mock(user=mock.Mock(is_authenticated=False))) == {}


@pytest.mark.django_db
class TestCeleryTasks:
    def test_the_sweep_task_raises_alerts_notifies_and_queues_the_emails(
        self, city, batch, unit_staff, django_capture_on_commit_callbacks
    ):
        overdue = TaskFactory(
            unit=city["east_community"], problem__batch=batch, due_date=timezone.localdate() - datetime.timedelta(days=1)
        )
        with mock.patch("rectification.tasks.deliver_notification.delay") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                result = sweep_overdue.apply().get()
        note = Notification.objects.get(task=overdue)
        delay.assert_called_once_with(note.pk)
        assert result["alerts_created"] == 1 and result["notified_notifications"] == 1 and result["queued"] == 1
        assert json.loads(json.dumps(result)) == result
        assert JobRun.objects.get(name="rectification.sweep_overdue").ok

    def test_deliver_pending_queues_only_what_waits(self, notification, unit_staff, django_capture_on_commit_callbacks):
        Notification.objects.create(user=unit_staff, kind="alert", key="sent", title="t", email_status="sent")
        with mock.patch("rectification.tasks.deliver_notification.delay") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                assert deliver_pending.apply().get() == {"queued": 1}
        delay.assert_called_once_with(notification.pk)

    def test_reminder_and_digest_tasks_report_their_counts(self, city, batch, unit_staff, group_supervisor):
        TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=timezone.localdate() + datetime.timedelta(days=1))
        TaskFactory(unit=city["east_community"], problem__batch=batch, due_date=timezone.localdate() - datetime.timedelta(days=2))
        with mock.patch("rectification.tasks.deliver_notification.delay"):
            assert send_deadline_reminders.apply().get()["notifications"] == 1
            assert send_daily_digests.apply().get()["digests"] == 1


class TestBeatSchedule:
    INTERVALS = {
        "rectification.tasks.sweep_overdue": 3600,
        "rectification.tasks.deliver_pending": 300,
        "rectification.tasks.send_daily_digests": 86400,
        "rectification.tasks.send_deadline_reminders": 86400,
        "public.tasks.erase_expired_contacts": 86400,
        "reports.tasks.snapshot_ended_phases": 86400,
        "reports.tasks.take_snapshots": 86400,
        "rectification.tasks.prune_exports": 86400,
    }

    def test_each_job_is_scheduled_once_and_expires_just_before_its_next_run(self):
        from config.celery import app

        app.loader.import_default_modules()  # what a worker does when it starts: every app's tasks.py
        entries = settings.CELERY_BEAT_SCHEDULE.values()
        assert sorted(entry["task"] for entry in entries) == sorted(self.INTERVALS)
        for entry in entries:
            assert entry["task"] in app.tasks
            interval = self.INTERVALS[entry["task"]]
            assert 0.8 * interval <= entry["options"]["expires"] < interval, entry

    def test_the_sweep_runs_hourly_including_five_past_midnight_and_the_daily_jobs_in_the_morning(self):
        by_task = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        sweep = by_task["rectification.tasks.sweep_overdue"]
        assert sweep.hour == set(range(24)) and sweep.minute == {5}
        assert (by_task["rectification.tasks.send_daily_digests"].hour, by_task["rectification.tasks.send_daily_digests"].minute) == ({7}, {30})
        assert (by_task["rectification.tasks.send_deadline_reminders"].hour, by_task["rectification.tasks.send_deadline_reminders"].minute) == ({8}, {0})
        assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
