"""Opinions of the public: submitted without an account, treated by the unit's staff,
read back by receipt code; contact details only for the unit concerned; bad input."""

import datetime

import pytest
from django.urls import reverse

from public import opinions
from public.models import Opinion, OpinionStatus
from rectification.models import Problem
from rectification.models.problems import ProblemSource
from tests.factories import TaskFactory

OPINION = "明达小区3号楼前路灯坏了两个月，晚上老人出门摔过跤。"


def submit(client, town, text=OPINION, address="127.0.0.1", **extra):
    url = reverse("public:opinion_form", args=[town.campaign.pk])
    data = {"unit": town.community.pk, "text": text, "name": "王大爷", "phone": "13800001111", **extra}
    return client.post(url, data, REMOTE_ADDR=address)


def status_page(client, opinion):
    return client.get(reverse("public:status", args=[opinion.receipt])).content.decode()


@pytest.mark.django_db
def test_the_public_pages_are_titled_once(client, town):
    """The landing page is 公共服务, not 公共服务 · 公共服务; the others end with the site's name."""
    assert "<title>公共服务</title>" in client.get(reverse("public:index")).content.decode()
    form = client.get(reverse("public:opinion_form", args=[town.campaign.pk])).content.decode()
    assert "· 公共服务</title>" in form and "<title>公共服务</title>" not in form


@pytest.mark.django_db
class TestSubmission:
    def test_anonymous_visitor_submits_and_gets_a_receipt_code_to_read_the_status(self, client, town):
        page = client.get(reverse("public:opinion_form", args=[town.campaign.pk]))
        assert page.status_code == 200 and "明达社区党支部" in page.content.decode()
        response = submit(client, town)
        opinion = Opinion.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("public:receipt", args=[opinion.receipt])
        receipt = client.get(response["Location"]).content.decode()
        assert opinion.receipt_display in receipt
        assert (opinion.unit, opinion.name, opinion.phone, opinion.status) == (town.community, "王大爷", "13800001111", "new")
        # looked up as typed from paper: lower case, with the dash
        lookup = client.get(reverse("public:status_lookup"), {"code": opinion.receipt_display.lower()})
        assert lookup["Location"] == reverse("public:status", args=[opinion.receipt])
        body = status_page(client, opinion)
        assert "处理中" in body and OPINION in body and "明达社区" in body
        assert "王大爷" not in body and "13800001111" not in body

    def test_a_unit_link_fixes_the_unit(self, client, town):
        url = reverse("public:unit_opinion_form", args=[town.campaign.pk, town.community.pk])
        page = client.get(url).content.decode()
        assert "明达社区党支部" in page and "西山社区党支部" not in page
        client.post(url, {"unit": town.west_community.pk, "text": OPINION})  # a tampered unit is ignored
        assert Opinion.objects.get().unit == town.community

    def test_the_unit_is_found_by_name(self, client, town):
        page = client.get(reverse("public:opinion_form", args=[town.campaign.pk]), {"q": "西山"}).content.decode()
        assert "西山社区党支部" in page and "明达社区党支部" not in page

    def test_an_unknown_receipt_code_says_so(self, client, town):
        response = client.get(reverse("public:status_lookup"), {"code": "ZZZZZ-ZZZZZ"})
        assert "没有回执码为此的意见" in response.content.decode() or "回执码" in response.content.decode()
        assert client.get(reverse("public:status", args=["ZZZZZZZZZZ"])).status_code == 404


@pytest.mark.django_db
class TestBadInput:
    def test_empty_opinion_is_refused_and_the_rest_is_kept(self, client, town):
        response = submit(client, town, text="   ")
        body = response.content.decode()
        assert response.status_code == 200 and not Opinion.objects.exists()
        assert "必填项" in body
        assert 'value="王大爷"' in body and 'value="13800001111"' in body

    def test_oversized_opinion_is_refused(self, client, town):
        response = submit(client, town, text="长" * 2001)
        assert response.status_code == 200 and not Opinion.objects.exists()
        assert "2000" in response.content.decode()

    def test_a_body_over_the_size_limit_is_refused_before_it_is_read(self, client, town, settings):
        settings.PUBLIC_MAX_BODY_BYTES = 4000
        response = submit(client, town, text="长" * 1900)  # about 17 kB once encoded
        assert response.status_code == 413 and not Opinion.objects.exists()

    def test_a_unit_of_another_campaign_is_refused(self, client, town):
        response = client.post(
            reverse("public:opinion_form", args=[town.campaign.pk]), {"unit": town.other_unit.pk, "text": OPINION}
        )
        assert response.status_code == 200 and not Opinion.objects.exists()
        assert "选择一个有效的选项" in response.content.decode()
        with pytest.raises(Exception, match="does not take part|不参加"):
            opinions.submit_opinion(town.campaign, town.other_unit, OPINION)

    def test_a_bad_phone_number_is_refused(self, client, town):
        response = submit(client, town, phone="call me")
        assert not Opinion.objects.exists() and "电话号码" in response.content.decode()

    def test_the_honeypot_catches_a_bot(self, client, town):
        response = submit(client, town, website="http://spam.example")
        assert response.status_code == 200 and not Opinion.objects.exists()
        assert "未能受理" in response.content.decode()

    def test_submissions_are_limited_per_address(self, client, town, settings):
        settings.PUBLIC_RATE_LIMITS = {**settings.PUBLIC_RATE_LIMITS, "opinion": (3, 3600)}
        for _ in range(3):
            assert submit(client, town).status_code == 302
        response = submit(client, town)
        assert response.status_code == 429 and Opinion.objects.count() == 3
        assert "提交次数过多" in response.content.decode()
        # another address is not held back
        assert submit(client, town, address="10.1.2.3").status_code == 302

    def test_status_look_ups_are_limited_per_address(self, client, town, settings):
        settings.PUBLIC_RATE_LIMITS = {**settings.PUBLIC_RATE_LIMITS, "status": (2, 3600)}
        for _ in range(2):
            client.get(reverse("public:status_lookup"), {"code": "ABCDEFGHJK"})
        assert client.get(reverse("public:status_lookup"), {"code": "ABCDEFGHJK"}).status_code == 429

    def test_the_forms_need_the_csrf_token(self, town):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        response = strict.post(reverse("public:opinion_form", args=[town.campaign.pk]), {"unit": town.community.pk, "text": OPINION})
        assert response.status_code == 403 and not Opinion.objects.exists()


@pytest.fixture
def opinion(town):
    return opinions.submit_opinion(town.campaign, town.community, OPINION, name="王大爷", phone="13800001111")


@pytest.mark.django_db
class TestTreatment:
    def queue_url(self, opinion, action=""):
        if action:
            return reverse(f"public_staff:opinion_{action}", args=[opinion.pk])
        return reverse("public_staff:opinion_detail", args=[opinion.pk])

    def test_accepted_as_a_problem_the_public_sees_it_and_its_tasks_without_names(self, client, town, opinion):
        client.force_login(town.staff)
        response = client.post(
            self.queue_url(opinion, "accept"), {"title": "明达小区路灯损坏", "category": "livelihood", "batch": town.batch.pk}
        )
        assert response.status_code == 302
        problem = Problem.objects.get(title="明达小区路灯损坏")
        assert (problem.source, problem.unit, problem.batch, problem.description) == (
            ProblemSource.PUBLIC, town.community, town.batch, OPINION
        )
        assert problem.created_by == town.staff
        TaskFactory(problem=problem, unit=town.community, title="更换3号楼前路灯", leader_name="赵书记", person_name="孙干事",
                    progress=40)  # fmt: skip
        client.logout()
        body = status_page(client, opinion)
        assert "已受理，列入整改问题" in body and "明达小区路灯损坏" in body and "更换3号楼前路灯" in body and "40%" in body
        for name in ("赵书记", "孙干事", "张晓梅", "community-staff", "王大爷", "13800001111"):
            assert name not in body

    def test_merged_into_an_existing_problem(self, client, town, opinion):
        existing = TaskFactory(unit=town.community, problem__unit=town.community, problem__batch=town.batch,
                               problem__title="小区照明不足").problem  # fmt: skip
        client.force_login(town.staff)
        client.post(self.queue_url(opinion, "merge"), {"problem": existing.pk})
        opinion.refresh_from_db()
        assert (opinion.status, opinion.problem) == (OpinionStatus.MERGED, existing)
        client.logout()
        body = status_page(client, opinion)
        assert "已并入正在整改的问题" in body and "小区照明不足" in body

    def test_declined_with_a_reason_the_submitter_reads(self, client, town, opinion):
        client.force_login(town.staff)
        empty = client.post(self.queue_url(opinion, "decline"), {"reason": " "})
        assert empty.status_code == 200 and Opinion.objects.get().status == OpinionStatus.NEW
        client.post(self.queue_url(opinion, "decline"), {"reason": "该路灯属市政管理，已转市政热线处理。"})
        client.logout()
        body = status_page(client, opinion)
        assert "未予受理" in body and "该路灯属市政管理，已转市政热线处理。" in body

    def test_forwarded_to_another_unit_which_then_holds_it(self, client, town, opinion):
        client.force_login(town.staff)
        response = client.post(self.queue_url(opinion, "forward"), {"to_unit": town.bureau.pk, "note": "供水问题"})
        assert response.status_code == 302 and response["Location"] == reverse("public_staff:opinion_queue")
        opinion.refresh_from_db()
        assert (opinion.unit, opinion.status) == (town.bureau, OpinionStatus.NEW)
        assert client.get(self.queue_url(opinion)).status_code == 404  # no longer the community's
        client.force_login(town.bureau_staff)
        page = client.get(self.queue_url(opinion)).content.decode()
        assert "13800001111" in page  # the unit concerned now: its staff reach the person
        client.logout()
        assert "市水务局" in status_page(client, opinion) and "已转至该单位" in status_page(client, opinion)

    def test_a_forward_outside_the_campaign_is_refused(self, client, town, opinion):
        client.force_login(town.staff)
        client.post(self.queue_url(opinion, "forward"), {"to_unit": town.other_unit.pk})
        assert Opinion.objects.get().unit == town.community

    def test_a_second_decision_finds_it_treated(self, town, opinion):
        opinions.decline(opinion, town.staff, "不属于本单位职责")
        with pytest.raises(opinions.OpinionRefused):
            opinions.accept(opinion, town.colleague, title="x", category="other", batch=town.batch)

    def test_other_units_staff_cannot_see_the_opinion_nor_its_contact(self, client, town, opinion):
        client.force_login(town.west_staff)
        assert client.get(self.queue_url(opinion)).status_code == 404
        queue = client.get(reverse("public_staff:opinion_queue")).content.decode()
        assert opinion.receipt_display not in queue and "13800001111" not in queue
        assert client.post(self.queue_url(opinion, "decline"), {"reason": "x"}).status_code == 404
        assert Opinion.objects.get().status == OpinionStatus.NEW

    def test_the_unit_above_treats_it_but_does_not_read_the_contact(self, client, town, opinion):
        client.force_login(town.district_staff)
        page = client.get(self.queue_url(opinion)).content.decode()
        assert OPINION in page and "13800001111" not in page and "王大爷" not in page
        assert "只有所涉单位的工作人员能看到联系方式" in page
        client.force_login(town.staff)
        page = client.get(self.queue_url(opinion)).content.decode()
        assert "13800001111" in page and "王大爷" in page

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, opinion):
        response = client.get(reverse("public_staff:opinion_detail", args=[opinion.pk]))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_untreated_opinions_turn_yellow_then_red_with_their_age(self, client, town, opinion):
        client.force_login(town.staff)
        now = opinion.submitted_at
        Opinion.objects.filter(pk=opinion.pk).update(submitted_at=now - datetime.timedelta(days=4))
        page = client.get(reverse("public_staff:opinion_queue")).content.decode()
        assert "4 天" in page and "badge warn" in page and "badge bad" not in page.split("opinion-queue")[1]
        Opinion.objects.filter(pk=opinion.pk).update(submitted_at=now - datetime.timedelta(days=8))
        assert opinions.counts(town.staff, town.campaign) == {"total": 1, "yellow": 0, "red": 1}
        page = client.get(reverse("public_staff:opinion_queue")).content.decode()
        assert "8 天" in page and "badge bad" in page.split("opinion-queue")[1]
