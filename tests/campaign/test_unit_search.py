"""The unit picker's search (issue 10): by name, short name or code, only among the units
the field accepts for this user; a typed name resolves without JavaScript."""

import pytest
from django.urls import reverse

from campaign.models import Role
from tests.factories import MembershipFactory, UserFactory

SEARCH = "campaign:unit_search"


def found(client, user, query, source="visible"):
    client.force_login(user)
    response = client.get(reverse(SEARCH), {"source": source, "q": query}, secure=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
class TestUnitSearch:
    def test_finds_by_name_short_name_and_code(self, client, staff_above, city):
        city["east_community"].code = "E-C-01"
        city["east_community"].save()
        assert "东区社区党支部" in found(client, staff_above, "社区")
        assert "中共东区委员会" in found(client, staff_above, "东区")
        assert "东区社区党支部" in found(client, staff_above, "e-c-01")

    def test_another_districts_units_are_never_offered(self, client, staff_above, city):
        assert "西区" not in found(client, staff_above, "西区")
        assert "西区社区党支部" not in found(client, staff_above, "社区党支部")
        assert "中共测试市委员会" not in found(client, staff_above, "测试市")

    def test_a_source_offers_what_its_field_accepts(self, client, city):
        leader = MembershipFactory(unit=city["east"], role=Role.LEADER, user=UserFactory(username="east-leader")).user
        assert "东区社区党支部" in found(client, leader, "社区", source="visible")
        assert "东区社区党支部" not in found(client, leader, "社区", source="edit")  # a leader keeps no ledger

    def test_an_unknown_source_or_an_anonymous_visitor_gets_nothing(self, client, staff_above):
        client.force_login(staff_above)
        assert client.get(reverse(SEARCH), {"source": "everything", "q": "区"}, secure=True).status_code == 404
        client.logout()
        response = client.get(reverse(SEARCH), {"source": "visible", "q": "区"}, secure=True)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_task_list_filter_takes_a_typed_name_without_javascript(client, staff_above, city):
    from tests.factories import TaskFactory

    TaskFactory(unit=city["east_community"], title="社区的任务")
    TaskFactory(unit=city["east"], title="区委的任务")
    client.force_login(staff_above)
    response = client.get(reverse("rectification:task_list"), {"within_search": "东区街道党工委"}, secure=True)
    assert [row.record.title for row in response.context["table"].paginated_rows] == ["社区的任务"]
    # a name outside the user's scope is refused, with a message, and nothing is listed
    response = client.get(reverse("rectification:task_list"), {"within_search": "西区街道党工委"}, secure=True)
    assert response.context["filter"].errors and not response.context["table"].paginated_rows


@pytest.mark.django_db
def test_the_task_list_page_has_no_select_of_units(client, city):
    leader = MembershipFactory(unit=city["city"], role=Role.LEADER).user
    client.force_login(leader)
    html = client.get(reverse("rectification:task_list"), secure=True).content.decode()
    assert "data-unit-picker" in html and "西区社区党支部" not in html
