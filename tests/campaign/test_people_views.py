"""Account pages: who sees whom, resets in and out of scope, deactivation, slips, imports through the page.

Personas: the east district's administrator (allowed), the west district's
administrator (another unit), east staff (no administrator), anonymous.
"""

import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaign import accounts
from campaign.models import Membership, Profile, ProvisioningRun, Role
from rectification.accounts import UNIT_WITHOUT_STAFF
from rectification.models import Notification
from tests.campaign.test_provisioning import every_role_sheet, xlsx
from tests.factories import CampaignFactory, MembershipFactory, SupervisionGroupFactory, TaskFactory, UserFactory

User = get_user_model()
PASSWORD = "pw-test-2026"


def member(unit, role, username):
    return MembershipFactory(unit=unit, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def west_staff(city):
    """Office staff of 西区, the other district of the test city."""
    return member(city["west"], Role.STAFF, "west-staff")



@pytest.fixture
def east_admin(city):
    return member(city["east"], Role.ADMIN, "east-admin")


@pytest.fixture
def west_admin(city):
    return member(city["west"], Role.ADMIN, "west-admin")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def live_session(user):
    """A browser where ``user`` signed in through the login page."""
    client = Client()
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200
    return client


def pdf_text(data):
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


# --- the list and a person's page -------------------------------------------------------------


def test_the_list_shows_the_administrators_own_people_only(east_admin, staff_above, west_staff):
    page = signed_in(east_admin).get("/campaign/people/")

    assert page.status_code == 200
    names = [row.username for row in page.context["table"].data]
    assert "east-staff" in names and "west-staff" not in names


def test_the_list_is_for_administrators(staff_above, client):
    assert signed_in(staff_above).get("/campaign/people/").status_code == 403
    response = client.get("/campaign/people/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_list_warns_of_units_without_office_staff(east_admin, staff_above):
    page = signed_in(east_admin).get("/campaign/people/").content.decode()

    assert "您管理的单位中有 2 个没有填报员账号" in page  # the east street and community; the district has east-staff
    assert "东区社区党支部" in page


def test_a_person_of_another_district_is_not_found(east_admin, west_staff):
    assert signed_in(east_admin).get(f"/campaign/people/{west_staff.pk}/").status_code == 404


def test_the_list_exports_what_it_shows(east_admin, staff_above):
    response = signed_in(east_admin).get("/campaign/people/?export=csv")
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "east-staff" in text and "west-staff" not in text


# --- resets --------------------------------------------------------------------------------------


def test_an_administrator_resets_a_password_in_scope_and_ends_its_sessions(east_admin, staff_above):
    their_browser = live_session(staff_above)

    page = signed_in(east_admin).post(f"/campaign/people/{staff_above.pk}/reset-password/")

    assert page.status_code == 200
    password = page.context["password"]
    assert password in page.content.decode()
    staff_above.refresh_from_db()
    assert check_password(password, staff_above.password) and not check_password(PASSWORD, staff_above.password)
    assert Profile.objects.get(user=staff_above).must_change_password
    assert their_browser.get("/").status_code == 302  # signed out
    again = Client()
    again.post("/login/", {"username": "east-staff", "password": password})
    assert again.get("/")["Location"].startswith("/account/password/")


def test_a_reset_out_of_scope_is_refused(east_admin, west_admin, west_staff, city, staff_above):
    password_before = User.objects.get(pk=west_staff.pk).password
    assert signed_in(east_admin).post(f"/campaign/people/{west_staff.pk}/reset-password/").status_code == 404
    # Someone who also sits in the east district is visible to the east admin, but only an
    # administrator over all their units may reset them.
    MembershipFactory(unit=city["east_street"], role=Role.LEADER, user=west_staff)
    assert signed_in(east_admin).post(f"/campaign/people/{west_staff.pk}/reset-password/").status_code == 403
    assert signed_in(staff_above).post(f"/campaign/people/{west_staff.pk}/reset-password/").status_code == 403
    assert Client().post(f"/campaign/people/{west_staff.pk}/reset-password/").status_code == 302
    assert User.objects.get(pk=west_staff.pk).password == password_before
    assert signed_in(west_admin).post(f"/campaign/people/{east_admin.pk}/reset-password/").status_code == 404


def test_a_reset_is_a_post(east_admin, staff_above):
    assert signed_in(east_admin).get(f"/campaign/people/{staff_above.pk}/reset-password/").status_code == 405


def test_nobody_resets_a_superuser_but_a_superuser(east_admin, city):
    boss = member(city["east"], Role.LEADER, "boss")
    User.objects.filter(pk=boss.pk).update(is_superuser=True)
    assert signed_in(east_admin).post(f"/campaign/people/{boss.pk}/reset-password/").status_code == 403


# --- deactivation ------------------------------------------------------------------------------


def test_the_last_office_staff_of_a_unit_is_not_deactivated_without_a_replacement(east_admin, staff_above):
    response = signed_in(east_admin).post(f"/campaign/people/{staff_above.pk}/deactivate/", follow=True)

    assert User.objects.get(pk=staff_above.pk).is_active
    assert "中共东区委员会 将没有填报员：请指定接替人。" in response.content.decode()


def test_deactivation_with_a_replacement_ends_the_session_and_keeps_the_history(east_admin, staff_above, city):
    successor = member(city["east_street"], Role.STAFF, "successor")
    task = TaskFactory(unit=city["east"], created_by=staff_above)
    group = SupervisionGroupFactory(campaign=CampaignFactory(issuing_unit=city["city"]), organising_unit=city["city"])
    group.members.add(staff_above)
    waiting = Notification.objects.create(user=staff_above, kind="urge", key="urge:1", title="催办")
    their_browser = live_session(staff_above)

    response = signed_in(east_admin).post(
        f"/campaign/people/{staff_above.pk}/deactivate/", {"replacement": successor.username}, follow=True
    )

    page = response.content.decode()
    assert "已停用 east-staff 的账号" in page and "successor 现为 东区 的填报员" in page
    staff_above.refresh_from_db()
    assert not staff_above.is_active
    assert their_browser.get("/").status_code == 302  # the live session is over
    assert Membership.objects.filter(user=successor, unit=city["east"], role=Role.STAFF).exists()
    assert list(group.members.all()) == []
    waiting.refresh_from_db()
    assert waiting.email_status == Notification.Email.NONE  # no e-mail goes out to them any more
    task.refresh_from_db()
    assert task.created_by == staff_above  # what they did stays theirs
    assert Membership.objects.filter(user=staff_above).exists()
    assert Client().post("/login/", {"username": "east-staff", "password": PASSWORD}).status_code == 200


def test_deactivation_out_of_scope_is_refused(east_admin, west_staff, staff_above):
    assert signed_in(east_admin).post(f"/campaign/people/{west_staff.pk}/deactivate/").status_code == 404
    assert signed_in(staff_above).post(f"/campaign/people/{west_staff.pk}/deactivate/").status_code == 403
    assert Client().post(f"/campaign/people/{west_staff.pk}/deactivate/").status_code == 302
    assert User.objects.get(pk=west_staff.pk).is_active


def test_a_unit_left_without_staff_anyway_warns_the_unit_above(city, east_admin):
    """The Django admin can switch an account off directly: the district above is told."""
    street_staff = member(city["east_street"], Role.STAFF, "street-staff")
    district_staff = member(city["east"], Role.STAFF, "district-staff")

    street_staff.is_active = False
    street_staff.save()

    told = Notification.objects.filter(kind=UNIT_WITHOUT_STAFF)
    assert set(told.values_list("user__username", flat=True)) == {"east-admin", "district-staff"}
    assert told.first().title == f"{city['east_street'].display_name} 没有填报员账号"
    assert district_staff.is_active


def test_removing_the_last_staff_membership_needs_a_replacement(east_admin, staff_above, city):
    membership = Membership.objects.get(user=staff_above)
    client = signed_in(east_admin)

    refused = client.post(f"/campaign/memberships/{membership.pk}/remove/", follow=True)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "将没有填报员" in refused.content.decode()

    successor = member(city["east"], Role.LEADER, "successor")
    client.post(f"/campaign/memberships/{membership.pk}/remove/", {"replacement": successor.username})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert Membership.objects.filter(user=successor, unit=city["east"], role=Role.STAFF).exists()


def test_reactivation_lets_the_person_sign_in_again(east_admin, staff_above, city):
    successor = member(city["east"], Role.STAFF, "successor")
    accounts.deactivate(east_admin, staff_above, replacement=successor)

    signed_in(east_admin).post(f"/campaign/people/{staff_above.pk}/reactivate/")

    assert Client().post("/login/", {"username": "east-staff", "password": PASSWORD}).status_code == 302


# --- provisioning through the pages -------------------------------------------------------------------


def upload(client, data, name="东区花名册.xlsx"):
    return client.post("/campaign/people/import/", {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def group(city):
    return SupervisionGroupFactory(
        campaign=CampaignFactory(issuing_unit=city["city"]), name="区委第一督导组", organising_unit=city["east"]
    )


def test_an_import_through_the_page_shows_the_accounts_and_prints_their_slips(east_admin, group):
    client = signed_in(east_admin)

    response = upload(client, every_role_sheet())

    run = ProvisioningRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaign/people/imports/{run.pk}/"
    page = client.get(response["Location"])
    text = page.content.decode()
    passwords = [accounts.initial_password(user.profile) for user in User.objects.exclude(pk=east_admin.pk)]
    assert all(password in text for password in passwords)
    assert "4 个新账号等待首次登录" in text

    slips = client.get(f"/campaign/people/imports/{run.pk}/slips.pdf")
    assert slips["Content-Type"] == "application/pdf"
    text = pdf_text(slips.content)
    assert all(name in text for name in ("张晓梅", "李振华", "王建国", "赵敏"))
    assert all(password in text for password in passwords)
    assert "http://campaign.test/" in text  # the address to type: SITE_URL (tests/settings.py)
    assert text.count("账号通知单") >= 3  # a page per unit: the district, the street, the community


def test_a_refused_import_lists_its_problems_on_the_page(east_admin):
    client = signed_in(east_admin)
    response = upload(client, xlsx([("钱多多", "13800000009", "", "中共西区委员会", "填报员", "")]), "西区.xlsx")

    page = client.get(response["Location"]).content.decode()
    assert "未导入" in page and "您管理的单位中没有“中共西区委员会”" in page
    assert User.objects.count() == 1


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_form(east_admin):
    response = upload(signed_in(east_admin), b"\x00\x01binary", "photo.xlsx")
    assert response.status_code == 200
    assert "该文件不是电子表格" in response.content.decode()
    assert not ProvisioningRun.objects.exists()


def test_an_import_and_its_slips_belong_to_whoever_uploaded_it(east_admin, west_admin, staff_above, group):
    upload(signed_in(east_admin), every_role_sheet())
    run = ProvisioningRun.objects.get()

    for path in (f"/campaign/people/imports/{run.pk}/", f"/campaign/people/imports/{run.pk}/slips.pdf"):
        assert signed_in(west_admin).get(path).status_code == 404
        assert signed_in(staff_above).get(path).status_code == 403
        assert Client().get(path).status_code == 302


def test_the_import_page_and_template_are_for_administrators(east_admin, staff_above):
    assert signed_in(east_admin).get("/campaign/people/import/").status_code == 200
    template = signed_in(east_admin).get("/campaign/people/import/template/")
    assert template.status_code == 200 and template.content.startswith(b"PK")
    assert signed_in(staff_above).get("/campaign/people/import/").status_code == 403
    assert upload(signed_in(staff_above), every_role_sheet()).status_code == 403
    assert Client().get("/campaign/people/import/").status_code == 302


def test_a_slip_is_printable_only_until_the_first_login(east_admin, city):
    person = member(city["east"], Role.STAFF, "newcomer")
    password = accounts.issue_initial_password(person)
    client = signed_in(east_admin)

    slip = client.get(f"/campaign/people/{person.pk}/slip.pdf")
    assert password in pdf_text(slip.content)

    accounts.password_changed(person)
    assert client.get(f"/campaign/people/{person.pk}/slip.pdf").status_code == 404


def test_the_django_admin_shows_the_profile_and_memberships_of_a_user(staff_above, admin_client):
    Profile.objects.create(user=staff_above, phone="13800000077")

    page = admin_client.get(f"/admin/auth/user/{staff_above.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "13800000077" in text and "中共东区委员会" in text


def test_slips_print_unit_by_unit_and_a_large_run_only_so(east_admin, group, city, monkeypatch):
    client = signed_in(east_admin)
    upload(client, every_role_sheet())
    run = ProvisioningRun.objects.get()

    one_unit = pdf_text(client.get(f"/campaign/people/imports/{run.pk}/slips.pdf?unit={city['east_street'].pk}").content)
    assert "王建国" in one_unit and "张晓梅" not in one_unit

    monkeypatch.setattr("campaign.views.people.SLIPS_PER_PDF", 2)
    page = client.get(f"/campaign/people/imports/{run.pk}/").content.decode()
    assert 'data-testid="slips"' not in page and 'data-testid="slips-by-unit"' in page
    refused = client.get(f"/campaign/people/imports/{run.pk}/slips.pdf", follow=True)
    assert "通知单太多，无法放在一个文件中：请按单位分别打印" in refused.content.decode()


PERSON_PAGES = [
    ("get", "/campaign/people/{pk}/"),
    ("get", "/campaign/people/{pk}/slip.pdf"),
    ("post", "/campaign/people/{pk}/reset-password/"),
    ("post", "/campaign/people/{pk}/deactivate/"),
    ("post", "/campaign/people/{pk}/reactivate/"),
    ("post", "/campaign/people/{pk}/unlock/"),
    ("post", "/campaign/memberships/{membership}/remove/"),
]


@pytest.mark.parametrize(("method", "path"), PERSON_PAGES)
def test_every_account_page_of_a_person_is_closed_to_other_units_staff_and_anonymous(
    method, path, east_admin, west_admin, west_staff, city
):
    person = member(city["east_community"], Role.STAFF, "newcomer")
    accounts.issue_initial_password(person)
    url = path.format(pk=person.pk, membership=Membership.objects.get(user=person).pk)
    before = list(User.objects.filter(pk=person.pk).values_list("password", "is_active"))

    assert getattr(signed_in(west_admin), method)(url).status_code == 404
    assert getattr(signed_in(west_staff), method)(url).status_code == 403
    anonymous = getattr(Client(), method)(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert list(User.objects.filter(pk=person.pk).values_list("password", "is_active")) == before
    assert Membership.objects.filter(user=person).exists()
    assert getattr(signed_in(east_admin), method)(url).status_code in (200, 302)  # the allowed persona


def test_the_unit_page_marks_units_below_without_office_staff(staff_above, city):
    page = signed_in(staff_above).get(f"/campaign/units/{city['east'].pk}/").content.decode()

    assert 'data-testid="no-staff"' not in page  # the district has east-staff
    assert page.count('data-testid="child-no-staff"') == 1  # its street has nobody
    assert "无填报员" in page


def test_the_list_filters_by_unit_below_and_by_state(east_admin, staff_above, city):
    newcomer = member(city["east_street"], Role.STAFF, "newcomer")
    accounts.issue_initial_password(newcomer)
    client = signed_in(east_admin)

    def names(query):
        return sorted(row.username for row in client.get(f"/campaign/people/?{query}").context["table"].data)

    assert names(f"within={city['east_street'].pk}") == ["newcomer"]
    assert names("state=first_login") == ["newcomer"]
    assert names("q=east-st") == ["east-staff"]
    assert names(f"within={city['west'].pk}") == []  # not a unit of theirs: the filter refuses it
