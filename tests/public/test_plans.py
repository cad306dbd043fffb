"""Plans: drafted and submitted by the unit, reviewed by the unit above (separation of duties),
every version kept, published for comment; the public reads only published plans, without names."""

import datetime
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign import permissions
from public import plans
from public.models import Opinion, PlanStatus, PlanVersion, RectificationPlan
from tests.factories import TaskFactory

PREAMBLE = "以科学发展观为指导，坚持边学边改、边查边改。"


@pytest.fixture
def plan(town):
    TaskFactory(unit=town.community, problem__unit=town.community, problem__batch=town.batch,
                problem__title="居民吃水难", title="改造供水管网", leader_name="赵书记", person_name="孙干事")  # fmt: skip
    participation = town.community.participations.get(batch=town.batch)
    return plans.plan_for(participation)


def detail(plan):
    return reverse("public_staff:plan_detail", args=[plan.pk])


@pytest.mark.django_db
def test_the_list_offers_to_draw_up_a_plan_only_to_who_may(client, town):
    """A leader sees the units without a plan, but is not shown a 制定 link that answers 403."""
    start = reverse("public_staff:plan_start", args=[town.community.participations.get(batch=town.batch).pk])
    client.force_login(town.street_leader)
    page = client.get(reverse("public_staff:plan_list")).content.decode()
    assert "明达社区党支部" in page and "未制定方案" in page
    assert start not in page
    assert client.get(start).status_code == 403

    client.force_login(town.staff)
    assert start in client.get(reverse("public_staff:plan_list")).content.decode()


@pytest.mark.django_db
class TestWorkflow:
    def test_submit_return_with_reason_resubmit_approve_publish(self, client, town, plan):
        client.force_login(town.staff)
        response = client.post(reverse("public_staff:plan_edit", args=[plan.pk]), {"preamble": PREAMBLE, "submit": "1"})
        assert response.status_code == 302
        plan.refresh_from_db()
        assert (plan.status, plan.submitted_by) == (PlanStatus.SUBMITTED, town.staff)
        first = plan.versions.get()
        assert first.content[0]["title"] == "居民吃水难" and first.content[0]["tasks"][0]["title"] == "改造供水管网"

        client.force_login(town.street_staff)  # the unit above
        assert "plans-to-review" in client.get(reverse("public_staff:plan_list")).content.decode()
        client.post(reverse("public_staff:plan_review", args=[plan.pk]), {"decision": "return", "reason": "措施不够具体"})
        plan.refresh_from_db()
        assert plan.status == PlanStatus.RETURNED
        client.force_login(town.staff)
        page = client.get(detail(plan)).content.decode()
        assert "措施不够具体" in page and "已退回" in page

        client.post(reverse("public_staff:plan_edit", args=[plan.pk]), {"preamble": PREAMBLE + "（修改稿）", "submit": "1"})
        client.force_login(town.street_leader)
        client.post(reverse("public_staff:plan_review", args=[plan.pk]), {"decision": "approve", "reason": ""})
        plan.refresh_from_db()
        assert plan.status == PlanStatus.APPROVED
        versions = list(plan.versions.order_by("number").values_list("number", "outcome", "reason", "preamble"))
        assert versions == [(1, "returned", "措施不够具体", PREAMBLE), (2, "approved", "", PREAMBLE + "（修改稿）")]

        assert client.get(reverse("public:plan", args=[plan.pk])).status_code == 404  # not yet published
        client.force_login(town.staff)
        until = timezone.localdate() + datetime.timedelta(days=7)
        client.post(reverse("public_staff:plan_publish", args=[plan.pk]), {"comment_until": until.isoformat()})
        plan.refresh_from_db()
        assert (plan.status, plan.comment_until) == (PlanStatus.PUBLISHED, until)

    def test_a_return_needs_a_reason(self, client, town, plan):
        plans.save_preamble(plan, town.staff, PREAMBLE)
        plans.submit(plan, town.staff)
        client.force_login(town.street_staff)
        response = client.post(reverse("public_staff:plan_review", args=[plan.pk]), {"decision": "return", "reason": ""})
        assert response.status_code == 200 and "请填写退回理由" in response.content.decode()
        assert RectificationPlan.objects.get().status == PlanStatus.SUBMITTED

    def test_nothing_to_submit_without_a_preamble_or_problems(self, town, plan):
        with pytest.raises(Exception, match="preamble|正文"):
            plans.submit(plan, town.staff)
        empty = plans.plan_for(town.west_community.participations.get())
        plans.save_preamble(empty, town.west_staff, PREAMBLE)
        with pytest.raises(plans.PlanRefused):
            plans.submit(empty, town.west_staff)


@pytest.mark.django_db
class TestWhoReviews:
    @pytest.fixture
    def submitted(self, town, plan):
        plans.save_preamble(plan, town.staff, PREAMBLE)
        plans.submit(plan, town.staff)
        return plan

    def test_only_the_unit_above_reviews(self, town, submitted):
        assert permissions.may(town.street_staff, permissions.REVIEW, submitted)
        assert permissions.may(town.district_staff, permissions.REVIEW, submitted)
        assert permissions.refusal(town.colleague, permissions.REVIEW, submitted) == "您属于该方案的编制单位，须由上级单位审核。"
        assert not permissions.may(town.west_staff, permissions.REVIEW, submitted)
        assert not permissions.may(town.supervisor, permissions.REVIEW, submitted)
        assert list(RectificationPlan.objects.restrict(town.street_staff, permissions.REVIEW)) == [submitted]
        assert not RectificationPlan.objects.restrict(town.colleague, permissions.REVIEW).exists()

    def test_who_submitted_does_not_review_nor_a_colleague(self, town, plan):
        # the street's staff draw up and submit the community's plan: they and their colleagues do not review it
        colleague = town.street_leader
        plans.save_preamble(plan, town.street_staff, PREAMBLE)
        plans.submit(plan, town.street_staff)
        assert "该方案是您本人提交的" in permissions.refusal(town.street_staff, permissions.REVIEW, plan)
        assert "同属一个单位" in permissions.refusal(colleague, permissions.REVIEW, plan)
        assert permissions.may(town.district_staff, permissions.REVIEW, plan)
        assert not RectificationPlan.objects.restrict(colleague, permissions.REVIEW).exists()

    def test_a_refused_review_writes_nothing(self, client, town, submitted):
        client.force_login(town.colleague)
        response = client.post(reverse("public_staff:plan_review", args=[submitted.pk]), {"decision": "approve"})
        assert response.status_code == 403
        assert PlanVersion.objects.get().outcome == PlanVersion.Outcome.PENDING
        client.force_login(town.west_staff)
        assert client.post(reverse("public_staff:plan_review", args=[submitted.pk]), {"decision": "approve"}).status_code == 404


@pytest.mark.django_db
class TestPublic:
    @pytest.fixture
    def published(self, town, plan):
        plans.save_preamble(plan, town.staff, PREAMBLE)
        plans.submit(plan, town.staff)
        plans.approve(plan, town.street_staff)
        return plans.publish(plan, town.staff, timezone.localdate() + datetime.timedelta(days=5))

    def test_the_public_reads_the_published_plan_without_names(self, client, town, published):
        board = client.get(reverse("public:board", args=[town.campaign.pk])).content.decode()
        assert reverse("public:plan", args=[published.pk]) in board and "明达社区党支部" in board
        body = client.get(reverse("public:plan", args=[published.pk])).content.decode()
        assert PREAMBLE in body and "居民吃水难" in body and "改造供水管网" in body
        for name in ("赵书记", "孙干事", "张晓梅", "钱明", "community-staff", "street-staff"):
            assert name not in body

    def test_drafts_and_plans_under_review_stay_hidden(self, client, town, plan):
        assert client.get(reverse("public:plan", args=[plan.pk])).status_code == 404
        plans.save_preamble(plan, town.staff, PREAMBLE)
        plans.submit(plan, town.staff)
        assert client.get(reverse("public:plan", args=[plan.pk])).status_code == 404
        board = client.get(reverse("public:board", args=[town.campaign.pk])).content.decode()
        assert reverse("public:plan", args=[plan.pk]) not in board

    def test_a_comment_on_the_plan_reaches_the_units_queue(self, client, town, published):
        response = client.post(reverse("public:plan", args=[published.pk]), {"unit": town.community.pk, "text": "建议先改造老旧小区"})
        assert response.status_code == 302
        opinion = Opinion.objects.get()
        assert (opinion.unit, opinion.plan) == (town.community, published)
        client.force_login(town.staff)
        queue = client.get(reverse("public_staff:opinion_queue")).content.decode()
        assert opinion.receipt_display in queue and "针对方案" in queue

    def test_no_comment_after_the_period(self, client, town, published):
        RectificationPlan.objects.filter(pk=published.pk).update(comment_until=timezone.localdate() - datetime.timedelta(days=1))
        response = client.post(reverse("public:plan", args=[published.pk]), {"unit": town.community.pk, "text": "迟到的意见"})
        assert "公示期已结束" in response.content.decode() and not Opinion.objects.exists()


@pytest.mark.django_db
class TestCountsAndPdf:
    def test_the_home_page_counts_plans_by_state(self, client, town, plan):
        plans.save_preamble(plan, town.staff, PREAMBLE)
        plans.submit(plan, town.staff)
        west = plans.plan_for(town.west_community.participations.get())
        TaskFactory(unit=town.west_community, problem__unit=town.west_community, problem__batch=town.batch)
        plans.save_preamble(west, town.west_staff, PREAMBLE)
        plans.submit(west, town.west_staff)
        from tests.factories import MembershipFactory, UserFactory

        west_reviewer = MembershipFactory(unit=town.west, role="staff", user=UserFactory(username="west-district")).user
        plans.return_plan(west, west_reviewer, "再细化")
        counts = plans.dashboard_counts(town.city_admin)
        assert (counts["units"], counts["under_review"], counts["returned"], counts["published"]) == (6, 1, 1, 0)
        assert counts["missing"] == 4
        client.force_login(town.city_admin)
        page = client.get(reverse("reports:home")).content.decode()
        assert "未制定方案" in page and "plan-counts" in page

    def test_the_plan_prints_as_a_chinese_pdf(self, client, town, plan, tmp_path):
        plans.save_preamble(plan, town.staff, PREAMBLE)
        client.force_login(town.staff)
        response = client.get(reverse("public_staff:plan_pdf", args=[plan.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        pdf = tmp_path / "plan.pdf"
        pdf.write_bytes(response.content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "明达社区党支部" in text and "整改方案" in text and "改造供水管网" in text and "第1页共1页" in text.replace(" ", "")
        client.force_login(town.west_staff)
        assert client.get(reverse("public_staff:plan_pdf", args=[plan.pk])).status_code == 404

    def test_the_pdf_fetcher_serves_only_static_files(self):
        from public.pdf import static_only_fetcher

        fetcher = static_only_fetcher()
        fetch = getattr(fetcher, "fetch", fetcher)
        response = fetch("static:///static/css/plan-pdf.css")
        body = response.read() if hasattr(response, "read") else response["string"]
        assert body.startswith(b"/*")
        for url in ("file:///etc/passwd", "http://example.org/x.css", "static:///static/../config/settings.py",
                    "static:///media/evidence/a.png", "https://127.0.0.1:8000/static/css/app.css"):  # fmt: skip
            with pytest.raises(ValueError):
                fetch(url)


