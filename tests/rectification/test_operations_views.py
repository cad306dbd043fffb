"""The operations page: administrators only; jobs, queues, warning policies."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import UnitKind
from rectification.jobs import job_run
from rectification.models import Alert, JobRun, Notification, Task, Term, WarningLevel, WarningPolicy
from rectification.sweep import run_sweep
from tests.conftest import in_english
from tests.factories import CampaignFactory, TaskFactory, UnitFactory

OPERATIONS = reverse("rectification:operations")
SWEEP = reverse("rectification:operations_sweep")


def policy_url(campaign):
    return reverse("rectification:warningpolicy_edit", args=[campaign.pk])


def policy_post(**overrides):
    rows = {
        Term.IMMEDIATE: {"window_days": 1, "escalate_after_days": 30, "explanation_grace_days": 3, "reminder_days": 0},
        Term.SHORT: {"window_days": 3, "escalate_after_days": 30, "explanation_grace_days": 3, "reminder_days": 1},
        Term.LONG: {"window_days": 15, "escalate_after_days": 30, "explanation_grace_days": 3, "reminder_days": 5},
    }
    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3", "form-MIN_NUM_FORMS": "3", "form-MAX_NUM_FORMS": "3"}
    for i, term in enumerate(Term.values):
        values = {"term": term, **rows[term], **overrides.get(term, {})}
        data.update({f"form-{i}-{key}": str(value) for key, value in values.items()})
    return data


# --- who may see it -------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in(client, campaign):
    for url in (OPERATIONS, policy_url(campaign)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    response = client.post(SWEEP)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not JobRun.objects.exists()


def test_staff_who_are_not_administrators_are_refused(client, staff_above, supervisor_in_scope, campaign):
    for user in (staff_above, supervisor_in_scope):
        client.force_login(user)
        assert client.get(OPERATIONS).status_code == 403
        assert client.get(policy_url(campaign)).status_code == 403
        assert client.post(SWEEP).status_code == 403
    assert not JobRun.objects.exists()


def test_an_administrator_sees_jobs_queues_and_policies(client, city_admin, campaign, task):
    WarningPolicy.objects.create(campaign=campaign, term=Term.LONG, window_days=20)
    run_sweep()
    Alert.objects.create(task=task, level=WarningLevel.RED, due_date=task.due_date)
    Notification.objects.create(
        user=city_admin, task=task, kind="alert", key="alert:1", title="超期", email_status=Notification.Email.FAILED
    )
    client.force_login(city_admin)
    response = client.get(OPERATIONS)
    assert response.status_code == 200
    assert response.context["queues"] == {
        "alerts_unprocessed": 1,
        "emails_pending": 0,
        "emails_sending": 0,
        "emails_failed": 1,
        "robot_messages_pending": 0,
        "robot_messages_failed": 0,
    }
    (item,) = response.context["runs"]
    assert item["run"].name == "overdue_sweep" and item["run"].ok
    assert [(change["key"], change["value"]) for change in item["changes"]] == [
        ("today", timezone.localdate().isoformat()),
        ("escalated", 0),
        ("red", 0),
        ("yellow", 0),
        ("none", 0),
        ("alerts_created", 0),
    ]
    (policies,) = response.context["campaigns"]
    assert policies["editable"]
    windows = [(row["policy"].window_days, row["is_default"]) for row in policies["rows"]]
    assert windows == [(1, True), (3, True), (20, False)]
    assert policy_url(campaign) in response.content.decode()


def test_a_superuser_sees_the_page(client, campaign, superuser):
    client.force_login(superuser)
    page = client.get(OPERATIONS)
    assert page.status_code == 200
    assert page.context["campaigns"][0]["editable"] and policy_url(campaign) in page.content.decode()
    form = client.get(policy_url(campaign))
    assert form.status_code == 200 and 'name="form-0-window_days"' in form.content.decode()


def test_a_failed_job_shows_that_it_failed_and_why(client, city_admin):
    with job_run("overdue_sweep") as run:
        run.changes = {"red": 2}
    with job_run("digest") as run:
        run.changes = {"sent": 4, "day": "2026-11-28"}
    with pytest.raises(RuntimeError):
        with job_run("notifications.send_emails"):
            raise RuntimeError("SMTP connection refused")
    client.force_login(city_admin)
    page = client.get(OPERATIONS).content.decode()
    assert "SMTP connection refused" in page
    assert 'class="badge bad"' in page
    assert 'class="badge ok"' in page
    runs = {item["run"].name: item for item in client.get(OPERATIONS).context["runs"]}
    assert [(c["key"], c["value"]) for c in runs["digest"]["changes"]] == [("day", "2026-11-28"), ("sent", 4)]


def test_the_page_runs_the_same_number_of_queries_for_more_jobs_and_campaigns(client, city_admin, city):
    client.force_login(city_admin)
    CampaignFactory(issuing_unit=city["city"])
    with job_run("a"):
        pass
    with CaptureQueriesContext(connection) as few:
        client.get(OPERATIONS)
    for name in ("b", "c", "d"):
        for _ in range(3):
            with job_run(name):
                pass
    for _ in range(3):
        WarningPolicy.objects.create(
            campaign=CampaignFactory(issuing_unit=city["city"]), term=Term.SHORT, window_days=5
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(OPERATIONS)
    assert len(response.context["runs"]) == 4 and len(response.context["campaigns"]) == 4
    assert len(many.captured_queries) == len(few.captured_queries)


# --- running the sweep -----------------------------------------------------------------------


def test_an_administrator_can_run_the_sweep_now(client, city_admin, task):
    Task.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(city_admin)
    client.cookies["django_language"] = "en"
    response = client.post(SWEEP, follow=True)
    assert response.redirect_chain[-1][0] == OPERATIONS
    task.refresh_from_db()
    assert task.warning_level == WarningLevel.RED
    assert JobRun.objects.filter(name="overdue_sweep", ok=True).count() == 1
    assert "1 overdue" in response.content.decode()


def test_the_sweep_is_not_run_by_a_get(client, city_admin):
    client.force_login(city_admin)
    assert client.get(SWEEP).status_code == 405
    assert not JobRun.objects.exists()


# --- editing the policies ---------------------------------------------------------------------


def test_the_policy_form_starts_from_the_campaigns_policies_or_the_defaults(client, city_admin, campaign):
    WarningPolicy.objects.create(campaign=campaign, term=Term.SHORT, window_days=7, reminder_days=2)
    client.force_login(city_admin)
    formset = client.get(policy_url(campaign)).context["formset"]
    assert [(f.initial["term"], f.initial["window_days"], f.initial["reminder_days"]) for f in formset] == [
        ("immediate", 1, 0),
        ("short", 7, 2),
        ("long", 15, 0),
    ]


def test_saving_the_policies_stores_one_row_per_term_and_recomputes_the_levels(client, city_admin, campaign, task):
    Task.objects.filter(pk=task.pk).update(term=Term.SHORT, due_date=timezone.localdate() + datetime.timedelta(days=6))
    client.force_login(city_admin)
    response = client.post(policy_url(campaign), policy_post(**{Term.SHORT: {"window_days": 7}}))
    assert response.status_code == 302 and response.url == OPERATIONS
    stored = dict(WarningPolicy.objects.filter(campaign=campaign).values_list("term", "window_days"))
    assert stored == {"immediate": 1, "short": 7, "long": 15}
    assert WarningPolicy.objects.get(campaign=campaign, term=Term.LONG).reminder_days == 5
    task.refresh_from_db()
    assert task.warning_level == WarningLevel.YELLOW


def test_a_wrong_policy_is_refused_with_the_reason_and_keeps_what_was_typed(client, city_admin, campaign):
    client.force_login(city_admin)
    data = policy_post(
        **{
            Term.SHORT: {"window_days": "-2"},
            Term.LONG: {"escalate_after_days": 10, "explanation_grace_days": 12, "reminder_days": ""},
        }
    )
    response = client.post(policy_url(campaign), data)
    assert response.status_code == 200
    forms = response.context["formset"].forms
    assert "window_days" in forms[1].errors
    assert "explanation_grace_days" in forms[2].errors and "reminder_days" in forms[2].errors
    page = response.content.decode()
    assert 'value="-2"' in page and 'value="12"' in page
    assert not WarningPolicy.objects.exists()


def test_a_missing_or_repeated_term_is_refused(client, city_admin, campaign):
    client.force_login(city_admin)
    data = policy_post()
    data["form-2-term"] = "short"
    response = client.post(policy_url(campaign), data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert not WarningPolicy.objects.exists()


def test_a_admin_aboveistrator_may_neither_open_operations_nor_edit_the_city_campaigns_policies(
    client, admin_above, campaign
):
    client.force_login(admin_above)
    response = client.get(OPERATIONS)
    assert response.status_code == 403
    assert "Only the administrators of the whole tree run its background jobs." in in_english(client).get(
        OPERATIONS
    ).content.decode()
    assert client.get(policy_url(campaign)).status_code == 403
    assert client.post(policy_url(campaign), policy_post()).status_code == 403
    assert not WarningPolicy.objects.exists()


def test_a_campaign_of_another_tree_is_not_found(client, admin_above, city_admin, campaign):
    other_root = UnitFactory(name="中共另一市委员会", kind=UnitKind.CITY)
    elsewhere = CampaignFactory(issuing_unit=other_root)
    client.force_login(admin_above)
    assert client.get(policy_url(elsewhere)).status_code == 404
    client.force_login(city_admin)
    assert client.get(policy_url(elsewhere)).status_code == 404
    listed = [item["campaign"].pk for item in client.get(OPERATIONS).context["campaigns"]]
    assert campaign.pk in listed and elsewhere.pk not in listed


def test_the_operations_page_lists_tasks_of_nobody(client, city_admin, task):
    """The page shows counts of the whole system, never a task's title."""
    TaskFactory(unit=task.unit, problem__batch=task.batch, title="不应出现的任务标题")
    client.force_login(city_admin)
    assert "不应出现的任务标题" not in client.get(OPERATIONS).content.decode()


def test_the_real_jobs_are_named_and_their_changes_labelled(client, city_admin, task):
    from django.conf import settings

    from rectification import tasks

    tasks.sweep_overdue.run()
    tasks.send_daily_digests.run()
    client.force_login(city_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    import re

    page = client.get(OPERATIONS).content.decode()
    # what a reader sees, less the jobs' code names shown to operators in <code>
    text = re.sub(r"<code>[^<]*</code>|<[^>]+>", " ", page)
    for raw in ("rectification.sweep_overdue", "rectification.send_daily_digests", "notified_alerts", "alerts_created"):
        assert raw not in text
    for label in ("Hourly job: sweep, notifications, e-mails", "Daily digests", "alerts announced", "alerts raised"):
        assert label in page


def test_a_admin_aboveistrator_may_not_run_the_city_wide_sweep(client, admin_above, city):
    """The sweep has no scope: it is for those who run the whole tree, not one district's administrator."""
    west_task = TaskFactory(unit=city["west_community"], due_date=timezone.localdate() - datetime.timedelta(days=1))
    Task.objects.filter(pk=west_task.pk).update(warning_level=WarningLevel.NONE)
    client.force_login(admin_above)
    assert client.post(SWEEP).status_code == 403
    west_task.refresh_from_db()
    assert west_task.warning_level == WarningLevel.NONE and not JobRun.objects.exists()


def test_a_city_administrator_runs_the_sweep_which_only_applies_the_rule(client, city_admin, city):
    """Running it early changes nothing the hourly run would not."""
    west_task = TaskFactory(unit=city["west_community"], due_date=timezone.localdate() - datetime.timedelta(days=1))
    Task.objects.filter(pk=west_task.pk).update(warning_level=WarningLevel.NONE)
    client.force_login(city_admin)
    assert client.post(SWEEP).status_code == 302
    west_task.refresh_from_db()
    assert west_task.warning_level == WarningLevel.RED  # a day overdue: red, as the hourly sweep would set


def test_staff_and_anonymous_visitors_cannot_run_the_sweep(client, staff_above):
    response = client.post(SWEEP)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(staff_above)
    assert client.post(SWEEP).status_code == 403
    assert not JobRun.objects.exists()
