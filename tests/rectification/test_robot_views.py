"""A unit's group-chat robots page: set up by the unit's administrators, secrets never shown back.
Who may open which page is the permission matrix's (tests/test_permission_matrix.py, rows robot_*)."""

from unittest import mock

import pytest
from django.urls import reverse

from rectification.models import ChatRobot, RobotMessage
from tests.conftest import assert_refused, in_english

TOKEN = "0123456789abcdef-very-secret-access-token"
SECRET = "SEC-signing-secret-0123456789abcdef"


def robots_url(unit):
    return reverse("rectification:robot_list", args=[unit.pk])


def new_robot(**overrides):
    data = {"name": "东区社区整改工作群", "platform": "dingtalk", "message_format": "markdown", "enabled": "on",
            "webhook_url": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", "secret": SECRET}  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def robot(city):
    return ChatRobot.objects.create(
        unit=city["east_community"], platform="dingtalk", name="东区社区整改工作群", secret=SECRET,
        webhook_url=f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}",
    )  # fmt: skip


@pytest.mark.django_db
class TestSettingUp:
    def test_an_administrator_adds_a_robot_and_never_sees_its_secrets_again(self, client, city, community_admin):
        in_english(client).force_login(community_admin)
        response = client.post(robots_url(city["east_community"]), new_robot())
        assert response.status_code == 302
        robot = ChatRobot.objects.get()
        assert robot.unit == city["east_community"] and robot.secret == SECRET and TOKEN in robot.webhook_url
        assert robot.created_by == community_admin
        page = client.get(robots_url(city["east_community"])).content.decode()
        assert "东区社区整改工作群" in page and "https://oapi.dingtalk.com/robot/send?" in page
        assert TOKEN not in page and SECRET not in page and TOKEN[-4:] in page
        edit = client.get(reverse("rectification:robot_edit", args=[robot.pk])).content.decode()
        assert TOKEN not in edit and SECRET not in edit

    def test_the_unit_page_leads_its_administrators_there(self, client, city, community_admin, unit_staff):
        client.force_login(community_admin)
        assert robots_url(city["east_community"]) in client.get(city["east_community"].get_absolute_url()).content.decode()
        client.force_login(unit_staff)
        assert robots_url(city["east_community"]) not in client.get(city["east_community"].get_absolute_url()).content.decode()

    def test_empty_secret_fields_keep_what_is_stored(self, client, robot, community_admin):
        client.force_login(community_admin)
        data = new_robot(name="改名的工作群", webhook_url="", secret="")
        assert client.post(reverse("rectification:robot_edit", args=[robot.pk]), data).status_code == 302
        robot.refresh_from_db()
        assert robot.name == "改名的工作群" and robot.secret == SECRET and TOKEN in robot.webhook_url

    def test_the_secret_can_be_removed(self, client, robot, community_admin):
        client.force_login(community_admin)
        data = new_robot(webhook_url="", secret="", remove_secret="on")
        client.post(reverse("rectification:robot_edit", args=[robot.pk]), data)
        robot.refresh_from_db()
        assert robot.secret == ""

    def test_a_host_not_allowed_is_refused_and_the_form_keeps_what_was_typed(self, client, city, community_admin):
        in_english(client).force_login(community_admin)
        typed = new_robot(webhook_url="http://10.0.0.5/internal?x=1", name="内网试试")
        response = client.post(robots_url(city["east_community"]), typed)
        assert response.status_code == 200 and not ChatRobot.objects.exists()
        page = response.content.decode()
        assert "Only these hosts may receive messages" in page
        assert 'value="内网试试"' in page and 'value="http://10.0.0.5/internal?x=1"' in page

    def test_an_address_is_needed_for_a_new_robot(self, client, city, community_admin):
        in_english(client).force_login(community_admin)
        response = client.post(robots_url(city["east_community"]), new_robot(webhook_url=""))
        assert "Give the robot&#x27;s webhook address." in response.content.decode() and not ChatRobot.objects.exists()

    def test_the_test_button_queues_one_message_after_the_commit(self, client, robot, community_admin,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
        client.force_login(community_admin)
        with mock.patch("rectification.tasks.deliver_robot_message.delay") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(reverse("rectification:robot_test", args=[robot.pk]))
        assert response.status_code == 302
        message = RobotMessage.objects.get()
        assert message.kind == "test" and message.status == "pending"
        delay.assert_called_once_with(message.pk)

    def test_removing_a_robot_removes_what_waits_for_it(self, client, robot, community_admin):
        RobotMessage.objects.create(robot=robot, kind="test", key="test:1", title="测试")
        client.force_login(community_admin)
        client.post(reverse("rectification:robot_delete", args=[robot.pk]))
        assert not ChatRobot.objects.exists() and not RobotMessage.objects.exists()

    def test_another_units_administrator_is_refused(self, client, city, robot, other_district):
        from tests.conftest import member

        west_admin = member(city["west_community"], "admin", "west-admin")
        client.force_login(west_admin)
        assert_refused(client.get(robots_url(city["east_community"])), 404)
        assert_refused(client.post(reverse("rectification:robot_edit", args=[robot.pk]), new_robot(name="x")), 404)
        robot.refresh_from_db()
        assert robot.name == "东区社区整改工作群"

    def test_the_units_staff_may_not_and_an_anonymous_visitor_logs_in(self, client, city, robot, unit_staff):
        client.force_login(unit_staff)
        assert_refused(client.post(reverse("rectification:robot_test", args=[robot.pk])), 403)
        assert not RobotMessage.objects.exists()
        client.logout()
        response = client.get(robots_url(city["east_community"]))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
