"""Demo data: the city of the speech (乌海市) and its campaign, as plain data
plus one service, :func:`load_demo`, that writes it.

The figures add up to the ones the speech quotes: indicator totals at the
root (470万元 funds, 960万元 venues, 51/207/104 “三员”, 850 applications,
956 new members) and the look-back totals (41 make-up members, 7 educated
and transformed, 4 handled). The dates put late November 2026 inside the
look-back (回头看) of the second batch.

Loading is idempotent: every row is looked up by its natural key and only
created when missing; existing rows, passwords included, are left alone.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from campaign.models import (
    Batch,
    Campaign,
    Indicator,
    IndicatorValue,
    Membership,
    Participation,
    Phase,
    Role,
    SupervisionGroup,
    Unit,
    UnitKind,
)
from campaign.models.campaigns import LOOK_BACK_CHECKS, PhaseKind

# --- the unit tree ------------------------------------------------------------


class DemoUnit(NamedTuple):
    name: str
    short_name: str
    kind: str
    code: str
    leader_name: str
    member_count: int
    children: tuple = ()


CITY, DISTRICT, STREET = UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET
COMMUNITY, VILLAGE = UnitKind.COMMUNITY, UnitKind.VILLAGE
DEPARTMENT, ENTERPRISE = UnitKind.DEPARTMENT, UnitKind.ENTERPRISE

ROOT = DemoUnit("中共乌海市委员会", "乌海市", CITY, "150300", "王建国", 68, (
    DemoUnit("中共乌海市国家税务局党组", "市国税局", DEPARTMENT, "150300-101", "刘志宏", 126),
    DemoUnit("中共乌海市人民医院委员会", "市人民医院", DEPARTMENT, "150300-102", "陈丽华", 214),
    DemoUnit("中共乌海市劳动和社会保障局党组", "市劳动保障局", DEPARTMENT, "150300-103", "赵国栋", 58),
    DemoUnit("中共乌海市教育局党组", "市教育局", DEPARTMENT, "150300-104", "孙明远", 73),
    DemoUnit("中共乌海市民政局党组", "市民政局", DEPARTMENT, "150300-105", "周文斌", 45),
    DemoUnit("中共乌海市水务局党组", "市水务局", DEPARTMENT, "150300-106", "高建平", 49),
    DemoUnit("中共海勃湾区委员会", "海勃湾区", DISTRICT, "150302", "李志刚", 92, (
        DemoUnit("中共海勃湾区教育局委员会", "海勃湾区教育局", DEPARTMENT, "150302-101", "吴静", 64),
        DemoUnit("新华街道党工委", "新华街道", STREET, "150302-001", "郑海燕", 31, (
            DemoUnit("人民路社区党支部", "人民路社区", COMMUNITY, "150302-001-01", "高秀兰", 58),
            DemoUnit("海达社区党支部", "海达社区", COMMUNITY, "150302-001-02", "马玉梅", 46),
        )),
        DemoUnit("凤凰岭街道党工委", "凤凰岭街道", STREET, "150302-002", "韩立军", 27, (
            DemoUnit("滨河社区党支部", "滨河社区", COMMUNITY, "150302-002-01", "冯桂芳", 63),
            DemoUnit("团结社区党支部", "团结社区", COMMUNITY, "150302-002-02", "何淑珍", 39),
        )),
        DemoUnit("教子沟街道党工委", "教子沟街道", STREET, "150302-003", "许建平", 24, (
            DemoUnit("北山社区党支部", "北山社区", COMMUNITY, "150302-003-01", "邓红霞", 52),
        )),
        DemoUnit("千里山镇党委", "千里山镇", STREET, "150302-004", "曹永胜", 22, (
            DemoUnit("千里山镇千里山村党支部", "千里山村", VILLAGE, "150302-004-01", "田福海", 34),
            DemoUnit("千里山镇新地村党支部", "新地村", VILLAGE, "150302-004-02", "贾春生", 27),
            DemoUnit("千钢公司党委", "千钢公司", ENTERPRISE, "150302-004-11", "彭国庆", 86),
        )),
    )),
    DemoUnit("中共海南区委员会", "海南区", DISTRICT, "150303", "张海峰", 81, (
        DemoUnit("中共海南区民政局党组", "海南区民政局", DEPARTMENT, "150303-101", "罗建华", 37),
        DemoUnit("西卡街道党工委", "西卡街道", STREET, "150303-001", "梁志勇", 26, (
            DemoUnit("西卡社区党支部", "西卡社区", COMMUNITY, "150303-001-01", "宋玉兰", 55),
            DemoUnit("育才社区党支部", "育才社区", COMMUNITY, "150303-001-02", "唐丽娟", 41),
        )),
        DemoUnit("东山街道党工委", "东山街道", STREET, "150303-002", "董振东", 23, (
            DemoUnit("东山社区党支部", "东山社区", COMMUNITY, "150303-002-01", "袁秀英", 48),
            DemoUnit("新星社区党支部", "新星社区", COMMUNITY, "150303-002-02", "蒋凤琴", 36),
        )),
        DemoUnit("巴音陶亥镇党委", "巴音陶亥镇", STREET, "150303-003", "乌力吉", 25, (
            DemoUnit("巴音陶亥镇万亩滩村党支部", "万亩滩村", VILLAGE, "150303-003-01", "巴图", 43),
            DemoUnit("巴音陶亥镇赛汗乌素嘎查党支部", "赛汗乌素嘎查", VILLAGE, "150303-003-02", "其其格", 19),
            DemoUnit("华信化工公司党支部", "华信化工公司", ENTERPRISE, "150303-003-11", "谢宏伟", 28),
        )),
    )),
    DemoUnit("中共乌达区委员会", "乌达区", DISTRICT, "150304", "杨振国", 87, (
        DemoUnit("中共乌达区卫生局党组", "乌达区卫生局", DEPARTMENT, "150304-101", "潘晓东", 52),
        DemoUnit("新达街道党工委", "新达街道", STREET, "150304-001", "朱建军", 29, (
            DemoUnit("明达东路社区党支部", "明达东路社区", COMMUNITY, "150304-001-01", "林秀芳", 61),
            DemoUnit("新达社区党支部", "新达社区", COMMUNITY, "150304-001-02", "黄丽萍", 44),
        )),
        DemoUnit("三道坎街道党工委", "三道坎街道", STREET, "150304-002", "崔长青", 21, (
            DemoUnit("富强社区党支部", "富强社区", COMMUNITY, "150304-002-01", "程桂兰", 38),
            DemoUnit("胡杨社区党支部", "胡杨社区", COMMUNITY, "150304-002-02", "范玉珍", 33),
        )),
        DemoUnit("苏海图街道党工委", "苏海图街道", STREET, "150304-003", "薛国华", 24, (
            DemoUnit("苏海图社区党支部", "苏海图社区", COMMUNITY, "150304-003-01", "汪春燕", 47),
            DemoUnit("宏达煤业公司党支部", "宏达煤业公司", ENTERPRISE, "150304-003-11", "陆保平", 31),
        )),
        DemoUnit("五一乡党委", "五一乡", STREET, "150304-004", "贺文明", 20, (
            DemoUnit("五一乡富源村党支部", "富源村", VILLAGE, "150304-004-01", "任继先", 11),
            DemoUnit("五一乡巴音赛村党支部", "巴音赛村", VILLAGE, "150304-004-02", "白永福", 26),
            DemoUnit("五一乡乌兰淖尔村党支部", "乌兰淖尔村", VILLAGE, "150304-004-03", "苏和", 22),
        )),
    )),
))

# --- the campaign, its batches and phases ---------------------------------------

CAMPAIGN = {
    "name": "保持共产党员先进性教育活动",
    "description": "以实践“三个代表”重要思想为主要内容,分两批开展;"
    "在全国开展第三批教育活动期间,第一批单位重点抓中长期整改措施的落实,"
    "第二批单位利用3个月时间开展“五查五看”活动。",
    "start_date": date(2026, 1, 10),
    "end_date": date(2027, 1, 10),
}


class DemoBatch(NamedTuple):
    number: int
    name: str
    scope_note: str
    start_date: date
    end_date: date
    kinds: tuple  # the unit kinds that take part in this batch
    phases: tuple  # (kind, start, end, note), in order
    five_checks: bool = False  # its units run the 五查五看 checklist in the look-back


BATCHES = (
    DemoBatch(
        1, "第一批", "市、区两级党政机关和市直部门、单位",
        date(2026, 1, 10), date(2026, 12, 31),
        (CITY, DISTRICT, DEPARTMENT, UnitKind.INSTITUTION),
        (
            (PhaseKind.MOBILISE, date(2026, 1, 10), date(2026, 2, 28), ""),
            (PhaseKind.ANALYSE, date(2026, 3, 1), date(2026, 4, 15), ""),
            (PhaseKind.RECTIFY, date(2026, 4, 16), date(2026, 6, 30), ""),
            (PhaseKind.LOOK_BACK, date(2026, 7, 1), date(2026, 12, 31),
             "全国开展第三批教育活动期间,重点抓中长期整改措施的落实"),
        ),
    ),
    DemoBatch(
        2, "第二批", "街道(乡镇)、社区、嘎查村和非公有制企业党组织;"
        "“回头看”与全国第三批教育活动同期进行,为期3个月",
        date(2026, 7, 1), date(2027, 1, 10),
        (STREET, COMMUNITY, VILLAGE, ENTERPRISE),
        (
            (PhaseKind.MOBILISE, date(2026, 7, 1), date(2026, 8, 10), ""),
            (PhaseKind.ANALYSE, date(2026, 8, 11), date(2026, 9, 10), ""),
            (PhaseKind.RECTIFY, date(2026, 9, 11), date(2026, 10, 10), ""),
            (PhaseKind.LOOK_BACK, date(2026, 10, 11), date(2027, 1, 10),
             "全国开展第三批教育活动期间,利用3个月时间开展“五查五看”活动"),
        ),
        five_checks=True,
    ),
)

# --- participation figures --------------------------------------------------------
# Every unit takes part in the batch of its kind with all its members
# expected; these are the exceptions and the look-back figures.

MEMBERS_ABSENT = {
    "中共乌海市人民医院委员会": 4,
    "海达社区党支部": 1,
    "千钢公司党委": 2,
    "巴音陶亥镇万亩滩村党支部": 3,
    "五一乡乌兰淖尔村党支部": 2,
}

# (make-up class members, educated and transformed, handled organisationally)
LOOK_BACK_FIGURES = {
    "人民路社区党支部": (3, 1, 0),
    "海达社区党支部": (2, 0, 0),
    "滨河社区党支部": (4, 1, 1),
    "北山社区党支部": (2, 0, 0),
    "千里山镇千里山村党支部": (3, 0, 0),
    "千钢公司党委": (5, 1, 0),
    "西卡社区党支部": (3, 1, 0),
    "育才社区党支部": (2, 0, 1),
    "巴音陶亥镇万亩滩村党支部": (4, 0, 0),
    "华信化工公司党支部": (1, 0, 0),
    "明达东路社区党支部": (4, 2, 0),
    "富强社区党支部": (3, 0, 1),
    "苏海图社区党支部": (2, 1, 0),
    "五一乡富源村党支部": (1, 0, 0),
    "五一乡巴音赛村党支部": (2, 0, 1),
}

# Second-batch units whose 五查五看 is not finished: the checks still open.
LOOK_BACK_GAPS = {
    "团结社区党支部": (("check_measures", "check_mechanisms"), "两项整改措施需区民政局协调,已报上级部门。"),
    "新星社区党支部": (("check_coverage",), "3名流动党员尚未联系上,补课待安排。"),
    "华信化工公司党支部": (("check_mechanisms", "check_obligations"), "长效机制尚未建立,已要求说明原因。"),
    "五一乡乌兰淖尔村党支部": (("check_mechanisms",), "村务公开制度正在修订。"),
}

# --- indicators ----------------------------------------------------------------------

INDICATORS = (  # (code, name, unit of measure), in report order
    ("funds", "基层党建工作经费", "万元"),
    ("venues", "活动阵地建设投入", "万元"),
    ("instructors", "党建工作指导员", "名"),
    ("liaisons", "党建工作联络员", "名"),
    ("counsellors", "先进性教育活动辅导员", "名"),
    ("applications", "递交入党申请书", "名"),
    ("new_members", "新发展党员", "名"),
)

# code -> batch number -> unit name -> value; each unit enters only its own share.
INDICATOR_VALUES = {
    "funds": {  # 470: city, district and street/town budgets
        1: {"中共乌海市委员会": 170, "中共海勃湾区委员会": 60, "中共海南区委员会": 55, "中共乌达区委员会": 45},
        2: {
            "新华街道党工委": 12, "凤凰岭街道党工委": 10, "教子沟街道党工委": 8, "千里山镇党委": 14,
            "西卡街道党工委": 11, "东山街道党工委": 9, "巴音陶亥镇党委": 16,
            "新达街道党工委": 20, "三道坎街道党工委": 10, "苏海图街道党工委": 8, "五一乡党委": 22,
        },
    },
    "venues": {  # 960: community and village activity rooms
        2: {
            "新华街道党工委": 85, "凤凰岭街道党工委": 70, "教子沟街道党工委": 55, "千里山镇党委": 120,
            "西卡街道党工委": 90, "东山街道党工委": 65, "巴音陶亥镇党委": 150,
            "新达街道党工委": 60, "明达东路社区党支部": 35, "三道坎街道党工委": 60,
            "苏海图街道党工委": 50, "五一乡党委": 80, "五一乡富源村党支部": 40,
        },
    },
    "instructors": {  # 51, sent to the villages of the towns
        2: {"千里山镇党委": 14, "巴音陶亥镇党委": 19, "五一乡党委": 18},
    },
    "liaisons": {  # 207, sent by the districts to non-public enterprises
        2: {"中共海勃湾区委员会": 78, "中共海南区委员会": 61, "中共乌达区委员会": 68},
    },
    "counsellors": {  # 104, sent to the communities of the streets
        2: {
            "新华街道党工委": 16, "凤凰岭街道党工委": 13, "教子沟街道党工委": 10,
            "西卡街道党工委": 14, "东山街道党工委": 12,
            "新达街道党工委": 17, "三道坎街道党工委": 13, "苏海图街道党工委": 9,
        },
    },
    "applications": {  # 850
        1: {
            "中共乌海市国家税务局党组": 18, "中共乌海市人民医院委员会": 42, "中共乌海市劳动和社会保障局党组": 9,
            "中共乌海市教育局党组": 25, "中共乌海市民政局党组": 6,
            "中共海勃湾区委员会": 95, "中共海南区委员会": 70, "中共乌达区委员会": 85,
        },
        2: {"中共海勃湾区委员会": 180, "中共海南区委员会": 150, "中共乌达区委员会": 170},
    },
    "new_members": {  # 956
        1: {
            "中共乌海市国家税务局党组": 12, "中共乌海市人民医院委员会": 38, "中共乌海市劳动和社会保障局党组": 7,
            "中共乌海市教育局党组": 21, "中共乌海市民政局党组": 4,
            "中共海勃湾区委员会": 118, "中共海南区委员会": 96, "中共乌达区委员会": 104,
        },
        2: {"中共海勃湾区委员会": 196, "中共海南区委员会": 168, "中共乌达区委员会": 192},
    },
}

# --- supervision and people ---------------------------------------------------------

# Supervision groups are sent by the city (市委) to watch districts and departments;
# their members decide on those units' requests, being of none of them.
SUPERVISION_GROUPS = (
    {
        "name": "市委第三督导组",
        "leader": "supervisor",
        "members": ("supervisor",),
        "supervises": ("中共乌达区委员会",),
    },
    {
        "name": "市委第一督导组",
        "leader": "inspector",
        "members": ("inspector",),
        "supervises": (
            "中共海勃湾区委员会",
            "中共海南区委员会",
            "中共乌海市国家税务局党组",
            "中共乌海市人民医院委员会",
            "中共乌海市劳动和社会保障局党组",
            "中共乌海市教育局党组",
            "中共乌海市民政局党组",
            "中共乌海市水务局党组",
        ),
    },
)
SUPERVISION_GROUP = SUPERVISION_GROUPS[0]  # the one the demo's `supervisor` works in


class DemoUser(NamedTuple):
    username: str
    last_name: str
    first_name: str
    memberships: tuple  # (unit name, role)
    superuser: bool = False


USERS = (
    DemoUser("staff", "张", "晓梅", (("明达东路社区党支部", Role.STAFF), ("中共乌达区委员会", Role.STAFF))),
    DemoUser("supervisor", "李", "振华", ()),  # in 市委第三督导组, watching 乌达区
    DemoUser("inspector", "刘", "卫东", ()),  # in 市委第一督导组, watching the other districts and departments
    DemoUser("leader", "王", "建国", (("中共乌海市委员会", Role.LEADER),)),
    DemoUser("admin", "赵", "敏", (("中共乌海市委员会", Role.ADMIN),), superuser=True),
)

# --- loading ------------------------------------------------------------------------------


@dataclass
class DemoResult:
    root: Unit
    campaign: Campaign
    created: Counter = field(default_factory=Counter)  # model name -> rows created by this run


@transaction.atomic
def load_demo():
    """Write the demo city, campaign and users; a second run adds nothing."""
    loader = _Loader()
    units = loader.units(ROOT)
    root = units[ROOT.name]
    campaign = loader.get(Campaign, name=CAMPAIGN["name"], defaults={**CAMPAIGN, "issuing_unit": root})
    batches = {spec.number: loader.batch(campaign, spec) for spec in BATCHES}
    for spec in BATCHES:
        loader.participations(batches[spec.number], spec, [u for u in units.values() if u.kind in spec.kinds])
    loader.indicators(campaign, batches, units)
    users = {spec.username: loader.user(spec, units) for spec in USERS}
    for spec in SUPERVISION_GROUPS:
        group = loader.get(
            SupervisionGroup,
            campaign=campaign,
            name=spec["name"],
            defaults={"organising_unit": root, "leader": users[spec["leader"]]},
        )
        group.units.add(*(units[name] for name in spec["supervises"]))
        group.members.add(*(users[name] for name in spec["members"]))
    return DemoResult(root=root, campaign=campaign, created=loader.created)


class _Loader:
    """get_or_create on natural keys, counting what it creates."""

    def __init__(self):
        self.created = Counter()

    def get(self, model, defaults=None, **keys):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **keys)
        if created:
            self.created[model.__name__] += 1
        return obj

    def units(self, spec, parent=None):
        """The unit of ``spec`` and all below it, by name."""
        unit = self.get(
            Unit,
            parent=parent,
            name=spec.name,
            defaults={
                "short_name": spec.short_name,
                "kind": spec.kind,
                "code": spec.code,
                "leader_name": spec.leader_name,
                "member_count": spec.member_count,
            },
        )
        units = {unit.name: unit}
        for child in spec.children:
            units.update(self.units(child, parent=unit))
        return units

    def batch(self, campaign, spec):
        batch = self.get(
            Batch,
            campaign=campaign,
            number=spec.number,
            defaults={
                "name": spec.name,
                "scope_note": spec.scope_note,
                "start_date": spec.start_date,
                "end_date": spec.end_date,
            },
        )
        for order, (kind, start, end, note) in enumerate(spec.phases, start=1):
            self.get(
                Phase,
                batch=batch,
                kind=kind,
                defaults={"order": order, "start_date": start, "end_date": end, "note": note},
            )
        return batch

    def participations(self, batch, spec, units):
        for unit in units:
            figures = {
                "members_expected": unit.member_count,
                "members_participated": unit.member_count - MEMBERS_ABSENT.get(unit.name, 0),
            }
            if spec.five_checks:
                figures.update(_look_back_figures(unit.name))
            self.get(Participation, unit=unit, batch=batch, defaults=figures)

    def indicators(self, campaign, batches, units):
        for order, (code, name, measure) in enumerate(INDICATORS, start=1):
            indicator = self.get(
                Indicator, campaign=campaign, code=code, defaults={"name": name, "measure": measure, "order": order}
            )
            for number, values in INDICATOR_VALUES[code].items():
                for unit_name, value in values.items():
                    self.get(
                        IndicatorValue,
                        indicator=indicator,
                        unit=units[unit_name],
                        batch=batches[number],
                        defaults={"value": value},
                    )

    def user(self, spec, units):
        User = get_user_model()
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User.objects.create_user(
                spec.username,
                email=f"{spec.username}@example.org",
                password=settings.DEMO_PASSWORD,
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
            self.created[User.__name__] += 1
        for unit_name, role in spec.memberships:
            self.get(Membership, user=user, unit=units[unit_name], role=role)
        return user


def _look_back_figures(unit_name):
    makeup, transformed, handled = LOOK_BACK_FIGURES.get(unit_name, (0, 0, 0))
    open_checks, note = LOOK_BACK_GAPS.get(unit_name, ((), ""))
    checks = {check: check not in open_checks for check, _label in LOOK_BACK_CHECKS}
    return {
        "makeup_members": makeup,
        "members_transformed": transformed,
        "members_handled": handled,
        "look_back_note": note,
        **checks,
    }
