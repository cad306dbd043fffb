"""Logins: the forced first change, one's own password, lockout and unlock, records, idle timeout, logout everywhere."""

import datetime
import re
import time

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from campaign import accounts
from campaign.models import Profile, Role
from tests.conftest import member
from tests.factories import MembershipFactory, UserFactory

User = get_user_model()
PASSWORD = "pw-test-2026"  # tests.factories.UserFactory
NEW_PASSWORD = "晓梅的新密码-Quiet-Harbour-58"



@pytest.fixture
def west_staff(city):
    """Office staff of 西区, the other district of the test city."""
    return member(city["west"], Role.STAFF, "west-staff")

def log_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


@pytest.fixture
def newcomer(city):
    """Staff of the east district with a one-time initial password, as bulk provisioning makes them."""
    user = MembershipFactory(unit=city["east"], role=Role.STAFF, user=UserFactory(username="13800000001")).user
    user.initial = accounts.issue_initial_password(user)
    return user


# --- the first login --------------------------------------------------------------------


def test_the_first_login_forces_a_password_change_before_anything_else(client, newcomer):
    response = log_in(client, newcomer.username, newcomer.initial)
    assert response.status_code == 302

    for path in ("/", "/rectification/tasks/", "/campaign/units/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/password/?next=")
    page = client.get("/account/password/")
    assert page.status_code == 200
    assert "您使用初始密码登录，请现在设置自己的密码" in page.content.decode()


def test_the_new_password_must_pass_django_validators_and_differ_from_the_initial_one(client, newcomer):
    log_in(client, newcomer.username, newcomer.initial)
    form = {"old_password": newcomer.initial}

    weak = client.post("/account/password/", {**form, "new_password1": "12345678", "new_password2": "12345678"})
    same = client.post(
        "/account/password/", {**form, "new_password1": newcomer.initial, "new_password2": newcomer.initial}
    )

    assert weak.status_code == 200 and "这个密码太常见了" in weak.content.decode()
    assert "新密码不能与当前密码相同" in same.content.decode()
    assert client.get("/").status_code == 302  # still held at the password page


def test_after_the_change_the_user_goes_on_and_the_initial_password_is_dead(client, newcomer):
    log_in(client, newcomer.username, newcomer.initial)

    response = client.post(
        "/account/password/?next=/rectification/tasks/",
        {"old_password": newcomer.initial, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
         "next": "/rectification/tasks/"},
    )  # fmt: skip

    assert response.status_code == 302 and response["Location"] == "/rectification/tasks/"
    assert client.get("/").status_code == 200
    profile = Profile.objects.get(user=newcomer)
    assert not profile.must_change_password and profile.initial_password_key == ""
    assert accounts.initial_password(profile) is None
    fresh = Client()
    assert log_in(fresh, newcomer.username, newcomer.initial).status_code == 200  # refused: the form again
    assert log_in(fresh, newcomer.username, NEW_PASSWORD).status_code == 302
    assert fresh.get("/").status_code == 200  # no second forced change


def test_an_expired_initial_password_is_refused_with_a_reason(client, newcomer):
    days = settings.INITIAL_PASSWORD_MAX_AGE_DAYS + 1
    Profile.objects.filter(user=newcomer).update(initial_password_set_at=timezone.now() - datetime.timedelta(days=days))

    response = log_in(client, newcomer.username, newcomer.initial)

    assert response.status_code == 200
    assert "此初始密码已过期，请联系管理员重新生成" in response.content.decode()


def test_anyone_changes_their_own_password_and_their_other_sessions_end(staff_above):
    here, elsewhere = Client(), Client()
    log_in(here, "east-staff", PASSWORD)
    log_in(elsewhere, "east-staff", PASSWORD)

    response = here.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_the_password_page_needs_a_login(client):
    response = client.get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- lockout -----------------------------------------------------------------------------


def test_repeated_failures_lock_the_login_name_with_a_message_saying_until_when(client, staff_above):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "east-staff", "wrong").status_code == 200
    assert log_in(client, "east-staff", "wrong").status_code == 429  # the last failure allowed says so at once

    response = log_in(Client(), "east-staff", PASSWORD, REMOTE_ADDR="10.1.1.1")  # the right password, elsewhere

    assert response.status_code == 429
    last = AccessAttempt.objects.filter(username="east-staff").latest("attempt_time").attempt_time
    until = timezone.localtime(last + settings.AXES_COOLOFF_TIME).strftime("%H:%M")
    text = response.content.decode()
    assert f"登录失败次数过多，已暂时锁定，请于 {until} 后再试" in text
    assert "_auth_user_id" not in Client().session  # nobody signed in


def test_repeated_failures_from_one_address_lock_that_address_for_every_name(client, staff_above, west_staff):
    for number in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{number}", "wrong", REMOTE_ADDR="10.9.9.9")

    from_there = log_in(Client(), "west-staff", PASSWORD, REMOTE_ADDR="10.9.9.9")
    from_elsewhere = log_in(Client(), "west-staff", PASSWORD, REMOTE_ADDR="10.2.2.2")

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 302


def test_the_lock_ends_by_itself_after_the_cool_off(client, staff_above):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "east-staff", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=5))

    assert log_in(client, "east-staff", PASSWORD).status_code == 302


def test_an_administrator_unlocks_a_locked_login_name(client, staff_above, city_admin):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "east-staff", "wrong")
    admin = Client()
    admin.force_login(city_admin)
    page = admin.get(f"/campaign/people/{staff_above.pk}/").content.decode()
    assert "因多次登录失败，登录已锁定至" in page

    response = admin.post(f"/campaign/people/{staff_above.pk}/unlock/")

    assert response.status_code == 302
    assert log_in(client, "east-staff", PASSWORD).status_code == 302


def test_unlocking_is_for_administrators_of_the_persons_units(client, staff_above, west_staff, city):
    west_admin = MembershipFactory(unit=city["west"], role=Role.ADMIN, user=UserFactory(username="west-admin")).user
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "east-staff", "wrong")

    client.force_login(west_admin)
    assert client.post(f"/campaign/people/{staff_above.pk}/unlock/").status_code == 404
    client.force_login(west_staff)
    assert client.post(f"/campaign/people/{staff_above.pk}/unlock/").status_code == 403
    anonymous = Client().post(f"/campaign/people/{staff_above.pk}/unlock/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert AccessAttempt.objects.filter(username="east-staff").exists()


def test_logins_and_failures_are_recorded_and_shown_to_the_administrator(client, staff_above, city_admin):
    log_in(Client(), "east-staff", "wrong", REMOTE_ADDR="10.3.3.3")
    log_in(Client(), "east-staff", PASSWORD, REMOTE_ADDR="10.4.4.4")

    assert AccessFailureLog.objects.filter(username="east-staff", ip_address="10.3.3.3").count() == 1
    assert AccessLog.objects.filter(username="east-staff", ip_address="10.4.4.4").count() == 1
    client.force_login(city_admin)
    table = client.get(f"/campaign/people/{staff_above.pk}/").content.decode()
    table = table[table.index('data-testid="logins"') :]
    assert re.search(r"登录成功.*10\.4\.4\.4", table, re.S)
    assert re.search(r"登录失败.*10\.3\.3\.3", table, re.S)


# --- sessions ------------------------------------------------------------------------------


def test_the_idle_timeout_defaults_to_two_hours():
    assert settings.SESSION_IDLE_TIMEOUT == 2 * 60 * 60
    assert settings.SESSION_COOKIE_AGE > settings.SESSION_IDLE_TIMEOUT


def test_a_session_unused_past_the_idle_timeout_is_over(client, staff_above):
    log_in(client, "east-staff", PASSWORD)
    session = client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()

    response = client.get("/rectification/tasks/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/rectification/tasks/"
    page = client.get(response["Location"]).content.decode()
    assert "您已 120 分钟没有操作，已自动退出登录，请重新登录" in page
    assert client.get("/").status_code == 302


def test_a_session_in_use_stays_and_its_clock_restarts(client, staff_above):
    log_in(client, "east-staff", PASSWORD)
    session = client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT + 60
    session.save()

    assert client.get("/").status_code == 200
    assert client.session["last_seen"] >= int(time.time()) - 5


def test_logging_out_ends_the_users_sessions_on_every_browser(staff_above, west_staff):
    office, phone, colleague = Client(), Client(), Client()
    for browser in (office, phone):
        log_in(browser, "east-staff", PASSWORD)
    log_in(colleague, "west-staff", PASSWORD)

    office.post("/logout/")

    assert phone.get("/").status_code == 302
    assert colleague.get("/").status_code == 200  # another person's session is untouched
    assert Session.objects.count() == 1


def test_an_htmx_request_after_the_timeout_is_sent_to_the_login_page_as_a_whole(client, staff_above):
    log_in(client, "east-staff", PASSWORD)
    session = client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()

    response = client.get("/rectification/notifications/", headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/?next=")


def test_a_long_day_at_work_is_still_ended_by_logging_out_elsewhere(staff_above, west_staff):
    """Sessions are remembered per person until they end, however long they last."""
    from campaign.models import LoginSession

    office, phone = Client(), Client()
    log_in(office, "east-staff", PASSWORD)
    LoginSession.objects.update(started_at=timezone.now() - datetime.timedelta(hours=10))
    colleague = Client()
    log_in(colleague, "west-staff", PASSWORD)
    log_in(phone, "east-staff", PASSWORD)
    colleague.post("/logout/")  # another person's logout forgets nothing of east-staff's

    phone.post("/logout/")

    assert office.get("/").status_code == 302
