"""The demo city's public side: plans, opinions and surveys in every state, as the issue asks."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from public.models import Opinion, OpinionStatus, PlanStatus, RectificationPlan, SurveyRound, SurveyTarget
from rectification.models import TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def test_plans_opinions_and_surveys_in_every_state(demo, client):
    plans = dict(RectificationPlan.objects.values_list("unit__short_name", "status"))
    assert plans == {"明达东路社区": PlanStatus.PUBLISHED, "新达社区": PlanStatus.RETURNED,
                     "富强社区": PlanStatus.SUBMITTED, "胡杨社区": PlanStatus.APPROVED}  # fmt: skip
    returned = RectificationPlan.objects.get(status=PlanStatus.RETURNED).versions.get()
    assert "资金来源" in returned.reason
    published = RectificationPlan.objects.get(status=PlanStatus.PUBLISHED)
    assert published.comments.count() == 2
    assert {OpinionStatus.NEW, OpinionStatus.ACCEPTED, OpinionStatus.MERGED, OpinionStatus.DECLINED} <= set(
        Opinion.objects.values_list("status", flat=True)
    )
    assert Opinion.objects.filter(steps__kind="forwarded", unit__short_name="市水务局").exists()

    finished = SurveyRound.objects.get(closed_at__isnull=False)
    under = SurveyTarget.objects.get(round=finished, below_threshold=True)
    assert under.unit.short_name == "富源村" and under.reopened_tasks.get().status == TaskStatus.IN_PROGRESS
    assert SurveyTarget.objects.filter(round=finished, below_threshold=False).count() == 2
    running = SurveyRound.objects.get(closed_at__isnull=True)
    assert running.mode == "tokens" and running.targets.filter(responses__isnull=False).exists()

    # the public reads the board with the published plan and a task under watch
    board = client.get(reverse("public:board", args=[finished.campaign_id])).content.decode()
    assert "明达东路社区党支部" in board and "明达东路社区自来水管网改造" in board


def test_staff_supervisor_and_street_see_their_part(demo, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    client.force_login(users.get(username="staff"))
    home = client.get(reverse("reports:home")).content.decode()
    assert "条群众意见待处理" in home and "plan-counts" in home
    client.force_login(users.get(username="supervisor"))
    home = client.get(reverse("reports:home")).content.decode()
    assert "home-flagged-units" in home and "五一乡富源村党支部" in home
    client.force_login(users.get(username="staff"))  # staff of 乌达区 reviews 富强社区's plan
    assert "富强社区党支部整改方案" in client.get(reverse("public_staff:plan_list")).content.decode()


def test_loading_twice_adds_nothing(demo):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Already loaded: nothing created." in out.getvalue()
