"""The province's roster as offices keep it (issue 10): headers 序号, 党组织名称, 党组织简称,
党组织类别, 上级党组织, 党组织书记, 党员人数 under a merged title row, categories that name
the organisation type; the kind of place inferred from the name and the unit above, asked
for by row and column where neither tells; all or nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from campaign import importers, roster
from campaign.models import OrgType, Unit, UnitImportRun, UnitKind
from tests.conftest import in_english

URL = reverse("campaign:unit_import")
HEADER = ["序号", "党组织名称", "党组织简称", "党组织类别", "上级党组织", "党组织书记", "党员人数"]


def roster_xlsx(rows, title="东区党组织信息表"):
    """As the party-member information system exports it: a merged title row, then the header."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FOUR_ROWS = [
    ("东区幸福街道党工委", "幸福街道", "党工委", "中共东区委员会", "张明", 320),
    ("幸福社区党委", "幸福社区", "党委", "东区幸福街道党工委", "李红", 86),
    ("幸福社区第一党支部", "", "党支部", "幸福社区党委", "王刚", 31),
    ("东区教育局机关党总支", "区教育局", "党总支", "中共东区委员会", "赵敏", 45),
]


@pytest.fixture
def admin_client(client, city_admin):
    client.force_login(city_admin)
    return client


def post(client, data):
    return in_english(client).post(URL, {"file": SimpleUploadedFile("党组织信息.xlsx", data)})


@pytest.mark.django_db
def test_a_four_row_roster_imports_with_its_types_and_inferred_kinds(admin_client, city):
    """Before: nothing imported, “缺少必填列“名称””."""
    response = post(admin_client, roster_xlsx(FOUR_ROWS))
    assert response.status_code == 302, response.context and [str(p) for p in response.context["problems"]]
    units = {unit.name: unit for unit in Unit.objects.filter(name__in=[row[0] for row in FOUR_ROWS])}
    street, community, branch, bureau = (units[row[0]] for row in FOUR_ROWS)
    assert (street.kind, street.org_type, street.parent, street.short_name) == (
        UnitKind.STREET, OrgType.WORKING_COMMITTEE, city["east"], "幸福街道",
    )  # fmt: skip
    assert (community.kind, community.org_type, community.parent) == (UnitKind.COMMUNITY, OrgType.COMMITTEE, street)
    assert (branch.kind, branch.org_type, branch.parent) == (UnitKind.COMMUNITY, OrgType.BRANCH, community)
    assert (bureau.kind, bureau.org_type, bureau.leader_name, bureau.member_count) == (
        UnitKind.DEPARTMENT, OrgType.GENERAL_BRANCH, "赵敏", 45,
    )  # fmt: skip
    assert street.code == ""  # no code column needed
    page = admin_client.get(reverse("campaign:unit_detail", args=[bureau.pk]))  # in English (post() chose it)
    assert '<dd data-testid="org-type">General party branch</dd>' in page.content.decode()


@pytest.mark.django_db
def test_a_roster_where_the_kind_cannot_be_told_imports_nothing_and_names_row_and_column(admin_client, city):
    rows = [
        *FOUR_ROWS,
        ("第二联合党支部", "", "联合党支部", "东区幸福街道党工委", "", 12),  # under a street: what place?
        ("嘎查党支部", "", "党小组", "幸福社区党委", "", "很多"),
    ]
    response = post(admin_client, roster_xlsx(rows))
    assert response.status_code == 200
    problems = [str(problem) for problem in response.context["problems"]]
    assert problems == [
        "Row 7, column “党组织名称”: cannot tell what kind of unit “第二联合党支部” is from its name or the "
        "unit above; write one of Provincial committee, City committee, District committee, Street/town working "
        "committee, Community branch, Village branch, Department/organ, Non-public enterprise or Institution in a "
        "column “类型”.",
        "Row 8, column “党组织类别”: unknown organisation type “党小组”; write Party committee, Party working "
        "committee, Leading party group, General party branch, Party branch or Joint party branch.",
        "Row 8, column “党员人数”: “很多” is not a number of members.",
    ]
    assert not Unit.objects.filter(name__in=[row[0] for row in rows]).exists()


@pytest.mark.django_db
def test_a_kind_column_settles_what_the_name_does_not(admin_client, city):
    rows = [["名称", "上级单位", "类型", "党组织类别"], ["第二联合党支部", "中共东区委员会", "社区", "联合党支部"]]
    data = "\r\n".join(",".join(row) for row in rows).encode("utf-8-sig")
    response = in_english(admin_client).post(URL, {"file": SimpleUploadedFile("tree.csv", data)})
    assert response.status_code == 302
    unit = Unit.objects.get(name="第二联合党支部")
    assert (unit.kind, unit.org_type) == (UnitKind.COMMUNITY, OrgType.JOINT_BRANCH)


@pytest.mark.parametrize(
    "name,parent_kind,kind",
    [
        ("中共测试省委员会", None, UnitKind.PROVINCE),
        ("中共测试市委员会", UnitKind.PROVINCE, UnitKind.CITY),
        ("中共东区委员会", UnitKind.CITY, UnitKind.DISTRICT),
        ("中共测试县委员会", UnitKind.CITY, UnitKind.DISTRICT),
        ("中共幸福镇委员会", UnitKind.DISTRICT, UnitKind.STREET),
        ("幸福街道办事处机关党支部", UnitKind.DISTRICT, UnitKind.STREET),
        ("幸福社区党委", UnitKind.STREET, UnitKind.COMMUNITY),
        ("红旗村党支部", UnitKind.STREET, UnitKind.VILLAGE),
        ("巴彦嘎查党支部", UnitKind.STREET, UnitKind.VILLAGE),
        ("东区乡村振兴局党组", UnitKind.DISTRICT, UnitKind.DEPARTMENT),
        ("东区发展和改革委员会党组", UnitKind.DISTRICT, UnitKind.DEPARTMENT),
        ("市委办公室第一党支部", UnitKind.CITY, UnitKind.DEPARTMENT),
        ("第三党支部", UnitKind.DEPARTMENT, UnitKind.DEPARTMENT),  # of its parent's kind
        ("测试建设集团有限公司党委", UnitKind.DISTRICT, UnitKind.ENTERPRISE),
        ("东区人民医院党总支", UnitKind.DISTRICT, UnitKind.INSTITUTION),
        ("第二联合党支部", UnitKind.STREET, None),  # nothing to go by: asked for
    ],
)
def test_the_kind_of_place_from_the_name_and_the_unit_above(name, parent_kind, kind):
    assert roster.kind_from_name(name, parent_kind) == kind


@pytest.mark.parametrize(
    "name,org_type",
    [("幸福社区第一党支部", OrgType.BRANCH), ("东区教育局机关党总支", OrgType.GENERAL_BRANCH), ("中共东区委员会", OrgType.COMMITTEE),
     ("幸福街道党工委", OrgType.WORKING_COMMITTEE), ("区财政局党组", OrgType.LEADING_GROUP), ("第二联合党支部", OrgType.JOINT_BRANCH),
     ("东区教育局", "")],
)  # fmt: skip
def test_the_organisation_type_from_the_name_when_the_category_is_empty(name, org_type):
    assert roster.org_type_from_name(name) == org_type


@pytest.mark.django_db
def test_the_roster_validates_without_a_code_column(city_admin, city):
    rows = [["东区党组织信息表"], HEADER, ["1", *map(str, FOUR_ROWS[0])]]
    with translation.override("en"):
        records, problems = importers.validate(rows, city_admin)
    assert problems == [] and records[0].kind == UnitKind.STREET


# --- a large roster in the background ---------------------------------------------------------


@pytest.mark.django_db
class TestInTheBackground:
    @pytest.fixture(autouse=True)
    def small_threshold(self, settings):
        settings.UNIT_IMPORT_BACKGROUND_ROWS = 3

    def upload(self, client, rows):
        response = client.post(URL, {"file": SimpleUploadedFile("全省党组织.xlsx", roster_xlsx(rows))})
        assert response.status_code == 302
        run = UnitImportRun.objects.get()
        assert response["Location"] == reverse("campaign:unit_import_run", args=[run.pk])
        return run

    def test_a_large_roster_is_imported_by_the_worker_and_the_page_follows(self, admin_client, city):
        run = self.upload(admin_client, FOUR_ROWS)
        assert run.row_count == 4 and not Unit.objects.filter(name="幸福社区党委").exists()
        page = admin_client.get(reverse("campaign:unit_import_run", args=[run.pk])).content.decode()
        assert 'data-status="queued"' in page and 'hx-trigger="every 2s"' in page

        importers.run(run.pk)  # what the worker does
        assert importers.run(run.pk) is None  # a second delivery finds it taken
        status = admin_client.get(reverse("campaign:unit_import_run", args=[run.pk]), headers={"HX-Request": "true"})
        html = status.content.decode()
        assert 'data-status="done"' in html and "hx-trigger" not in html
        assert '<dd data-testid="count-units">4</dd>' in html
        assert Unit.objects.get(name="幸福社区第一党支部").org_type == OrgType.BRANCH
        run.refresh_from_db()
        assert run.data == b""  # the upload is not kept

    def test_a_broken_roster_imports_nothing_and_the_page_names_row_and_column(self, admin_client, city):
        rows = [*FOUR_ROWS, ("第二联合党支部", "", "联合党支部", "东区幸福街道党工委", "", 12)]
        run = self.upload(admin_client, rows)
        importers.run(run.pk)
        run.refresh_from_db()
        assert run.status == UnitImportRun.Status.REFUSED
        assert [(p["row"], p["column"]) for p in run.problems] == [(7, "党组织名称")]
        assert not Unit.objects.filter(name__in=[row[0] for row in rows]).exists()
        html = admin_client.get(reverse("campaign:unit_import_run", args=[run.pk])).content.decode()
        assert '<td class="num">7</td><td>党组织名称</td>' in html and "未导入任何内容" in html

    def test_only_the_uploader_follows_the_run(self, admin_client, city, community_admin, unit_staff, superuser, client):
        run = self.upload(admin_client, FOUR_ROWS)
        for user in (community_admin, unit_staff, superuser):
            client.force_login(user)
            assert client.get(reverse("campaign:unit_import_run", args=[run.pk])).status_code == 404
        client.logout()
        response = client.get(reverse("campaign:unit_import_run", args=[run.pk]))
        assert response.status_code == 302 and "/login" in response["Location"]
