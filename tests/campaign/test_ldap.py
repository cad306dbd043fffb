"""Signing in with the intranet's directory, against a real slapd started by this test module.

The app is configured the way an operator would (config.ldap from LDAP_*
variables). Accounts are provisioned in the app with "sign in through the
directory"; the directory checks the password, the app keeps the units.
"""

import socket
import time

import pytest
from axes.models import AccessFailureLog
from django.contrib.auth import get_user_model
from django.test import Client

from campaign import provisioning
from campaign.importers import read_rows
from campaign.models import Membership, Role
from campaign.tasks import provision_accounts
from config import ldap as ldap_config
from tests.campaign.ldap_server import SlapdServer, free_port
from tests.campaign.test_provisioning import xlsx
from tests.factories import MembershipFactory, TaskFactory, UserFactory

User = get_user_model()
DIRECTORY_PASSWORD = "dir-pass-2026"
TIMEOUT = 2


@pytest.fixture(scope="module")
def slapd():
    server = SlapdServer().start()
    server.add_person("wangfang", DIRECTORY_PASSWORD, "王芳", mail="wangfang@campaign.test")
    server.add_person("stranger", DIRECTORY_PASSWORD, "路人甲")
    yield server
    server.stop()


def use_directory(settings, environment):
    """Settings as config.settings makes them from these variables."""
    for name, value in ldap_config.ldap_settings(environment).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, ldap_config.BACKEND]


@pytest.fixture
def directory(settings, slapd):
    use_directory(settings, slapd.environment(timeout=TIMEOUT))
    return slapd


@pytest.fixture
def wangfang(city, directory):
    """Office staff of the east district, provisioned to sign in through the directory."""
    admin = MembershipFactory(unit=city["east"], role=Role.ADMIN, user=UserFactory(username="east-admin")).user
    data = xlsx([("王芳", "wangfang", "中共东区委员会", "填报员")], header=["姓名", "登录名", "单位", "角色"])
    run = provisioning.start(admin, "东区.xlsx", data, read_rows(data), directory_sign_in=True, queue=provision_accounts.delay)
    assert run.counts["accounts"] == 1, run.problems
    return User.objects.get(username="wangfang")


def log_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_a_provisioned_directory_account_signs_in_and_sees_its_districts_tasks(client, city, wangfang):
    TaskFactory(unit=city["east_community"], title="东区社区吃水难整改")
    TaskFactory(unit=city["west_community"], title="西区社区道路整改")

    response = log_in(client, "wangfang", DIRECTORY_PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200  # no forced change: the directory keeps the password
    tasks = client.get("/rectification/tasks/").content.decode()
    assert "东区社区吃水难整改" in tasks and "西区社区道路整改" not in tasks
    wangfang.refresh_from_db()
    assert wangfang.email == "wangfang@campaign.test"  # taken from the directory
    assert not wangfang.has_usable_password()
    assert Membership.objects.filter(user=wangfang).count() == 1  # units stay the app's
    page = client.get("/account/password/").content.decode()
    assert "请在内网身份认证系统中修改密码" in page


def test_a_wrong_directory_password_is_refused_and_counted(client, wangfang):
    response = log_in(client, "wangfang", "not-the-password")

    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码" in response.content.decode()
    assert "统一身份认证服务" not in response.content.decode()  # the directory did answer
    assert AccessFailureLog.objects.filter(username="wangfang").count() == 1


def test_a_directory_account_the_app_was_not_given_cannot_sign_in(client, directory, city):
    response = log_in(client, "stranger", DIRECTORY_PASSWORD)

    assert response.status_code == 200
    assert not User.objects.filter(username="stranger").exists()


def test_a_login_unknown_to_the_directory_is_refused(client, directory, city):
    response = log_in(client, "nobody-at-all", DIRECTORY_PASSWORD)

    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码" in response.content.decode()


@pytest.fixture
def dead_directory(settings, slapd, city, staff_above):
    """The directory's address with nothing listening there."""
    use_directory(settings, slapd.environment(uri=f"ldap://127.0.0.1:{free_port()}", timeout=TIMEOUT))


def test_a_directory_that_does_not_answer_is_named_and_local_accounts_still_sign_in(client, dead_directory):
    response = log_in(client, "wangfang", DIRECTORY_PASSWORD)

    assert response.status_code == 200
    assert "统一身份认证服务（目录）没有响应，目前无法用内网账号登录；本系统的账号仍可正常登录" in response.content.decode()
    assert log_in(Client(), "east-staff", "pw-test-2026").status_code == 302


def test_a_directory_that_hangs_is_given_up_after_its_timeout(client, settings, slapd, city, staff_above):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are accepted by the kernel, and nothing is ever answered
    try:
        uri = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        use_directory(settings, slapd.environment(uri=uri, timeout=TIMEOUT))
        started = time.monotonic()

        response = log_in(client, "wangfang", DIRECTORY_PASSWORD)

        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert "统一身份认证服务（目录）没有响应" in response.content.decode()
    assert elapsed < TIMEOUT * 4, elapsed
    assert log_in(Client(), "east-staff", "pw-test-2026").status_code == 302
