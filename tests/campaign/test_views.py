"""Every campaign page tried as an allowed user, a user of another district and
an anonymous visitor."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from campaign.models import Role
from tests.conftest import assert_refused
from tests.factories import (
    BatchFactory,
    CampaignFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    MembershipFactory,
    ParticipationFactory,
    PhaseFactory,
    SupervisionGroupFactory,
    UserFactory,
)


@pytest.fixture
def campaign(city):
    campaign = CampaignFactory(issuing_unit=city["city"], name="保持共产党员先进性教育活动")
    batch = BatchFactory(campaign=campaign, number=2, name="第二批")
    PhaseFactory(batch=batch)
    ParticipationFactory(unit=city["east_community"], batch=batch, makeup_members=4)
    ParticipationFactory(unit=city["west_community"], batch=batch, makeup_members=9)
    funds = IndicatorFactory(campaign=campaign, name="党建工作经费", measure="万元")
    IndicatorValueFactory(indicator=funds, batch=batch, unit=city["east_community"], value=11)
    IndicatorValueFactory(indicator=funds, batch=batch, unit=city["west_community"], value=777)
    return campaign


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestAnonymousVisitors:
    @pytest.mark.parametrize(
        "name,kwargs",
        [
            ("reports:home", {}),
            ("campaign:unit_tree", {}),
            ("campaign:participation_list", {}),
            ("campaign:unit_import", {}),
        ],
    )
    def test_are_sent_to_the_login_page(self, client, city, campaign, name, kwargs):
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_are_sent_to_login_from_a_unit_page(self, client, city):
        response = client.get(city["east"].get_absolute_url())
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_are_sent_to_login_from_the_campaign_page(self, client, campaign):
        response = client.get(campaign.get_absolute_url())
        assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
class TestHome:
    def test_shows_own_units_and_scope_figures(self, client, staff_above, campaign):
        response = login(client, staff_above).get(reverse("reports:home"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "中共东区委员会" in content
        assert "保持共产党员先进性教育活动" in content
        assert response.context["totals"]["makeup_members"] == 4
        assert [str(value) for _i, value in response.context["indicators"]] == ["11.00"]

    def test_never_counts_another_districts_figures(self, client, city, campaign):
        west_staff = MembershipFactory(unit=city["west"], role=Role.STAFF).user  # of 西区, whose figures are 9
        response = login(client, west_staff).get(reverse("reports:home"))
        assert response.context["totals"]["makeup_members"] == 9
        assert "中共东区委员会" not in response.content.decode()


@pytest.mark.django_db
class TestUnitTree:
    def test_lists_the_users_units_and_the_level_below(self, client, staff_above, city):
        content = login(client, staff_above).get(reverse("campaign:unit_tree")).content.decode()
        assert "中共东区委员会" in content and "东区街道党工委" in content
        assert "东区社区党支部" not in content  # one level further: loaded when the street is opened
        assert reverse("campaign:unit_children", args=[city["east_street"].pk]) in content
        assert "西区" not in content
        assert "中共测试市委员会" not in content

    def test_opening_a_unit_loads_the_units_below_it(self, client, staff_above, city):
        response = login(client, staff_above).get(reverse("campaign:unit_children", args=[city["east_street"].pk]))
        assert "东区社区党支部" in response.content.decode()

    def test_another_districts_children_are_not_found(self, client, staff_above, city):
        response = login(client, staff_above).get(reverse("campaign:unit_children", args=[city["west_street"].pk]))
        assert response.status_code == 404

    def test_search_finds_by_name_and_shows_the_way_down(self, client, staff_above, city):
        response = login(client, staff_above).get(reverse("campaign:unit_tree"), {"q": "社区"})
        content = response.content.decode()
        assert "<mark>东区社区党支部</mark>" in content
        assert "东区街道党工委" in content  # the ancestor, to show where it sits
        assert response.context["match_count"] == 1

    def test_search_never_finds_another_districts_units(self, client, staff_above, city):
        response = login(client, staff_above).get(reverse("campaign:unit_tree"), {"q": "西区"})
        assert response.context["match_count"] == 0
        assert "西区社区党支部" not in response.content.decode()

    def test_a_leader_of_the_city_sees_every_district(self, client, city, leader):
        content = login(client, leader).get(reverse("campaign:unit_tree")).content.decode()
        assert "中共东区委员会" in content and "中共西区委员会" in content
        content = client.get(reverse("campaign:unit_tree"), {"q": "社区"}).content.decode()
        assert "东区社区党支部" in content and "西区社区党支部" in content


@pytest.mark.django_db
class TestUnitDetail:
    def test_shows_the_unit_its_children_and_figures(self, client, staff_above, city, campaign):
        response = login(client, staff_above).get(city["east"].get_absolute_url())
        assert response.status_code == 200
        content = response.content.decode()
        assert "东区街道党工委" in content
        assert response.context["subtree_totals"]["makeup_members"] == 4

    def test_another_districts_unit_is_not_found(self, client, staff_above, city):
        response = login(client, staff_above).get(city["west_community"].get_absolute_url())
        assert_refused(response, 404)
        assert "西区社区党支部" not in response.content.decode()

    def test_the_city_above_ones_district_is_not_reachable(self, client, staff_above, city):
        response = login(client, staff_above).get(city["city"].get_absolute_url())
        assert_refused(response, 404)
        assert "中共测试市委员会" not in response.content.decode()

    def test_a_supervisor_sees_the_units_of_their_group(self, client, city, campaign):
        supervisor = UserFactory(username="inspector")
        group = SupervisionGroupFactory(campaign=campaign, organising_unit=city["city"])
        group.members.add(supervisor)
        group.units.add(city["west"])
        response = login(client, supervisor).get(city["west_community"].get_absolute_url())
        assert response.status_code == 200 and "西区社区党支部" in response.content.decode()
        assert_refused(client.get(city["east_community"].get_absolute_url()), 404)


@pytest.mark.django_db
class TestCampaignPage:
    def test_shows_batches_and_phases_on_a_timeline(self, client, staff_above, campaign):
        response = login(client, staff_above).get(campaign.get_absolute_url())
        assert response.status_code == 200
        (batch, bars), = response.context["rows"]
        assert batch.name == "第二批" and batch.unit_count == 1
        assert len(bars) == 1

    def test_a_campaign_of_another_city_is_not_found(self, client, staff_above):
        other = CampaignFactory(name="别处的活动")
        response = login(client, staff_above).get(other.get_absolute_url())
        assert_refused(response, 404)
        assert "别处的活动" not in response.content.decode()


@pytest.mark.django_db
class TestParticipationList:
    def test_lists_only_participations_in_scope(self, client, staff_above, campaign):
        response = login(client, staff_above).get(reverse("campaign:participation_list"))
        assert response.status_code == 200
        units = [row.record.unit.name for row in response.context["table"].rows]
        assert units == ["东区社区党支部"]

    def test_filters_by_name_and_keeps_the_filter_in_the_url(self, client, city, campaign, leader):
        response = login(client, leader).get(reverse("campaign:participation_list"), {"q": "西区"})
        assert [row.record.unit.name for row in response.context["table"].rows] == ["西区社区党支部"]
        assert 'value="西区"' in response.content.decode()

    def test_filters_within_a_district(self, client, city, campaign, leader):
        response = login(client, leader).get(reverse("campaign:participation_list"), {"within": city["east"].pk})
        assert [row.record.unit.name for row in response.context["table"].rows] == ["东区社区党支部"]

    def test_refuses_to_filter_within_another_district(self, client, staff_above, city, campaign):
        response = login(client, staff_above).get(reverse("campaign:participation_list"), {"within": city["west"].pk})
        assert "within" in response.context["filter"].errors

    def test_lists_unit_by_unit_and_no_column_sorts_a_provinces_list(self, client, city, campaign, leader):
        """Only the order an index serves at a province's 100,000 participations (issue 10)."""
        response = login(client, leader).get(reverse("campaign:participation_list"), {"sort": "-makeup_members"})
        units = [row.record.unit_id for row in response.context["table"].rows]
        assert units == sorted(units) and len(units) == 2
        assert response.context["totals"]["makeup_members"] == 13

    def test_exports_the_filtered_rows_as_excel(self, client, staff_above, campaign):
        response = login(client, staff_above).get(reverse("campaign:participation_list"), {"export": "xlsx"})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.values)
        assert len(rows) == 2 and rows[1][0] == "东区社区党支部"

    def test_exports_the_filtered_rows_as_csv(self, client, staff_above, campaign):
        response = login(client, staff_above).get(reverse("campaign:participation_list"), {"export": "csv"})
        text = response.content.decode("utf-8-sig")
        assert "东区社区党支部" in text and "西区社区党支部" not in text


@pytest.mark.django_db
class TestHomeRectification:
    """The home page's task figures and demands, scoped like everything else."""

    def overdue_task(self, unit, title):
        import datetime

        from django.utils import timezone

        from tests.factories import TaskFactory

        return TaskFactory(unit=unit, title=title, due_date=timezone.localdate() - datetime.timedelta(days=2))

    def test_staff_see_their_overdue_tasks_needing_an_explanation(self, client, staff_above, city):
        self.overdue_task(city["east_community"], "东区超期任务")
        self.overdue_task(city["west_community"], "西区超期任务")
        response = login(client, staff_above).get(reverse("reports:home"))
        content = response.content.decode()
        assert "东区超期任务" in content and "西区超期任务" not in content
        assert response.context["task_counts"]["overdue"] == 1

    def test_an_explained_task_is_no_longer_demanded(self, client, staff_above, city):
        from django.utils import timezone

        task = self.overdue_task(city["east_community"], "东区超期任务")
        type(task).objects.filter(pk=task.pk).update(explained_at=timezone.now())
        response = login(client, staff_above).get(reverse("reports:home"))
        assert response.context["to_explain"] == []

    def test_supervisors_see_what_waits_for_their_decision(self, client, city, supervisor_in_scope):
        self.overdue_task(city["east_community"], "东区超期任务")
        self.overdue_task(city["west_community"], "西区超期任务")
        response = login(client, supervisor_in_scope).get(reverse("reports:home"))
        assert response.context["to_decide"]["overdue"] == 1

    def test_staff_have_no_decision_panel(self, client, staff_above):
        assert "to_decide" not in login(client, staff_above).get(reverse("reports:home")).context


@pytest.mark.django_db
def test_a_units_page_links_to_its_tasks_that_the_task_list_accepts(client, staff_above, city):
    from tests.factories import TaskFactory

    TaskFactory(unit=city["east_community"], title="东区社区的任务")
    TaskFactory(unit=city["west_community"], title="西区社区的任务")
    page = login(client, staff_above).get(city["east_street"].get_absolute_url())
    link = next(a for a in page.content.decode().split('href="')[1:] if "within=" in a).split('"')[0]
    tasks = client.get(link.replace("&amp;", "&"))
    titles = [row.record.title for row in tasks.context["table"].rows]
    assert titles == ["东区社区的任务"]


@pytest.mark.django_db
def test_a_leader_is_not_asked_to_explain_the_units_overdue_tasks(client, city, leader):
    import datetime

    from django.utils import timezone

    from tests.factories import TaskFactory

    TaskFactory(unit=city["east_community"], due_date=timezone.localdate() - datetime.timedelta(days=2))
    response = login(client, leader).get(reverse("reports:home"))
    assert response.context["to_explain"] == [] and response.context["task_counts"]["overdue"] == 1


@pytest.mark.django_db
def test_an_export_is_named_in_the_users_language(client, staff_above, campaign):
    response = login(client, staff_above).get(reverse("campaign:participation_list"), {"export": "csv"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=utf-8''" in disposition
    from urllib.parse import unquote

    assert unquote(disposition.split("''", 1)[1]).startswith("参学情况-")


@pytest.mark.django_db
def test_pages_are_chinese_whatever_the_browser_asks_until_english_is_chosen(client, staff_above):
    login(client, staff_above)
    assert "单位" in client.get(reverse("reports:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert ">Units<" in client.get(reverse("reports:home"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


@pytest.mark.django_db
def test_logging_out_ends_the_session(client, staff_above):
    login(client, staff_above)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    home = client.get(reverse("reports:home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_logging_in_with_a_wrong_password_says_so_and_keeps_the_name(client, staff_above):
    response = client.post(reverse("login"), {"username": "east-staff", "password": "wrong"})
    content = response.content.decode()
    assert response.status_code == 200 and 'value="east-staff"' in content
    assert "请输入一个正确的" in content  # Django's own Chinese message


@pytest.mark.django_db
def test_a_filter_value_outside_the_scope_is_named_as_the_problem(client, staff_above, city, campaign):
    response = login(client, staff_above).get(reverse("campaign:participation_list"), {"within": city["west"].pk})
    assert 'class="errorlist"' in response.content.decode()


@pytest.mark.django_db
def test_a_city_administrator_is_not_asked_to_explain_every_units_tasks(client, city, city_admin):
    import datetime

    from django.utils import timezone

    from tests.factories import TaskFactory

    TaskFactory(unit=city["east_community"], due_date=timezone.localdate() - datetime.timedelta(days=2))
    response = login(client, city_admin).get(reverse("reports:home"))
    assert response.context["to_explain"] == []
