"""Satisfaction surveys: tokens once, forged tokens refused, the open link's limits, the threshold
at its edges, reopening, flags on the home page, the rates for the summary report, QR codes."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from public import surveys
from public.models import Answer, PublicSettings, SurveyMode, SurveyResponse, SurveyScope, SurveyToken
from rectification.models import Task, TaskStatus
from tests.factories import TaskFactory

TODAY = timezone.localdate


def open_round(town, mode=SurveyMode.OPEN, units=None, **kwargs):
    return surveys.open_round(
        town.supervisor, town.campaign, title="第二批整改满意度测评", mode=mode, scope=kwargs.pop("scope", SurveyScope.UNITS),
        units=units or [town.community], closes_on=TODAY() + datetime.timedelta(days=7), **kwargs,
    )  # fmt: skip


def answers(target, satisfied=0, fairly=0, dissatisfied=0):
    rows = [Answer.SATISFIED] * satisfied + [Answer.FAIRLY] * fairly + [Answer.DISSATISFIED] * dissatisfied
    SurveyResponse.objects.bulk_create(SurveyResponse(target=target, answer=answer) for answer in rows)


@pytest.mark.django_db
class TestTokens:
    def test_a_token_counts_once_and_a_forged_one_not_at_all(self, client, town):
        survey = open_round(town, mode=SurveyMode.TOKENS, tokens_per_unit=3)
        target = survey.targets.get()
        token = target.tokens.first()
        url = reverse("public:survey", args=[target.key])
        page = client.get(url, {"t": token.code}).content.decode()
        assert f'value="{token.code}"' in page and "明达社区党支部" in page
        ok = client.post(url, {"code": token.code, "answer": "satisfied"}).content.decode()
        assert "您的答卷已计入" in ok
        again = client.post(url, {"code": token.code, "answer": "dissatisfied"}).content.decode()
        assert "该测评码已经使用过" in again
        forged = client.post(url, {"code": "ABCDEFGHJK", "answer": "dissatisfied"}).content.decode()
        assert "该测评码不适用于本次测评" in forged
        other = open_round(town, mode=SurveyMode.TOKENS, tokens_per_unit=1, units=[town.east_street])
        foreign = other.targets.get().tokens.get().code  # a real code, of another unit
        assert "不适用" in client.post(url, {"code": foreign, "answer": "dissatisfied"}).content.decode()
        assert list(SurveyResponse.objects.values_list("answer", flat=True)) == ["satisfied"]
        assert SurveyToken.objects.filter(used_at__isnull=False).count() == 1

    def test_the_slips_print_unused_codes_with_their_qr(self, client, town):
        survey = open_round(town, mode=SurveyMode.TOKENS, tokens_per_unit=4)
        target = survey.targets.get()
        used = target.tokens.first()
        surveys.answer_with_token(target, used.code, Answer.SATISFIED)
        client.force_login(town.supervisor)
        page = client.get(reverse("public_staff:target_slips", args=[target.pk])).content.decode()
        assert page.count('data-testid="slip"') == 3 and used.code not in page
        assert 'src="data:image/svg+xml' in page
        client.force_login(town.staff)  # the unit rated prints no codes for itself
        assert client.get(reverse("public_staff:target_slips", args=[target.pk])).status_code == 403


@pytest.mark.django_db
class TestOpenLink:
    def test_one_answer_per_device_and_a_limit_per_address(self, client, town):
        survey = open_round(town, per_address_limit=2)
        target = survey.targets.get()
        url = reverse("public:survey", args=[target.key])
        client.get(url)  # the device cookie
        assert "您的答卷已计入" in client.post(url, {"answer": "satisfied"}).content.decode()
        assert "这台设备已对该单位作答" in client.post(url, {"answer": "satisfied"}).content.decode()
        from django.test import Client

        second = Client()
        second.get(url)
        assert "您的答卷已计入" in second.post(url, {"answer": "fairly"}).content.decode()
        third = Client()
        third.get(url)
        assert "来自您所在网络的答卷已达上限" in third.post(url, {"answer": "dissatisfied"}).content.decode()
        elsewhere = Client(REMOTE_ADDR="10.9.8.7")
        elsewhere.get(url)
        assert "您的答卷已计入" in elsewhere.post(url, {"answer": "dissatisfied"}).content.decode()
        assert SurveyResponse.objects.count() == 3

    def test_no_cookie_no_answer(self, client, town):
        target = open_round(town).targets.get()
        response = client.post(reverse("public:survey", args=[target.key]), {"answer": "satisfied"})
        assert "须允许 Cookie" in response.content.decode() and not SurveyResponse.objects.exists()

    def test_the_results_say_how_the_open_link_is_protected(self, client, town):
        survey = open_round(town, per_address_limit=5)
        client.force_login(town.supervisor)
        page = client.get(reverse("public_staff:survey_detail", args=[survey.pk])).content.decode()
        assert "每台设备（以 Cookie 识别）只能作答一次" in page and "最多 5 份答卷" in page

    def test_a_closed_round_takes_no_answer(self, client, town):
        survey = open_round(town)
        target = survey.targets.get()
        url = reverse("public:survey", args=[target.key])
        client.get(url)
        surveys.close_round(survey, town.supervisor)
        response = client.post(url, {"answer": "satisfied"})
        assert "本次测评已结束" in response.content.decode() and not SurveyResponse.objects.exists()
        with pytest.raises(surveys.SurveyRefused):
            surveys.answer_open(target, Answer.SATISFIED, device="d", address="a")

    def test_bad_answers_are_refused(self, client, town):
        target = open_round(town).targets.get()
        url = reverse("public:survey", args=[target.key])
        client.get(url)
        assert "选择一个有效的选项" in client.post(url, {"answer": "delighted"}).content.decode()
        assert "300" in client.post(url, {"answer": "satisfied", "comment": "长" * 301}).content.decode()
        assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
class TestThreshold:
    @pytest.mark.parametrize(
        "content,total,below",
        [(9, 10, False), (90, 100, False), (899, 1000, True), (8995, 10000, True), (0, 0, False), (10, 10, False)],
    )
    def test_edges(self, content, total, below):
        assert surveys.is_below(content, total, Decimal("90.0")) is below

    def test_exactly_90_passes_and_89_9_fails_in_a_round(self, town):
        survey = open_round(town, units=[town.community, town.east_street])
        passing, failing = survey.targets.get(unit=town.community), survey.targets.get(unit=town.east_street)
        answers(passing, satisfied=60, fairly=30, dissatisfied=10)  # 90.0 %
        answers(failing, satisfied=500, fairly=399, dissatisfied=101)  # 89.9 %
        surveys.close_round(survey, town.supervisor)
        rows = {row["unit_id"]: row for row in surveys.satisfaction_rates(town.campaign)}
        assert (rows[passing.unit_id]["rate"], rows[passing.unit_id]["below"]) == (Decimal("90.0"), False)
        assert (rows[failing.unit_id]["rate"], rows[failing.unit_id]["below"]) == (Decimal("89.9"), True)

    def test_the_threshold_is_a_setting_of_the_campaign(self, town):
        PublicSettings.objects.create(campaign=town.campaign, satisfaction_threshold=Decimal("80"))
        survey = open_round(town)
        answers(survey.targets.get(), satisfied=8, dissatisfied=2)
        surveys.close_round(survey, town.supervisor)
        assert survey.targets.get().below_threshold is False and survey.threshold == Decimal("80.0")


@pytest.mark.django_db
class TestReopening:
    def test_a_unit_under_the_threshold_has_its_tasks_closed_in_the_round_reopened(self, client, town):
        before = TaskFactory(unit=town.community, problem__batch=town.batch, title="早已销号的任务",
                             status=TaskStatus.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=30))  # fmt: skip
        survey = open_round(town, units=[town.community, town.east_street])
        during = TaskFactory(unit=town.community, problem__batch=town.batch, title="测评期间销号的任务",
                             status=TaskStatus.CLOSED, closed_at=timezone.now())  # fmt: skip
        west_task = TaskFactory(unit=town.east_street, problem__batch=town.batch, title="街道销号任务",
                                status=TaskStatus.CLOSED, closed_at=timezone.now())  # fmt: skip
        community, west = survey.targets.get(unit=town.community), survey.targets.get(unit=town.east_street)
        answers(community, satisfied=5, fairly=3, dissatisfied=2)  # 80 %
        answers(west, satisfied=10)
        surveys.close_round(survey, town.supervisor)
        during.refresh_from_db()
        assert during.status == TaskStatus.IN_PROGRESS
        reason = during.history.first().history_change_reason
        assert "第二批整改满意度测评" in reason and "80.0%" in reason and "90.0%" in reason
        assert Task.objects.get(pk=before.pk).status == TaskStatus.CLOSED
        assert Task.objects.get(pk=west_task.pk).status == TaskStatus.CLOSED
        assert list(community.reopened_tasks.all()) == [during]

        client.force_login(town.supervisor)
        page = client.get(reverse("public_staff:survey_detail", args=[survey.pk])).content.decode()
        assert "未达标" in page and "已重新打开 1 项任务" in page
        home = client.get(reverse("reports:home")).content.decode()
        assert "home-flagged-units" in home and "明达社区党支部" in home.split("home-flagged-units")[1]
        client.force_login(town.staff)  # the unit itself sees its flag
        assert "home-flagged-units" in client.get(reverse("reports:home")).content.decode()
        client.force_login(town.bureau_staff)
        assert "home-flagged-units" not in client.get(reverse("reports:home")).content.decode()

    def test_rating_closed_tasks_reopens_those_rated(self, town):
        rated = TaskFactory(unit=town.community, problem__batch=town.batch, status=TaskStatus.CLOSED,
                            closed_at=timezone.now() - datetime.timedelta(days=60))  # fmt: skip
        survey = open_round(town, scope=SurveyScope.TASKS)
        target = survey.targets.get()
        assert list(target.tasks.all()) == [rated]
        answers(target, satisfied=1, dissatisfied=1)
        surveys.close_round(survey, town.supervisor)
        assert Task.objects.get(pk=rated.pk).status == TaskStatus.IN_PROGRESS

    def test_a_unit_without_closed_tasks_cannot_be_rated_on_them(self, town):
        with pytest.raises(Exception, match="没有可供测评的已销号任务|no closed task"):
            open_round(town, scope=SurveyScope.TASKS)

    def test_only_supervisors_over_every_unit_close_a_round(self, client, town):
        survey = open_round(town)
        client.force_login(town.outside_supervisor)
        assert client.post(reverse("public_staff:survey_close", args=[survey.pk])).status_code == 404
        client.force_login(town.staff)
        client.post(reverse("public_staff:survey_close", args=[survey.pk]))
        survey.refresh_from_db()
        assert survey.is_open
        with pytest.raises(PermissionDenied, match="您并不督导本轮测评的所有单位"):
            surveys.close_round(survey, town.outside_supervisor)


@pytest.mark.django_db
class TestOpeningAndQr:
    def test_a_supervisor_opens_a_round_for_units_in_scope_only(self, client, town):
        client.force_login(town.supervisor)
        url = reverse("public_staff:survey_create")
        page = client.get(url).content.decode()
        assert "明达社区党支部" in page and "西山社区党支部" not in page
        data = {"campaign": town.campaign.pk, "title": "测评", "units": [town.west_community.pk], "scope": "units",
                "mode": "open", "per_address_limit": 30, "closes_on": (TODAY() + datetime.timedelta(days=3)).isoformat()}  # fmt: skip
        assert "选择一个有效的选项" in client.post(url, data).content.decode()
        past = {**data, "units": [town.community.pk], "closes_on": (TODAY() - datetime.timedelta(days=1)).isoformat()}
        assert "截止日期不能早于今天" in client.post(url, past).content.decode()
        response = client.post(url, {**data, "units": [town.community.pk]})
        assert response.status_code == 302
        client.force_login(town.staff)
        assert client.get(url).status_code == 403
        with pytest.raises(ValidationError, match="不参加本次活动"):
            surveys.open_round(town.supervisor, town.campaign, title="x", mode="open", scope="units",
                               units=[town.other_unit], closes_on=TODAY())  # fmt: skip

    def test_qr_codes_as_svg_and_png_and_the_a4_notice(self, client, town):
        target = open_round(town).targets.get()
        client.force_login(town.supervisor)
        svg = client.get(reverse("public_staff:target_qr", args=[target.pk, "svg"]))
        assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
        png = client.get(reverse("public_staff:target_qr", args=[target.pk, "png"]))
        assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
        notice = client.get(reverse("public_staff:target_notice", args=[target.pk])).content.decode()
        assert "明达社区党支部" in notice and f"/public/s/{target.key}/" in notice and 'lang="zh-Hans"' in notice
        # the QR code holds the survey's address: decode it back from segno's matrix
        import segno

        expected = segno.make(f"http://testserver/public/s/{target.key}/", error="m").svg_inline(scale=6, border=2)
        assert expected.split("<path")[1][:200] in svg.content.decode()
        client.force_login(town.west_staff)
        assert client.get(reverse("public_staff:target_qr", args=[target.pk, "svg"])).status_code == 404


@pytest.mark.django_db
def test_the_summary_report_reads_the_rates(town):
    survey = open_round(town, units=[town.community, town.east_street])
    for target in survey.targets.all():
        answers(target, satisfied=19, dissatisfied=1)
    assert surveys.satisfaction_rates(town.campaign) == []  # only closed rounds count
    surveys.close_round(survey, town.supervisor)
    rows = surveys.satisfaction_rates(town.campaign)
    assert [(row["unit"], row["answers"], row["rate"], row["below"]) for row in rows] == [
        ("东区街道党工委"[:6], 20, Decimal("95.0"), False),
        ("明达社区", 20, Decimal("95.0"), False),
    ]
    assert surveys.satisfaction_rates(town.campaign, user=town.staff)[0]["unit"] == "明达社区"
    assert len(surveys.satisfaction_rates(town.campaign, user=town.staff)) == 1
