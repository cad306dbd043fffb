"""Units report their figures (issue 9, point 1): per batch, a unit's staff report its
participation, the 五查五看 checklist where the batch runs it, and its indicators (with
evidence where asked); the unit above sees who has not reported by the deadline and may
return a report; the figures roll up the tree equal to the direct sums; every change is
in the history; the demo city's figures are what its units reported."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaign import rollups
from campaign.models import FigureReport, IndicatorValue, Participation
from rectification import figures
from rectification.figures import IndicatorEntry
from rectification.models import Notification
from tests.factories import BatchFactory, IndicatorFactory, ParticipationFactory
from tests.rectification.conftest import pdf_bytes

COUNTS = {"members_expected": 58, "members_participated": 55, "makeup_members": 3, "members_transformed": 1,
          "members_handled": 0}  # fmt: skip
CHECKS = {"check_plan": True, "check_measures": True, "check_mechanisms": False, "check_coverage": True,
          "check_obligations": True}  # fmt: skip


@pytest.fixture
def second_batch(campaign):
    return BatchFactory(campaign=campaign, number=2, name="第二批", five_checks=True,
                        report_due=timezone.localdate() - datetime.timedelta(days=1))  # fmt: skip


@pytest.fixture
def first_batch(campaign):
    return BatchFactory(campaign=campaign, number=1, name="第一批", five_checks=False)


@pytest.fixture
def funds(campaign):
    return IndicatorFactory(campaign=campaign, code="funds", name="基层党建工作经费", measure="万元", needs_evidence=True)


@pytest.fixture
def venues(campaign):
    return IndicatorFactory(campaign=campaign, code="venues", name="活动阵地建设投入", measure="万元")


@pytest.fixture
def taking_part(city, second_batch):
    """Every community and street of both districts takes part in the second batch."""
    return {key: ParticipationFactory(unit=city[key], batch=second_batch, members_expected=0, members_participated=0)
            for key in ("east_street", "east_community", "west_street", "west_community")}  # fmt: skip


def document(name="经费预算.pdf", content=None):
    return SimpleUploadedFile(name, content or pdf_bytes(), content_type="application/pdf")


def url(unit, batch):
    return reverse("rectification:figures_report", args=[unit.pk, batch.pk])


@pytest.mark.django_db
class TestReporting:
    def test_staff_report_participation_checks_and_indicators(
        self, city, second_batch, taking_part, funds, venues, unit_staff
    ):
        unit = city["east_community"]
        report = figures.report_figures(
            unit_staff, unit, second_batch, participation={**COUNTS, **CHECKS, "look_back_note": "长效机制正在建立"},
            indicators=[IndicatorEntry(funds, Decimal("12"), "", document()), IndicatorEntry(venues, Decimal("35.5"))],
        )  # fmt: skip
        participation = Participation.objects.get(unit=unit, batch=second_batch)
        assert participation.members_participated == 55 and participation.checks_done == 4
        assert report.status == FigureReport.Status.REPORTED and report.reported_by == unit_staff
        stored = {value.indicator.code: value for value in IndicatorValue.objects.filter(unit=unit)}
        assert stored["funds"].value == 12 and stored["funds"].evidence_name == "经费预算.pdf"
        assert stored["venues"].value == Decimal("35.5")

    def test_the_roll_ups_equal_the_direct_sums(self, city, second_batch, taking_part, funds, venues, unit_staff,
                                                co_unit_staff, staff_above):  # fmt: skip
        figures.report_figures(unit_staff, city["east_community"], second_batch, participation={**COUNTS, **CHECKS},
                               indicators=[IndicatorEntry(venues, Decimal("35"))])  # fmt: skip
        figures.report_figures(co_unit_staff, city["west_community"], second_batch,
                               participation={**COUNTS, "members_expected": 46, "members_participated": 45},
                               indicators=[IndicatorEntry(venues, Decimal("40"))])  # fmt: skip
        figures.report_figures(staff_above, city["east_street"], second_batch,
                               participation={**COUNTS, "members_expected": 31, "members_participated": 31},
                               indicators=[IndicatorEntry(funds, Decimal("12"), "", document())])  # fmt: skip
        for unit in (city["city"], city["east"], city["east_street"], city["west"]):
            direct = Participation.objects.within(unit).totals()
            assert rollups.participation_totals([unit]) == direct, unit
            assert rollups.participation_totals([unit], batch=second_batch) == direct, unit
            assert rollups.indicator_totals([unit]) == IndicatorValue.objects.within(unit).rollup(), unit
        assert rollups.participation_totals([city["city"]])["members_participated"] == 55 + 45 + 31
        # a correction rolls up as well
        figures.report_figures(unit_staff, city["east_community"], second_batch,
                               participation={**COUNTS, "members_participated": 50},
                               indicators=[IndicatorEntry(venues, None)])  # fmt: skip
        assert rollups.participation_totals([city["city"]]) == Participation.objects.within(city["city"]).totals()
        assert rollups.indicator_totals([city["city"]]) == IndicatorValue.objects.within(city["city"]).rollup()
        assert dict((i.code, v) for i, v in rollups.indicator_totals([city["city"]])) == {"venues": 40, "funds": 12}

    def test_staff_of_one_unit_cannot_report_for_another(self, city, second_batch, taking_part, co_unit_staff,
                                                         other_district_staff, supervisor_in_scope, leader):  # fmt: skip
        for user in (co_unit_staff, other_district_staff, supervisor_in_scope, leader):
            with pytest.raises(PermissionDenied):
                figures.report_figures(user, city["east_community"], second_batch, participation=COUNTS)
        assert not FigureReport.objects.exists()
        assert Participation.objects.get(unit=city["east_community"]).members_expected == 0

    def test_an_indicator_that_asks_for_evidence_gets_it_and_the_file_is_checked(
        self, city, second_batch, taking_part, funds, unit_staff
    ):
        with pytest.raises(ValidationError):
            figures.report_figures(unit_staff, city["east_community"], second_batch,
                                   indicators=[IndicatorEntry(funds, Decimal("12"))])  # fmt: skip
        with pytest.raises(ValidationError):
            figures.report_figures(unit_staff, city["east_community"], second_batch,
                                   indicators=[IndicatorEntry(funds, Decimal("12"), "", document("预算.pdf", b"MZ not"))])  # fmt: skip
        assert not IndicatorValue.objects.exists() and not FigureReport.objects.exists()

    def test_figures_that_do_not_add_up_are_refused(self, city, second_batch, taking_part, unit_staff):
        with pytest.raises(ValidationError) as refused:
            figures.report_figures(unit_staff, city["east_community"], second_batch,
                                   participation={**COUNTS, "members_participated": 60})  # fmt: skip
        assert "members_participated" in refused.value.error_dict

    def test_a_report_over_a_newer_one_is_a_conflict(self, city, second_batch, taking_part, unit_staff, staff_above):
        first = figures.report_figures(unit_staff, city["east_community"], second_batch, participation=COUNTS)
        figures.report_figures(staff_above, city["east_community"], second_batch, participation=COUNTS,
                               seen_version=first.version)  # fmt: skip
        with pytest.raises(figures.FiguresConflict):
            figures.report_figures(unit_staff, city["east_community"], second_batch, participation=COUNTS,
                                   seen_version=first.version)  # fmt: skip

    def test_every_change_is_in_the_history(self, city, second_batch, taking_part, venues, unit_staff, client):
        client.force_login(unit_staff)
        data = {**COUNTS, **{name: "on" for name, done in CHECKS.items() if done}, "look_back_note": "",
                f"indicator_{venues.pk}": "35", f"indicator_{venues.pk}_note": ""}  # fmt: skip
        client.post(url(city["east_community"], second_batch), data)
        client.post(url(city["east_community"], second_batch), {**data, "members_participated": 50,
                                                                 "version": FigureReport.objects.get().version})  # fmt: skip
        participation = Participation.objects.get(unit=city["east_community"])
        records = list(participation.history.order_by("history_date"))
        assert [record.members_participated for record in records][-2:] == [55, 50]
        assert records[-1].history_user == unit_staff
        assert IndicatorValue.objects.get().history.first().history_user == unit_staff
        assert FigureReport.objects.get().history.count() == 2


@pytest.mark.django_db
class TestThePages:
    def test_staff_report_through_the_form_and_the_five_checks_are_offered(
        self, client, city, second_batch, taking_part, venues, unit_staff
    ):
        client.force_login(unit_staff)
        page = client.get(url(city["east_community"], second_batch)).content.decode()
        assert "应参学党员数" in page and "整改方案" in page and 'name="check_plan"' in page
        data = {**COUNTS, "check_plan": "on", "look_back_note": "", f"indicator_{venues.pk}": "35",
                f"indicator_{venues.pk}_note": ""}  # fmt: skip
        response = client.post(url(city["east_community"], second_batch), data)
        assert response.status_code == 302
        participation = Participation.objects.get(unit=city["east_community"])
        assert participation.members_participated == 55 and participation.check_plan and not participation.check_measures

    def test_the_units_page_leads_its_staff_to_the_form_and_others_to_the_figures(
        self, client, city, second_batch, taking_part, unit_staff, supervisor_in_scope
    ):
        """Why: a unit's page showed the checklist, participation and indicators read-only, with no form."""
        page = url(city["east_community"], second_batch)
        client.force_login(unit_staff)
        content = client.get(reverse("campaign:unit_detail", args=[city["east_community"].pk])).content.decode()
        assert f'href="{page}"' in content and "填报数据" in content
        client.force_login(supervisor_in_scope)
        content = client.get(reverse("campaign:unit_detail", args=[city["east_community"].pk])).content.decode()
        assert f'href="{page}"' in content and "填报数据" not in content

    def test_the_home_page_asks_staff_for_what_is_not_reported(
        self, client, city, second_batch, taking_part, unit_staff, staff_above, leader
    ):
        second_batch.end_date = timezone.localdate() + datetime.timedelta(days=30)
        second_batch.save()
        client.force_login(unit_staff)
        home = client.get(reverse("reports:home")).content.decode()
        assert 'data-testid="home-figures-to-report"' in home and url(city["east_community"], second_batch) in home
        figures.report_figures(unit_staff, city["east_community"], second_batch, participation=COUNTS)
        assert 'data-testid="home-figures-to-report"' not in client.get(reverse("reports:home")).content.decode()
        client.force_login(leader)  # a leader reads figures; nobody asks them to report
        assert 'data-testid="home-figures-to-report"' not in client.get(reverse("reports:home")).content.decode()

    def test_a_wrong_figure_keeps_what_was_typed(self, client, city, second_batch, taking_part, unit_staff):
        client.force_login(unit_staff)
        response = client.post(url(city["east_community"], second_batch),
                               {**COUNTS, "members_participated": 70, "look_back_note": "三名党员外出务工"})  # fmt: skip
        assert response.status_code == 200
        content = response.content.decode()
        assert "三名党员外出务工" in content and 'value="70"' in content and not FigureReport.objects.exists()

    def test_other_units_staff_the_supervisor_and_anonymous_may_not_report(
        self, client, city, second_batch, taking_part, co_unit_staff, supervisor_in_scope
    ):
        target = url(city["east_community"], second_batch)
        client.force_login(co_unit_staff)
        assert client.get(target).status_code == 404  # not even seen
        assert client.post(target, COUNTS).status_code == 404
        client.force_login(supervisor_in_scope)
        page = client.get(target)
        assert page.status_code == 200 and 'data-testid="report-figures"' not in page.content.decode()
        assert client.post(target, COUNTS).status_code == 403
        client.logout()
        assert client.post(target, COUNTS).status_code == 302
        assert not FigureReport.objects.exists()

    def test_the_five_checks_are_not_applicable_where_the_batch_does_not_run_them(
        self, client, city, first_batch, unit_staff, staff_above
    ):
        """Why: the participation list showed "五查完成项 0 / 5" for every first-batch unit."""
        ParticipationFactory(unit=city["east"], batch=first_batch)
        client.force_login(staff_above)
        listing = client.get(reverse("campaign:participation_list")).content.decode()
        assert "0 / 5" not in listing and "不适用" in listing
        page = client.get(url(city["east"], first_batch)).content.decode()
        assert 'name="check_plan"' not in page and "不适用" in page
        assert "不适用" in client.get(reverse("campaign:unit_detail", args=[city["east"].pk])).content.decode()

    def test_the_unit_above_sees_who_has_not_reported_by_when_and_returns_a_report(
        self, client, city, second_batch, taking_part, unit_staff, staff_above, django_capture_on_commit_callbacks
    ):
        figures.report_figures(unit_staff, city["east_community"], second_batch, participation=COUNTS)
        client.force_login(staff_above)
        listing = client.get(reverse("rectification:figures_list"), {"batch": second_batch.pk, "missing": "on"})
        content = listing.content.decode()
        assert "东区街道党工委" in content and "东区社区党支部" not in content
        assert f"{second_batch.report_due:%Y-%m-%d}" in content and "已过截止日期" in content
        report = FigureReport.objects.get()
        return_url = reverse("rectification:figures_return", args=[report.pk])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(return_url, {"reason": "实际参学人数与花名册不符"})
        report.refresh_from_db()
        assert report.status == FigureReport.Status.RETURNED and report.return_reason == "实际参学人数与花名册不符"
        notice = Notification.objects.get(user=unit_staff)
        assert "实际参学人数与花名册不符" in notice.body and notice.url == url(city["east_community"], second_batch)
        client.force_login(unit_staff)
        page = client.get(url(city["east_community"], second_batch)).content.decode()
        assert "实际参学人数与花名册不符" in page

    def test_the_unit_itself_does_not_return_its_own_report(self, city, second_batch, taking_part, unit_staff):
        report = figures.report_figures(unit_staff, city["east_community"], second_batch, participation=COUNTS)
        with pytest.raises(PermissionDenied):
            figures.return_figures(unit_staff, report, "自己退回")
        report.refresh_from_db()
        assert report.status == FigureReport.Status.REPORTED


def test_the_demo_citys_figures_come_from_what_its_units_reported(demo_city):
    """Done when: the demo city's figures come from what its units reported in the app."""
    from campaign.models import Unit

    city = Unit.objects.get(name="中共乌海市委员会")
    reported = set(FigureReport.objects.values_list("unit_id", "batch_id"))
    assert set(Participation.objects.values_list("unit_id", "batch_id")) <= reported
    valued = set(IndicatorValue.objects.values_list("unit_id", "batch_id"))
    assert valued <= set(FigureReport.objects.values_list("unit_id", "batch_id"))
    assert all(p.history.exists() for p in Participation.objects.all())
    assert rollups.participation_totals([city]) == Participation.objects.within(city).totals()
    totals = dict((i.code, v) for i, v in rollups.indicator_totals([city]))
    assert totals["funds"] == 470 and totals["instructors"] == 51 and totals["liaisons"] == 207
    returned = FigureReport.objects.get(status=FigureReport.Status.RETURNED)
    assert returned.unit.short_name == "富强社区" and "花名册" in returned.return_reason
    assert returned.returned_by.username == "admin" and returned.reported_by.username == "staff"
    assert IndicatorValue.objects.filter(indicator__code="funds").exclude(evidence="").count() == (
        IndicatorValue.objects.filter(indicator__code="funds").count()
    )
