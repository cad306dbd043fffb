"""The warning policy (rectification.policy) at every boundary of every term,
for a campaign with its own policy and one with the defaults: the level the
rule gives, the level ``Task.save()`` stores and the level the sweep stores
must all be the one written in the table below."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rectification import policy, services
from rectification.models import Task, TaskStatus, Term, WarningLevel, WarningPolicy
from rectification.sweep import run_sweep
from tests.factories import BatchFactory, CampaignFactory, TaskFactory

TODAY = datetime.date(2026, 11, 28)
NONE, YELLOW, RED, ESCALATED = WarningLevel.NONE, WarningLevel.YELLOW, WarningLevel.RED, WarningLevel.ESCALATED
# A campaign's own thresholds, unlike any default, so that using the default by mistake shows.
OWN = {Term.IMMEDIATE: policy.Policy(2, 12, 5), Term.SHORT: policy.Policy(6, 20, 1), Term.LONG: policy.Policy(25, 45, 7)}


def noon(date):
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(12)))


def days(n):
    return datetime.timedelta(days=n)


def boundaries(p):
    """(case, days from today to the due date, explained, status, expected level) under policy ``p``."""
    open_ = TaskStatus.IN_PROGRESS
    return [
        ("due today", 0, False, open_, YELLOW),
        ("at the window's edge", p.window_days, False, open_, YELLOW),
        ("one day beyond the window", p.window_days + 1, False, open_, NONE),
        ("far ahead", p.window_days + 60, False, open_, NONE),
        ("due yesterday, explained", -1, True, open_, RED),
        ("at the grace's edge, unexplained", -p.explanation_grace_days, False, open_, RED),
        ("one day past the grace, unexplained", -p.explanation_grace_days - 1, False, open_, ESCALATED),
        ("one day past the grace, explained", -p.explanation_grace_days - 1, True, open_, RED),
        ("at the escalation's edge, explained", -p.escalate_after_days, True, open_, RED),
        ("one day past the escalation, explained", -p.escalate_after_days - 1, True, open_, ESCALATED),
        ("awaiting verification, due yesterday", -1, True, TaskStatus.PENDING_VERIFICATION, RED),
        ("awaiting verification, due today", 0, False, TaskStatus.PENDING_VERIFICATION, YELLOW),
        ("closed long overdue", -p.escalate_after_days - 10, False, TaskStatus.CLOSED, NONE),
        ("closed, due today", 0, False, TaskStatus.CLOSED, NONE),
    ]


@pytest.fixture
def frozen_today():
    with mock.patch("django.utils.timezone.now", return_value=noon(TODAY)):
        yield TODAY


@pytest.fixture
def own_batch(db):
    """A batch of a campaign with its own policy for every term."""
    batch = BatchFactory(campaign=CampaignFactory(name="有自己预警规则的活动"))
    for term, own in OWN.items():
        WarningPolicy.objects.create(
            campaign=batch.campaign,
            term=term,
            window_days=own.window_days,
            escalate_after_days=own.escalate_after_days,
            explanation_grace_days=own.explanation_grace_days,
        )
    return batch


def stored_level(task):
    return Task.objects.values_list("warning_level", flat=True).get(pk=task.pk)


@pytest.mark.parametrize("term", Term.values)
def test_every_boundary_gives_the_same_level_by_rule_on_save_and_by_the_sweep(term, city, batch, own_batch, frozen_today):
    unit = city["east_community"]
    rows = []
    for campaign_batch, effective in ((batch, policy.default_policy(term)), (own_batch, OWN[term])):
        assert WarningPolicy.objects.effective(campaign_batch.pk, term) == effective
        for case, offset, explained, status, expected in boundaries(effective):
            task = TaskFactory(
                unit=unit,
                problem__batch=campaign_batch,
                term=term,
                due_date=TODAY + days(offset),
                explained_at=noon(TODAY - days(1)) if explained else None,
                status=status,
            )
            label = f"{term} · {'own' if campaign_batch is own_batch else 'default'} · {case}"
            rows.append((label, task, effective, expected))
    # The rule itself, and what save() stored:
    for label, task, effective, expected in rows:
        assert policy.warning_level(task, TODAY, effective) == expected, label
        assert stored_level(task) == expected, label
    # The sweep, from a level wrong for every task:
    for _label, task, _effective, expected in rows:
        Task.objects.filter(pk=task.pk).update(warning_level=(expected + 1) % 4, warning_since=None)
    run_sweep(now=noon(TODAY))
    swept = {label: stored_level(task) for label, task, _effective, _expected in rows}
    assert swept == {label: expected for label, _task, _effective, expected in rows}


@pytest.mark.parametrize("term", Term.values)
def test_an_approved_extension_counts_the_new_date_and_starts_a_new_clock(
    term, city, own_batch, unit_staff, supervisor_in_scope, frozen_today
):
    own = OWN[term]
    task = TaskFactory(
        unit=city["east_community"], problem__batch=own_batch, term=term,
        due_date=TODAY - days(own.explanation_grace_days), explained_at=noon(TODAY - days(1)),
    )  # fmt: skip
    assert task.warning_level == RED
    extension = services.request_extension(task, unit_staff, TODAY + days(own.window_days), "冬季停工")
    services.decide_extension(extension, supervisor_in_scope, approve=True)
    task.refresh_from_db()
    assert (task.warning_level, task.explained_at) == (YELLOW, None)
    Task.objects.filter(pk=task.pk).update(warning_level=NONE)
    run_sweep(now=noon(TODAY))
    assert stored_level(task) == YELLOW
    # The day after the new window's edge passes without an explanation:
    later = TODAY + days(own.window_days + own.explanation_grace_days + 1)
    run_sweep(now=noon(later))
    assert stored_level(task) == ESCALATED
    assert policy.warning_level(task, later, own) == ESCALATED


def test_the_defaults_per_term():
    assert [policy.default_policy(term).window_days for term in Term.values] == [1, 3, 15]
    assert {policy.default_policy(term).escalate_after_days for term in Term.values} == {30}
    assert {policy.default_policy(term).explanation_grace_days for term in Term.values} == {3}
    assert [policy.reminder_days(term) for term in Term.values] == [1, 3, 7]
    assert policy.reminder_days(Term.LONG, 10) == 10


# --- validation: one check, for the admin, the operations page and the model ------------


def test_a_grace_longer_than_the_escalation_is_refused_by_the_model(campaign):
    row = WarningPolicy(campaign=campaign, term=Term.SHORT, window_days=3, escalate_after_days=5, explanation_grace_days=6)
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert refused.value.message_dict == {
        "explanation_grace_days": ["不能长于超期转督办的天数。"],
    }


def test_values_beyond_the_limits_are_refused_by_field(campaign):
    row = WarningPolicy(campaign=campaign, term=Term.SHORT, window_days=366, escalate_after_days=30, reminder_days=400)
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert set(refused.value.message_dict) == {"window_days", "reminder_days"}
    assert "365" in refused.value.message_dict["window_days"][0]


def test_the_admin_refuses_a_grace_longer_than_the_escalation(client, campaign, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    row = WarningPolicy.objects.create(campaign=campaign, term=Term.SHORT, window_days=3)
    client.force_login(admin)
    response = client.post(
        f"/admin/rectification/warningpolicy/{row.pk}/change/",
        {"campaign": campaign.pk, "term": Term.SHORT, "window_days": 3, "escalate_after_days": 5,
         "explanation_grace_days": 9, "reminder_days": 0},
    )  # fmt: skip
    assert response.status_code == 200
    assert "不能长于超期转督办的天数。" in response.content.decode()
    row.refresh_from_db()
    assert row.explanation_grace_days == 3


# --- what a save reads -----------------------------------------------------------------


def queries_of(save):
    with CaptureQueriesContext(connection) as captured:
        save()
    return [query["sql"] for query in captured.captured_queries]


def reads(sqls, table):
    return [sql for sql in sqls if sql.startswith("SELECT") and f'FROM "{table}"' in sql]


def test_a_save_that_changes_no_date_reads_no_unit_batch_or_policy(task):
    """Before: every save read the unit, the batch and the policy (8 statements for a
    progress figure); now only the UPDATE, the history rows (5), and the roll-ups' two
    statements (the row as stored, locked; the change for the units above: issue 10)."""
    fresh = Task.objects.get(pk=task.pk)
    fresh.progress = 40
    sqls = queries_of(fresh.save)
    assert not reads(sqls, "campaign_unit") and not reads(sqls, "campaign_batch")
    assert not reads(sqls, "rectification_warningpolicy")
    assert len(sqls) == 5 + 2
    assert Task.objects.get(pk=task.pk).progress == 40


def test_a_save_that_moves_the_due_date_reads_the_policy_once(task, frozen_today):
    """Before: 8 statements; now 6 (and the roll-ups' two): the policy, joined to the batch, is the one read."""
    fresh = Task.objects.get(pk=task.pk)
    fresh.due_date = TODAY + days(1)
    sqls = queries_of(fresh.save)
    assert len(reads(sqls, "rectification_warningpolicy")) == 1
    assert not reads(sqls, "campaign_unit") and not reads(sqls, "campaign_batch")
    assert len(sqls) == 6 + 2
    assert stored_level(task) == YELLOW


def test_closing_needs_no_policy(task, frozen_today):
    fresh = Task.objects.get(pk=task.pk)
    fresh.due_date = TODAY - days(1)
    fresh.save()
    assert fresh.warning_level == RED
    fresh = Task.objects.get(pk=task.pk)
    fresh.status = TaskStatus.CLOSED
    sqls = queries_of(fresh.save)
    assert not reads(sqls, "rectification_warningpolicy")
    assert len(sqls) == 5 + 2  # before: 8; the roll-ups' two statements (issue 10)
    assert stored_level(task) == NONE


def test_a_new_unit_is_copied_to_the_path(task, city):
    fresh = Task.objects.get(pk=task.pk)
    fresh.unit_id = city["west_community"].pk
    fresh.save()
    assert Task.objects.get(pk=task.pk).unit_path == city["west_community"].path


def test_a_field_refreshed_from_the_database_counts_as_stored(task, frozen_today):
    fresh = Task.objects.get(pk=task.pk)
    Task.objects.filter(pk=task.pk).update(due_date=TODAY)
    fresh.refresh_from_db(fields=["due_date"])
    fresh.due_date = TODAY - days(1)  # changed again after the refresh: derived again
    fresh.save()
    assert stored_level(task) == RED
