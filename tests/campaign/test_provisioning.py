"""Bulk provisioning: a district's accounts from one spreadsheet, all or nothing, idempotent."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password

from campaign import accounts, provisioning
from campaign.importers import read_rows
from campaign.models import Membership, Profile, ProvisioningRun, Role
from campaign.tasks import provision_accounts
from tests.factories import CampaignFactory, MembershipFactory, SupervisionGroupFactory, UserFactory

User = get_user_model()
HEADER = ["姓名", "手机号", "工号", "单位", "角色", "督导组"]


def xlsx(rows, header=HEADER, title="东区账号花名册"):
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_import(user, data, **options):
    options.setdefault("queue", provision_accounts.delay_on_commit)
    return provisioning.start(user, "花名册.xlsx", data, read_rows(data), **options)


@pytest.fixture
def east_admin(city):
    return MembershipFactory(unit=city["east"], role=Role.ADMIN, user=UserFactory(username="east-admin")).user


@pytest.fixture
def group(city):
    campaign = CampaignFactory(issuing_unit=city["city"])
    return SupervisionGroupFactory(campaign=campaign, name="区委第一督导组", organising_unit=city["east"])


def every_role_sheet():
    return xlsx(
        [
            ("张晓梅", "13800000001", "", "中共东区委员会", "填报员", ""),
            ("李振华", "138 0000 0002", "E002", "东区", "督导员", "区委第一督导组"),
            ("王建国", "", "E003", "东区街道党工委", "领导", ""),
            ("赵敏", "+86 13800000004", "", "东区社区党支部", "管理员", ""),
        ]
    )


def test_an_administrator_imports_a_sheet_with_every_role(east_admin, city, group):
    run = run_import(east_admin, every_role_sheet())

    assert run.status == ProvisioningRun.Status.DONE, run.problems
    assert run.counts == {"accounts": 4, "memberships": 4, "group_places": 1, "unchanged": 0}
    memberships = {(m.user.last_name, m.unit.name, m.role) for m in Membership.objects.exclude(user=east_admin)}
    assert memberships == {
        ("张晓梅", "中共东区委员会", Role.STAFF),
        ("李振华", "中共东区委员会", Role.SUPERVISOR),
        ("王建国", "东区街道党工委", Role.LEADER),
        ("赵敏", "东区社区党支部", Role.ADMIN),
    }
    # The login is the staff number when there is one, else the phone number (normalised).
    assert set(User.objects.exclude(pk=east_admin.pk).values_list("username", flat=True)) == {
        "13800000001", "E002", "E003", "13800000004",
    }  # fmt: skip
    supervisor = User.objects.get(username="E002")
    assert list(group.members.all()) == [supervisor]
    assert supervisor.profile.phone == "13800000002" and supervisor.profile.staff_number == "E002"
    # Each new account has a one-time password that works and must be changed.
    for user in User.objects.exclude(pk=east_admin.pk):
        password = accounts.initial_password(user.profile)
        assert password and user.profile.must_change_password
        assert check_password(password, user.password)
        assert user.password.startswith("pbkdf2_initial$")


def test_a_row_naming_a_unit_outside_the_scope_refuses_the_whole_file(east_admin, city):
    data = xlsx(
        [
            ("张晓梅", "13800000001", "", "中共东区委员会", "填报员", ""),
            ("钱多多", "13800000009", "", "中共西区委员会", "填报员", ""),  # the west district: not the east admin's
        ]
    )

    run = run_import(east_admin, data)

    assert run.status == ProvisioningRun.Status.REFUSED
    assert run.problems == [
        {
            "row": 4,
            "column": "单位",
            "message": "您管理的单位中没有“中共西区委员会”（请写单位全称、简称或代码）",
        }
    ]
    assert User.objects.count() == 1 and Membership.objects.count() == 1  # the admin alone: nothing imported


def test_the_same_file_again_changes_nothing(east_admin, city, group):
    first = run_import(east_admin, every_role_sheet())
    accounts_before = list(User.objects.order_by("pk").values_list("pk", "password"))

    second = run_import(east_admin, every_role_sheet())

    assert first.status == second.status == ProvisioningRun.Status.DONE
    assert second.counts == {"accounts": 0, "memberships": 0, "group_places": 0, "unchanged": 4}
    assert list(User.objects.order_by("pk").values_list("pk", "password")) == accounts_before
    assert Membership.objects.count() == 5 and group.members.count() == 1


def test_a_person_known_by_phone_gains_the_membership_instead_of_a_second_account(east_admin, city):
    known = MembershipFactory(unit=city["west"], role=Role.STAFF, user=UserFactory(username="zhang")).user
    Profile.objects.create(user=known, phone="13800000001")
    password_before = User.objects.get(pk=known.pk).password

    run = run_import(east_admin, xlsx([("张晓梅", "13800000001", "", "东区街道党工委", "填报员", "")]))

    assert run.counts["accounts"] == 0 and run.counts["memberships"] == 1
    assert User.objects.count() == 2
    assert set(Membership.objects.filter(user=known).values_list("unit__name", flat=True)) == {
        "中共西区委员会", "东区街道党工委",
    }  # fmt: skip
    assert User.objects.get(pk=known.pk).password == password_before  # their password is left alone


def test_a_person_known_by_login_gains_the_membership(east_admin, city):
    known = UserFactory(username="E777")
    run = run_import(east_admin, xlsx([("某某", "", "E777", "东区社区党支部", "领导", "")]))

    assert run.counts == {"accounts": 0, "memberships": 1, "group_places": 0, "unchanged": 0}
    assert Membership.objects.get(user=known).role == Role.LEADER


def test_one_person_on_two_rows_is_one_account_with_two_memberships(east_admin, city):
    run = run_import(
        east_admin,
        xlsx(
            [
                ("张晓梅", "13800000001", "", "中共东区委员会", "填报员", ""),
                ("张晓梅", "13800000001", "", "东区社区党支部", "填报员", ""),
            ]
        ),
    )

    assert run.counts["accounts"] == 1 and run.counts["memberships"] == 2
    assert Membership.objects.filter(user__username="13800000001").count() == 2


def test_every_bad_cell_is_named_by_row_and_column_and_nothing_is_imported(east_admin, city, group):
    data = xlsx(
        [
            ("", "13800000001", "", "中共东区委员会", "填报员", ""),
            ("李四", "12345", "", "中共东区委员会", "填报员", ""),
            ("王五", "13800000003", "", "", "书记", ""),
            ("赵六", "13800000004", "", "中共东区委员会", "领导", "区委第一督导组"),
            ("钱七", "", "", "中共东区委员会", "填报员", ""),
            ("孙八", "13800000006", "", "中共东区委员会", "督导员", "没有这个组"),
        ]
    )

    run = run_import(east_admin, data)

    assert run.status == ProvisioningRun.Status.REFUSED
    found = [(p["row"], p["column"], p["message"]) for p in run.problems]
    assert found == [
        (3, "姓名", "此单元格不能为空"),
        (4, "手机号", "“12345”不是手机号码（11位数字，以1开头）"),
        (5, "单位", "此单元格不能为空"),
        (5, "角色", "未知角色“书记”；请填写 填报员，督导员，领导 或 管理员"),
        (6, "督导组", "只有督导员才加入督导组"),
        (7, "手机号", "请填写手机号、工号或登录名"),
        (8, "督导组", "您管理的单位组织的督导组中没有“没有这个组”"),
    ]
    assert User.objects.count() == 1


def test_a_row_whose_phone_and_login_name_two_accounts_is_refused(east_admin, city):
    UserFactory(username="E001")
    other = UserFactory(username="other")
    Profile.objects.create(user=other, phone="13800000001")

    run = run_import(east_admin, xlsx([("张晓梅", "13800000001", "E001", "中共东区委员会", "填报员", "")]))

    assert run.status == ProvisioningRun.Status.REFUSED
    assert run.problems[0]["row"] == 3
    assert "E001、other" in run.problems[0]["message"]


def test_a_deactivated_account_must_be_reactivated_first(east_admin, city):
    UserFactory(username="E001", is_active=False)

    run = run_import(east_admin, xlsx([("张晓梅", "", "E001", "中共东区委员会", "填报员", "")]))

    assert run.status == ProvisioningRun.Status.REFUSED
    assert "已停用" in run.problems[0]["message"]


def test_staff_may_not_import_accounts_at_all(staff_above, city):
    run = run_import(staff_above, every_role_sheet())

    assert run.status == ProvisioningRun.Status.REFUSED
    assert User.objects.count() == 1


def test_directory_sign_in_makes_accounts_without_a_password_here(east_admin, city):
    header = ["姓名", "登录名", "单位", "角色"]
    run = run_import(east_admin, xlsx([("张晓梅", "zhangxm", "东区", "填报员")], header=header), directory_sign_in=True)

    user = User.objects.get(username="zhangxm")
    assert run.status == ProvisioningRun.Status.DONE
    assert not user.has_usable_password()
    assert not user.profile.must_change_password and accounts.initial_password(user.profile) is None


def test_directory_sign_in_needs_the_login_column(east_admin, city):
    run = run_import(east_admin, every_role_sheet(), directory_sign_in=True)

    assert run.status == ProvisioningRun.Status.REFUSED
    assert run.problems[0]["column"] == "登录名"


def test_a_large_file_is_left_to_a_background_worker(east_admin, city, group, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(provisioning, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr("campaign.tasks.provision_accounts.delay", lambda run_id: queued.append(run_id))

    with django_capture_on_commit_callbacks(execute=True):
        run = run_import(east_admin, every_role_sheet())

    assert run.status == ProvisioningRun.Status.QUEUED and run.row_count == 4
    assert queued == [run.pk]
    assert User.objects.count() == 1  # nothing yet: the worker imports it
    provisioning.run(run.pk)  # what the worker does
    run.refresh_from_db()
    assert run.status == ProvisioningRun.Status.DONE and run.counts["accounts"] == 4
    assert bytes(run.data) == b""  # the upload is not kept once read
    assert provisioning.run(run.pk) is None  # a second delivery of the message does nothing


def test_the_template_reads_back_as_a_valid_file_for_its_own_units(city):
    rows = read_rows(provisioning.template_workbook())
    assert rows[0][:6] == ["姓名", "手机号", "工号", "登录名", "单位", "角色"]
    records, problems = provisioning.validate(rows, UserFactory(is_superuser=True))
    assert len(records) == 3
    assert {p.column for p in problems} == {"单位", "督导组"}  # the example units and group do not exist here


def test_the_slips_of_a_run_cost_the_same_queries_for_many_people(east_admin, city, django_assert_max_num_queries):
    few = run_import(east_admin, xlsx([("甲", f"1380000010{n}", "", "东区", "填报员", "") for n in range(2)]))
    many = run_import(east_admin, xlsx([("乙", f"139000001{n:02d}", "", "东区", "填报员", "") for n in range(40)]))

    with django_assert_max_num_queries(4):
        assert len(provisioning.pending_accounts(few, east_admin)) == 2
    with django_assert_max_num_queries(4):
        assert len(provisioning.pending_accounts(many, east_admin)) == 40
