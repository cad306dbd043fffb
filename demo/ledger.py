"""Demo data: the rectification ledger (整改台账) of the demo city, telling the
speech's stories, with a task in every state the product knows.

Runs after :func:`demo.city.load_demo` (it needs the city, the campaign,
its batches, the supervision group and the demo users). Every problem and
every task is looked up by its natural key (title + unit); a task that exists
is left alone with all its history, so a second run adds and changes nothing.

Each task is written through the workflow services, acting as the demo users
(``staff`` and ``supervisor`` inside 乌达区, ``admin`` — the campaign office —
elsewhere), so that its history names real people; the timestamps of each
step are then moved into the past. Dates are counted from the day of loading
(``timezone.localdate()``), so that a task that is overdue, due soon or on
time stays so whenever the demo is loaded.

The stories: 吃水难 in 明达东路社区 (rooted in the city water bureau, with a
coordination request answered and the work still going on), 看病难 in 富源村
(市人民医院's free clinics), 上学难 (市教育局 abolished the transient-pupil
fee), 市国税局 raising the tax threshold, 市劳动保障局 recovering migrant
workers' wages, a second-batch problem in 胡杨社区 rooted in 市民政局's
first-batch problem (两批互动), 千钢公司's migrant party members, 海南区's
“七老” mentors, and the rest.
"""

import struct
import textwrap
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.models import HistoricalRecords

from campaign import permissions
from campaign.models import Batch, Campaign, SupervisionGroup, Unit
from campaign.permissions import DECIDE, EDIT
from demo import city as campaign_demo
from rectification import rollups, services, spotchecks
from rectification.models import (
    AccountabilityRecord,
    CoordinationRequest,
    Explanation,
    ExtensionRequest,
    Problem,
    SpotCheck,
    Task,
    Term,
    Verification,
    WarningLevel,
)
from rectification.models.decisions import Decision, ExplanationReason
from rectification.models.problems import ProblemCategory, ProblemSource
from rectification.models.supervision import AccountabilityMeasure
from rectification.warnings import policy_for

# --- evidence files, made in code ------------------------------------------------


class Photo(NamedTuple):
    """A small real PNG: a building in ``colour`` under a sky, standing in for a site photo."""

    name: str
    colour: tuple = (176, 58, 46)

    def content(self):
        return png_bytes(self.colour)


class Document(NamedTuple):
    """A one-page PDF with a title and lines of Chinese text."""

    name: str
    title: str
    lines: tuple = ()

    def content(self):
        return pdf_bytes(self.title, self.lines)


def png_bytes(colour, width=96, height=64):
    sky, ground, window = (196, 222, 240), (214, 196, 160), (250, 240, 190)
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            pixel = sky if y < height * 2 // 3 else ground
            if 24 <= x < 72 and 20 <= y < 52:  # the building
                pixel = window if (x - 28) % 10 < 5 and (y - 24) % 9 < 4 and y < 48 else colour
            row += bytes(pixel)
        rows.append(b"\x00" + bytes(row))  # filter type 0 per row

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    pixels = zlib.compress(b"".join(rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def pdf_bytes(title, lines):
    """A valid one-page A4 PDF; Chinese text in the standard STSong-Light CJK font (not embedded)."""

    def text(value):
        return "<" + value.encode("utf-16-be").hex().upper() + ">"

    ops = ["BT", "/F1 16 Tf", f"1 0 0 1 56 770 Tm {text(title)} Tj", "/F1 11 Tf"]
    y = 736
    for line in lines:
        for part in textwrap.wrap(line, 40) or [""]:
            ops.append(f"1 0 0 1 56 {y} Tm {text(part)} Tj")
            y -= 20
    ops.append("ET")
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the workflow steps of a task, as data ----------------------------------------
# ``days`` is how many days before loading the step happened. Steps of the
# unit (progress, explanations, requests) are taken by its clerk: ``staff``
# inside 乌达区, ``admin`` elsewhere. Steps of a supervisor (closing,
# returning, reviewing explanations, deciding, urging, spot checks) are taken
# by ``supervisor`` where they may verify the task, ``admin`` elsewhere.


class Step(NamedTuple):
    action: str
    days: int
    args: dict


def progress(days, percent, text, *files):
    return Step("progress", days, {"percent": percent, "text": text, "files": files})


def explain(days, reason, text):
    return Step("explain", days, {"reason": reason, "text": text})


def review(days, note):
    """A supervisor reads the latest overdue explanation."""
    return Step("review", days, {"note": note})


def ask_closing(days, note):
    return Step("ask_closing", days, {"note": note})


def approve(days, note=""):
    return Step("approve", days, {"note": note})


def send_back(days, reason):
    return Step("send_back", days, {"reason": reason})


def ask_extension(days, due_in, reason):
    return Step("ask_extension", days, {"due_in": due_in, "reason": reason})


def decide_extension(days, approved, note):
    return Step("decide_extension", days, {"approved": approved, "note": note})


def urge(days, message):
    return Step("urge", days, {"message": message})


def coordinate(days, to, subject, text):
    return Step("coordinate", days, {"to": to, "subject": subject, "text": text})


def reply(days, text):
    """The department asked replies (recorded by the campaign office)."""
    return Step("reply", days, {"text": text})


def resolve(days):
    return Step("resolve", days, {})


def spot_check(days, units, summary, findings):
    """A spot check by the supervision group; ``findings`` are (task title, unit, passed, note)."""
    return Step("spot_check", days, {"units": units, "summary": summary, "findings": findings})


def accountability(days, unit, person, measure, decided_by, note):
    return Step(
        "accountability",
        days,
        {"unit": unit, "person": person, "measure": measure, "decided_by": decided_by, "note": note},
    )


class DemoTask(NamedTuple):
    title: str
    unit: str  # short name
    term: str
    start: int  # days from the day of loading (negative: in the past)
    due: int
    person: str
    measures: str
    steps: tuple = ()
    co_units: tuple = ()
    subtasks: tuple = ()
    leader: str = ""  # defaults to the unit's leader


class DemoProblem(NamedTuple):
    title: str
    unit: str  # short name
    batch: int
    source: str
    category: str
    found: int  # days before loading
    description: str
    tasks: tuple
    root_unit: str = ""
    related: tuple = ()  # (title, unit) of the related problem of another batch


# --- the ledger -------------------------------------------------------------------------

PUBLIC, SELF, SUPERVISION = ProblemSource.PUBLIC, ProblemSource.SELF, ProblemSource.SUPERVISION
ABOVE, CROSS_BATCH = ProblemSource.ABOVE, ProblemSource.CROSS_BATCH
LIVELIHOOD, CONDUCT, ORGANISATION = ProblemCategory.LIVELIHOOD, ProblemCategory.CONDUCT, ProblemCategory.ORGANISATION
DEVELOPMENT, SERVICE = ProblemCategory.DEVELOPMENT, ProblemCategory.SERVICE
IMMEDIATE, SHORT, LONG = Term.IMMEDIATE, Term.SHORT, Term.LONG
R = ExplanationReason

WATER = ("老城区供水管网老化,部分小区高峰时段水压不足", "市水务局")
SCHOOL_FEE = ("外来人口子女入学收取借读费,群众负担重", "市教育局")
HOSPITAL = ("群众看病难、看病烦、看病累", "市人民医院")
ALLOWANCE = ("城市低保审批环节多、时限长,困难群众多次往返", "市民政局")

# First batch: the city, the districts and the city departments.
FIRST_BATCH = (
    DemoProblem(
        "小煤矿安全隐患多、环境污染严重,群众反映强烈", "乌海市", 1, ABOVE, DEVELOPMENT, 260,
        "自治区党委督导组反馈:我市小煤矿数量多、储量小,安全事故时有发生,环境污染群众反映强烈。",
        (
            DemoTask(
                "关闭不具备安全生产条件的小煤矿", "乌海市", LONG, -250, 100, "市安监局 郭振华",
                "一是对全市小煤矿逐一核查,凡不符合安全生产条件、储量较小、不具备整改条件的一律关闭;"
                "二是对化工企业、建筑工地、道路交通、学校、宾馆等人员密集场所加大检查力度;"
                "三是建立关闭矿井复查制度,严防死灰复燃。",
                (
                    progress(230, 30, "完成全市小煤矿安全生产条件核查,确定关闭名单。"),
                    progress(150, 70, "已关闭不具备安全生产条件的小煤矿,关闭矿井全部炸毁井筒、拆除设备。"),
                    progress(20, 85, "对化工企业、建筑工地等人员密集场所开展第三轮安全检查,整改隐患214处。"),
                ),
                leader="王建国",
            ),
        ),
    ),
    DemoProblem(
        "基层党组织活动经费短缺,活动难以经常开展", "乌海市", 1, SELF, ORGANISATION, 255,
        "查摆发现:部分农区、社区和困难企业党组织没有稳定的活动经费,组织活动不经常。",
        (
            DemoTask(
                "基层党建工作经费列入各级财政预算", "乌海市", LONG, -250, 30, "市委组织部 孟凡军",
                "一是市、区、镇(街道)三级财政将基层党建工作经费列入预算,专款专用;"
                "二是确保农区、社区、困难企业等基层单位至少有2000元至3000元活动经费;"
                "三是形成经费保障长效机制,纳入市委1号文件落实情况考核。",
                (
                    progress(220, 50, "市委1号文件已印发,三级财政预算列支基层党建工作经费470万元。"),
                    progress(40, 90, "各区、街道(镇)配套经费已全部拨付到位,每个社区、农区党组织活动经费达到3000元左右。"),
                ),
                leader="王建国",
            ),
        ),
    ),
    DemoProblem(
        *WATER, 1, PUBLIC, LIVELIHOOD, 230,
        "群众反映:城区部分供水管网铺设于上世纪八十年代,锈蚀严重,夏季高峰时段水压不足、经常断水。",
        (
            DemoTask(
                "城区老旧供水管网改造", "市水务局", LONG, -220, 120, "王志强",
                "一是对城区2000年以前铺设的供水管网全面排查,建立老旧管网台账;"
                "二是分年度实施改造,今年完成乌达区明达东路、海勃湾区新华街道等片区约12公里管网更换;"
                "三是对水压不足的小区实行错峰供水和临时加压。",
                (
                    progress(200, 15, "完成城区老旧管网普查,排查需改造管网38.6公里,建立改造台账。"),
                    progress(120, 35, "新华街道片区管网改造完工,更换管道4.2公里。"),
                    progress(30, 52, "明达东路片区管网改造开工,市自来水公司组织两个施工队同步作业。",
                             Photo("明达东路片区施工现场.png", (70, 110, 150))),
                ),
            ),
        ),
    ),
    DemoProblem(
        "个体工商户税负偏重,下岗再就业人员经营困难", "市国税局", 1, PUBLIC, SERVICE, 250,
        "征求意见中,个体工商户和下岗再就业职工反映起征点偏低、税负偏重。",
        (
            DemoTask(
                "调整个体工商户增值税起征点", "市国税局", SHORT, -240, -150, "税政科 韩玉清",
                "一是从事商业零售的个体工商业户起征点由2500元调至4000元;"
                "二是下岗再就业职工从事商业零售的起征点由3000元调至5000元;"
                "三是在各办税服务厅公示调整政策,逐户告知受惠纳税人。",
                (
                    progress(200, 60, "起征点调整方案已经局党组会议研究通过,报自治区国税局备案。"),
                    progress(160, 100, "两项起征点调整政策已执行,惠及纳税人2393户。",
                             Document("起征点调整执行情况.pdf", "市国税局起征点调整执行情况", (
                                 "一、商业零售个体工商业户起征点由2500元调至4000元。",
                                 "二、下岗再就业职工从事商业零售的起征点由3000元调至5000元。",
                                 "三、两项税收优惠政策共惠及纳税人2393户。",
                             ))),
                    ask_closing(158, "起征点调整已执行到位,附执行情况报告,申请销号。"),
                    approve(150, "材料齐全,惠及2393户纳税人,同意销号。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "建筑领域拖欠农民工工资问题突出", "市劳动保障局", 1, PUBLIC, LIVELIHOOD, 245,
        "群众反映部分建筑企业年底拖欠农民工工资,农民工讨薪难。",
        (
            DemoTask(
                "清理建筑领域拖欠农民工工资", "市劳动保障局", SHORT, -235, -120, "劳动监察支队 石文斌",
                "一是出台《建筑领域劳动用工和工资支付暂行规定》,实行工资保证金制度;"
                "二是开展专项检查,对拖欠工资的建筑企业限期清欠;"
                "三是开通举报投诉电话,做到有诉必接、接诉即办。",
                (
                    progress(200, 40, "《建筑领域劳动用工和工资支付暂行规定》已经市政府常务会议通过并印发。"),
                    progress(130, 100, "专项检查建筑企业64家,为农民工追回拖欠工资400多万元。",
                             Document("追回拖欠工资台账.pdf", "建筑领域清欠工作台账", (
                                 "检查建筑企业64家,责令限期清欠企业23家。",
                                 "为农民工追回拖欠工资400多万元,已全部发放到本人。",
                             )),
                             Photo("工资发放现场.png", (160, 120, 60))),
                    ask_closing(128, "清欠工作完成,附清欠台账和发放现场照片,申请销号。"),
                    approve(121, "清欠台账与发放签字表相符,同意销号。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        *SCHOOL_FEE, 1, PUBLIC, SERVICE, 240,
        "外来务工人员反映,子女在本市就读须交借读费,负担较重。",
        (
            DemoTask(
                "取消外来人口子女入学借读费", "市教育局", SHORT, -230, -160, "基础教育科 刘春梅",
                "一是取消义务教育阶段外来人口子女入学借读费;"
                "二是向各区教育局和中小学印发通知,设立举报电话接受群众监督;"
                "三是对执行情况开展专项检查。",
                (
                    progress(190, 100, "已印发《关于取消外来人口子女入学借读费的通知》,专项检查未发现违规收费。",
                             Document("取消借读费通知.pdf", "关于取消外来人口子女入学借读费的通知", (
                                 "各区教育局、市直各中小学:",
                                 "自本学期起,义务教育阶段外来人口子女入学一律不收借读费。",
                                 "各校须在校门口公示,并公布举报电话。",
                             ))),
                    ask_closing(188, "通知已印发并检查落实,申请销号。"),
                    approve(175, "抽查6所学校均已执行,同意销号。"),
                ),
            ),
            DemoTask(
                "落实义务教育“两免一补”政策", "市教育局", LONG, -225, 60, "财务科 冯建业",
                "一是对义务教育阶段农区学校学生和城市低保家庭学生免除书本费、杂费,补助寄宿生生活费;"
                "二是建立受助学生档案,做到应助尽助;三是每学期公示受助名单。",
                (
                    progress(180, 40, "春季学期“两免一补”资金已拨付,受助学生档案建立完毕。"),
                    progress(60, 70, "秋季学期资金拨付到校,全市近1.4万名学生受益。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        *HOSPITAL, 1, PUBLIC, SERVICE, 235,
        "群众反映挂号、缴费排队时间长,偏远地区群众就医不便。",
        (
            DemoTask(
                "开展医院管理年活动,优化就诊流程", "市人民医院", LONG, -225, 35, "医务科 姜海涛",
                "一是在全院开展医院管理年活动;二是增设挂号、缴费窗口,推行预约诊疗;"
                "三是改善门诊就诊环境,设立导医服务台。",
                (
                    progress(180, 30, "医院管理年活动实施方案已印发,门诊新增挂号缴费窗口4个。"),
                    progress(50, 65, "推行电话预约诊疗,门诊平均候诊时间由45分钟缩短到20分钟。"),
                ),
            ),
            DemoTask(
                "开展“访民情解民难”下乡义诊", "市人民医院", LONG, -200, 12, "院党委办公室 白雪",
                "利用休息日组织医疗队深入偏远农区、社区开展义诊,送医送药,"
                "义务为群众进行诊查和保健咨询。",
                (
                    progress(150, 40, "组织义诊12次,诊查群众400余人。"),
                    progress(25, 80, "先后派出义诊人员近百人次,诊查群众上千人,发放宣传资料上万份。",
                             Photo("下乡义诊.png", (60, 140, 90))),
                ),
            ),
        ),
    ),
    DemoProblem(
        *ALLOWANCE, 1, SELF, SERVICE, 228,
        "自查发现:城市低保申请须经社区、街道、区民政局三级审核,材料多、时限长。",
        (
            DemoTask(
                "简化城市低保审批程序,推行社区代办", "市民政局", LONG, -220, 50, "社会救助科 宋建英",
                "一是精简低保申请材料,由11项减为6项;二是审批时限由60天压缩到30天;"
                "三是在社区推行低保代办制度,困难群众只跑一次。",
                (
                    progress(170, 25, "低保申请材料精简方案已经局党组会议通过。"),
                    progress(45, 45, "审批时限压缩到30天已执行;社区代办制度在海勃湾区试行。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "特困家庭学生上学难", "海勃湾区教育局", 1, PUBLIC, LIVELIHOOD, 220,
        "群众反映部分特困家庭子女面临辍学。",
        (
            DemoTask(
                "开展“为特困学生助学”活动", "海勃湾区教育局", LONG, -210, 90, "资助中心 罗佳",
                "一是摸清特困家庭学生底数,建立助学档案;二是组织党员干部结对助学;"
                "三是对考入大学的特困学生一次性资助,确保没有大学生因贫失学。",
                (
                    progress(150, 50, "建立特困学生助学档案312份,党员干部结对助学286人。"),
                    progress(60, 75, "资助考入大学的特困学生41名,无一人因贫失学。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "青少年校外教育缺乏组织", "海南区", 1, SELF, ORGANISATION, 210,
        "自查发现:寒暑假期间青少年校外教育活动少,缺少组织者。",
        (
            DemoTask(
                "依托“七老”帮学队开展青少年社会教育", "海南区", LONG, -200, 9, "区关工委 周国祥",
                "一是支持老干部、老模范、老教师、老律师等7名老党员组成的“七老”帮学队;"
                "二是在各社区开设法制讲座、革命传统教育课堂;三是为帮学队提供活动场所和经费保障。",
                (
                    progress(120, 40, "“七老”帮学队在西卡、育才社区开展法制讲座和革命传统教育8场。"),
                    progress(15, 70, "累计开展活动20场,受教育青少年1600余人次。",
                             Photo("七老帮学讲座.png", (120, 80, 140))),
                ),
            ),
        ),
    ),
    DemoProblem(
        "困难群众救助渠道单一", "海南区民政局", 1, PUBLIC, LIVELIHOOD, 215,
        "群众反映因灾因病致困家庭临时救助不及时。",
        (
            DemoTask(
                "成立“救助弱势群体基金会”", "海南区民政局", SHORT, -205, -120, "社会事务股 林海",
                "一是成立“救助弱势群体基金会”,政府投资50万元,动员党员群众捐资;"
                "二是制定基金使用办法,专门用于扶贫济困;三是变“年终关怀”为“终年关怀”。",
                (
                    progress(140, 100, "基金会已成立,政府投资50万元,党员群众捐资30万元,基金使用办法已印发。",
                             Document("基金会成立情况.pdf", "海南区救助弱势群体基金会成立情况", (
                                 "政府投资50万元,广大党员群众捐资30万元。",
                                 "基金专门用于扶贫济困,对困难群众实行终年关怀。",
                             ))),
                    ask_closing(135, "基金会已成立并运行,申请销号。"),
                    approve(128, "同意销号。"),
                ),
            ),
        ),
    ),
)

# Second batch, outside 乌达区.
OTHER_DISTRICTS = (
    DemoProblem(
        "外地打工党员组织关系不明,游离于组织之外", "千钢公司", 2, SELF, ORGANISATION, 90,
        "马维强、孙富等7名外地到公司打工的临时工党员,组织关系不在公司,未参加组织生活。",
        (
            DemoTask(
                "千钢公司流动党员登记管理", "千钢公司", SHORT, -80, 6, "公司党委办公室 刘红",
                "一是对外地打工党员逐一登记,建立流动党员台账;二是将临时工党员编入党小组参加学习;"
                "三是建立流动党员联系卡制度。",
                (
                    progress(60, 50, "马维强、孙富等7名临时工党员已主动到公司党委报到,逐一登记。"),
                    progress(10, 100, "流动党员台账和联系卡制度已建立,7名临时工党员全部编入党小组参加组织生活。",
                             Document("流动党员登记台账.pdf", "千钢公司流动党员登记台账", (
                                 "登记外地打工党员7名,全部编入党小组。",
                                 "每人发放流动党员联系卡,每月参加一次组织生活。",
                             ))),
                    ask_closing(3, "流动党员登记管理工作完成,附登记台账,申请销号。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "困难群众临时生活救助不及时", "人民路社区", 2, PUBLIC, LIVELIHOOD, 95,
        "居民反映困难家庭遇到临时困难时求助无门。",
        (
            DemoTask(
                "开办社区“爱心超市”", "人民路社区", IMMEDIATE, -90, -75, "社区居委会 杜丽",
                "动员驻区单位和党员群众捐赠物资,开办“爱心超市”,困难家庭凭救助卡免费领取生活用品。",
                (
                    progress(78, 100, "“爱心超市”已开业,接受捐赠物资价值2.3万元,发放救助卡58张。",
                             Photo("爱心超市.png", (200, 90, 90))),
                    ask_closing(77, "爱心超市已运行,申请销号。"),
                    approve(72, "现场查看,同意销号。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "失足青少年帮教工作薄弱", "北山社区", 2, PUBLIC, SERVICE, 85,
        "居民反映辖区有失足青年无业游荡。",
        (
            DemoTask(
                "发挥“老关工”作用帮教失足青少年", "北山社区", LONG, -80, 80, "社区综治办 于保生",
                "一是支持退休职工党员于保生等“老关工”开展帮教;二是在民政、就业局、团委等部门帮助下,"
                "为失足青年推荐就业岗位;三是建立一人一档帮教台账。",
                (
                    progress(60, 30, "建立帮教台账27份,落实一对一帮教人。"),
                    progress(12, 60, "在民政、就业局、团委等部门帮助下,已为22名失足青年找到适合的岗位。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "园区乱收费,非公有制企业负担重", "千里山镇", 2, SUPERVISION, DEVELOPMENT, 100,
        "督导组在非公有制企业业主恳谈会上发现园区存在乱收费问题。",
        (
            DemoTask(
                "专项治理园区乱收费", "千里山镇", SHORT, -95, -60, "镇经济办 包金山",
                "一是清理园区收费项目,取消不合规收费;二是公示保留的收费项目和标准;"
                "三是帮助企业协调解决用电和资金问题。",
                (
                    progress(70, 100, "清理收费项目19项,取消不合规收费7项,保留项目已公示。",
                             Document("园区收费清理结果.pdf", "千里山镇园区收费项目清理结果", (
                                 "清理收费项目19项,取消7项,保留12项并公示。",
                             ))),
                    ask_closing(68, "园区收费清理完成,申请销号。"),
                    approve(64, "同意销号。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "企业党支部整改长效机制尚未建立", "华信化工公司", 2, SUPERVISION, ORGANISATION, 70,
        "“五查五看”中督导组发现:整改措施落实后,党员教育管理长效机制尚未建立。",
        (
            DemoTask(
                "建立华信化工公司党员教育管理长效机制", "华信化工公司", SHORT, -60, -8, "支部组织委员 孔令伟",
                "一是制定党员学习、党员联系职工、党员示范岗等制度;二是经支部党员大会讨论通过后执行;"
                "三是每季度检查一次制度落实情况。",
                (
                    progress(40, 50, "党员学习、联系职工等三项制度草案已形成。"),
                    explain(6, R.OBJECTIVE, "企业年底生产任务重,党员多在一线倒班,支部党员大会推迟召开,制度草案尚未表决。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "部分流动党员未参加教育活动", "新星社区", 2, SELF, ORGANISATION, 60,
        "“五查五看”中发现:3名流动党员尚未联系上,补课待安排。",
        (
            DemoTask(
                "联系流动党员并安排补课", "新星社区", SHORT, -50, 2, "社区党支部副书记 曲丽娜",
                "一是通过亲属、原工作单位查找3名流动党员的联系方式;二是对联系上的党员安排集中补课;"
                "三是对确实无法返回的党员寄送学习资料,书面补课。",
                (progress(20, 40, "已联系上2名流动党员,补课安排在本月下旬。"),),
            ),
        ),
    ),
    DemoProblem(
        "社区工作人员生活补贴偏低,队伍不稳定", "西卡街道", 2, SELF, ORGANISATION, 110,
        "自查发现:社区工作人员生活补贴不足100元,人员流动频繁。",
        (
            DemoTask(
                "提高社区工作人员生活补贴", "西卡街道", SHORT, -100, -40, "街道党工委委员 马红",
                "一是社区工作人员生活补贴提高到300元以上;二是社区干部全部落实养老、失业和医疗保险。",
                (
                    progress(60, 100, "社区工作人员生活补贴已提高到320元,社区干部养老、失业和医疗保险全部落实。",
                             Document("补贴发放表.pdf", "西卡街道社区工作人员生活补贴发放表", (
                                 "生活补贴由每月不足100元提高到320元。",
                             ))),
                    ask_closing(58, "补贴已按新标准发放,申请销号。"),
                    approve(52, "同意销号。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "村级组织活动场所简陋", "万亩滩村", 2, PUBLIC, ORGANISATION, 100,
        "党员群众反映村活动室面积小、冬天没有暖气。",
        (
            DemoTask(
                "新建万亩滩村级组织活动场所", "万亩滩村", LONG, -90, 70, "村党支部书记 巴图",
                "一是新建村级组织活动场所300平方米;二是同步配备桌椅、电教设备,通上暖气。",
                (progress(30, 35, "活动场所主体工程已完工,内部设施采购中。"),),
            ),
        ),
    ),
)

# Second batch in 乌达区: the demo users' own ground, a task in every state.
WUDA = (
    DemoProblem(
        "明达东路社区部分居民楼吃水难", "明达东路社区", 2, PUBLIC, LIVELIHOOD, 85,
        "居民反映:明达东路3号至11号楼供水管道锈蚀严重,夏季高峰时段水压不足、经常断水,涉及居民386户。",
        (
            DemoTask(
                "明达东路社区高峰时段临时送水", "明达东路社区", IMMEDIATE, -80, -70, "社区居委会主任 周建新",
                "管网改造完成前,协调市自来水公司每日18时至21时在社区广场设送水点;"
                "组织党员志愿者为行动不便的老人送水上门。",
                (
                    progress(79, 100, "送水点已设立,党员志愿者16人为42户老人送水上门。",
                             Photo("社区送水点.png", (40, 90, 170))),
                    ask_closing(78, "临时送水已落实,附送水点照片,申请销号。"),
                    approve(76, "现场核实送水点运行正常,同意销号。"),
                ),
            ),
            DemoTask(
                "明达东路社区自来水管网改造", "明达东路社区", SHORT, -75, -2, "社区居委会主任 周建新",
                "一是会同市水务局、市自来水公司更换3号至11号楼供水主管道约420米;"
                "二是施工期间分楼栋错峰停水,提前三天张贴停水通知;三是完工后逐户回访供水情况。",
                (
                    progress(68, 15, "会同市水务局、市自来水公司现场踏勘,确定更换3号至11号楼供水主管道约420米。"),
                    coordinate(
                        66, "市水务局", "请求协调明达东路社区供水管网改造",
                        "明达东路3号至11号楼供水管道铺设于上世纪八十年代,锈蚀严重,夏季高峰时段水压不足、经常断水,"
                        "涉及居民386户。管网改造资金和施工需市水务局协调解决,恳请将该片区列入今年供水管网改造计划。",
                    ),
                    reply(60, "已将明达东路片区列入今年城区供水管网改造计划,由市自来水公司负责施工,"
                              "资金由市财政和水务局共同承担,计划下月中旬开工。"),
                    progress(40, 35, "市自来水公司已进场施工,完成主管道更换约150米。",
                             Photo("管网改造施工.png", (90, 90, 100))),
                    progress(12, 60, "主管道更换完成约260米,3号至7号楼已恢复正常供水;8号至11号楼因气温下降施工进度放缓。"),
                ),
                co_units=("市水务局",),
            ),
        ),
        root_unit="市水务局",
        related=WATER,
    ),
    DemoProblem(
        "个别老党员长期上访、不参加组织生活", "明达东路社区", 2, SELF, ORGANISATION, 88,
        "分析评议中发现:一名老上访户党员明确表示拒不参加学习。",
        (
            DemoTask(
                "明达东路社区党员结对谈心帮扶", "明达东路社区", SHORT, -80, 5, "社区党支部书记 林秀芳",
                "一是支部书记上门谈心,了解其多年反映的问题;二是协调有关部门逐项答复;"
                "三是安排党员与其结对,帮助解决生活困难。",
                (
                    progress(70, 40, "支部书记3次上门谈心,协调有关部门对其反映的问题逐项作出答复。"),
                    progress(8, 100, "该党员身着新衣、佩戴党徽参加动员会,表示不再上访,按期交纳党费,并为支部党员讲了一次党课。",
                             Document("谈心谈话记录.pdf", "明达东路社区党支部谈心谈话记录", (
                                 "谈心3次,协调答复问题4项。",
                                 "该党员已按期交纳党费,参加组织生活,为支部讲党课一次。",
                             ))),
                    ask_closing(2, "结对谈心帮扶已完成,附谈心谈话记录,申请销号。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "社区活动阵地面积小、功能差、设备简陋", "乌达区", 1, SUPERVISION, ORGANISATION, 200,
        "督导组发现:乌达区多数社区活动室面积不足50平方米,设施陈旧,难以开展党员活动。",
        (
            DemoTask(
                "乌达区社区活动室新建改扩建", "乌达区", LONG, -190, 75, "区委组织部 刘晓东",
                "在新建住宅小区时同步规划建设社区活动室;分社区实施新建、改建和扩建,同步配备内部设施。"
                "任务分解到各社区,区委组织部每月调度。",
                subtasks=(
                    DemoTask(
                        "胡杨社区活动室设施更新", "胡杨社区", SHORT, -140, -60, "社区居委会主任 吕建华",
                        "更新桌椅、书柜和电教设备,开通电话、通上暖气。",
                        (
                            progress(70, 100, "桌椅、书柜和电教设备已更新,电话已开通,暖气已通。",
                                     Photo("胡杨社区活动室.png", (150, 110, 70))),
                            ask_closing(68, "活动室设施更新完毕,申请销号。"),
                            approve(63, "现场查看,同意销号。"),
                        ),
                    ),
                    DemoTask(
                        "明达东路社区活动室改扩建", "明达东路社区", LONG, -150, 30, "社区居委会主任 周建新",
                        "将活动室由45平方米扩建到150平方米,设党员电教室和图书室。",
                        (
                            progress(120, 30, "扩建方案已报区委组织部审批,资金已落实35万元。"),
                            progress(25, 80, "扩建主体完工,党员电教室设备已安装。",
                                     Photo("明达东路社区活动室.png", (180, 70, 50))),
                        ),
                    ),
                    DemoTask(
                        "新达社区活动室新建", "新达社区", LONG, -150, 45, "社区居委会主任 邢伟",
                        "在新建住宅小区同步建设社区活动室200平方米。",
                        (
                            progress(100, 20, "新址已确定,与开发企业签订配建协议。"),
                            progress(20, 50, "活动室主体封顶。"),
                        ),
                    ),
                    DemoTask(
                        "苏海图社区活动室扩建", "苏海图社区", LONG, -150, -5, "社区居委会主任 韦红",
                        "活动室扩建至120平方米,配备暖气和电教设备。",
                        (
                            progress(30, 45, "扩建地基和墙体完成。"),
                            explain(3, R.OBJECTIVE, "入冬后气温过低,土建施工按规定暂停,无法按期完工。"),
                            ask_extension(3, 40, "冬季停工,开春复工后一个月内完工,申请延期。"),
                            review(1, "情况属实,冬季确实无法施工。"),
                            decide_extension(1, True, "同意延期,请做好开春复工准备,按新时限完成。"),
                        ),
                    ),
                ),
            ),
        ),
    ),
    DemoProblem(
        "小区物业收费不公开,居民意见大", "新达社区", 2, PUBLIC, CONDUCT, 60,
        "居民反映物业收费项目和标准不公开,公共维修资金使用情况不透明。",
        (
            DemoTask(
                "推行小区物业收费公示制度", "新达社区", SHORT, -50, -6, "社区居委会主任 邢伟",
                "一是督促物业企业在小区公示收费项目、标准和公共维修资金收支;"
                "二是每季度召开一次业主代表座谈会;三是设立意见箱,十日内答复。",
                (
                    progress(40, 30, "已召开物业企业、业主代表座谈会2次,收费项目清单正在核对。"),
                    urge(2, "该任务已超期,且未说明原因。请新达社区党支部于3日内说明超期原因,并报送整改进度。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "井下作业安全隐患整改不到位", "宏达煤业公司", 2, ABOVE, DEVELOPMENT, 110,
        "自治区安全生产督查组反馈:宏达煤业公司井下通风、瓦斯监测系统存在隐患,整改不到位。",
        (
            DemoTask(
                "宏达煤业公司安全生产隐患整改", "宏达煤业公司", SHORT, -100, -45, "公司安全副总 常青",
                "一是停产整顿,检修井下通风系统;二是更新瓦斯监测监控系统;"
                "三是开展全员安全培训,党员带头上岗示范。",
                (
                    progress(70, 30, "已停产整顿,井下通风系统检修完成。"),
                    explain(40, R.FUNDS, "瓦斯监测监控系统更新需资金约120万元,企业资金周转困难,正在申请银行贷款。"),
                    review(38, "情况属实。请抓紧落实贷款,倒排工期,不得以资金为由拖延整改。"),
                    urge(25, "整改已超期,请公司党支部倒排工期,每周报送进度。"),
                    progress(15, 55, "银行贷款已获批,瓦斯监测监控设备已订货。"),
                    accountability(
                        10, "宏达煤业公司", "陆保平", AccountabilityMeasure.TALK, "市委第三督导组",
                        "整改任务超期30天以上,对公司党支部书记陆保平进行约谈,要求制定倒排工期计划,每周报送进度。",
                    ),
                    urge(3, "约谈后进度仍然缓慢,请于本周内报送倒排工期计划和设备安装时间表。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "环境卫生差,垃圾清运不及时", "富强社区", 2, PUBLIC, LIVELIHOOD, 95,
        "居民反映小区垃圾堆放点少、清运不及时,夏季气味难闻。",
        (
            DemoTask(
                "建立富强社区垃圾清运长效机制", "富强社区", LONG, -90, 40, "社区居委会主任 葛丽",
                "一是新增垃圾收集点,与环卫所签订清运协议,实行日产日清;"
                "二是组织党员志愿者分片包干,每周开展一次环境整治;三是将清运情况纳入居民评议。",
                (
                    progress(60, 100, "新增垃圾收集点6处,与环卫所签订清运协议,实行日产日清。",
                             Photo("垃圾收集点.png", (80, 130, 80))),
                    ask_closing(58, "长效机制已建立,附收集点照片,申请销号。"),
                    approve(55, "现场查看垃圾收集点,同意销号。"),
                    spot_check(
                        5, ("富强社区", "明达东路社区"),
                        "市委第三督导组对乌达区部分社区“回头看”及整改落实情况进行抽查。",
                        (
                            ("建立富强社区垃圾清运长效机制", "富强社区", False,
                             "抽查发现3处垃圾收集点未按时清运,群众仍有反映,整改效果未巩固。"),
                            ("明达东路社区高峰时段临时送水", "明达东路社区", True, "送水点运行正常,群众满意。"),
                        ),
                    ),
                    progress(2, 70, "已约谈环卫所负责人,清运频次由每日一次增加到两次,党员志愿者每日巡查。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "低保复核材料往返多次,困难群众跑腿多", "胡杨社区", 2, CROSS_BATCH, SERVICE, 40,
        "第二批活动中发现:低保复核仍需困难群众多次往返街道、区民政局,根源在市民政局的审批规定。",
        (
            DemoTask(
                "胡杨社区低保复核代办服务", "胡杨社区", SHORT, -35, 2, "社区民政专干 乔慧",
                "一是为低保户建立代办台账,由社区工作人员代办复核;二是对行动不便的低保户上门服务;"
                "三是请市民政局协调简化复核材料。",
                (
                    progress(20, 40, "已为23户低保户建立代办台账,上门服务11户。"),
                    coordinate(
                        4, "市民政局", "请求协调简化低保复核材料",
                        "低保复核须每年重新提交收入证明、户口簿复印件等6项材料,部分低保户年老体弱,多次往返困难。"
                        "请市民政局协调,对无变化的低保户简化复核材料。",
                    ),
                ),
            ),
        ),
        root_unit="市民政局",
        related=ALLOWANCE,
    ),
    DemoProblem(
        "外来务工人员子女就近入学难", "苏海图社区", 2, PUBLIC, SERVICE, 75,
        "外来务工人员反映子女入学仍被要求交借读费。",
        (
            DemoTask(
                "协调外来务工人员子女就近入学", "苏海图社区", SHORT, -70, 12, "社区居委会主任 韦红",
                "一是摸清辖区外来务工人员适龄子女底数;二是请市教育局协调学区学校按规定接收;"
                "三是逐户回访入学情况。",
                (
                    coordinate(65, "市教育局", "请求协调外来务工人员子女就近入学",
                               "辖区17名外来务工人员子女入学时被学校要求交借读费,请市教育局协调。"),
                    reply(58, "按照《关于取消外来人口子女入学借读费的通知》,外来人口子女凭居住证明就近入学,"
                              "不收借读费。已通知苏海图学区各学校执行。"),
                    resolve(50),
                    progress(30, 100, "辖区17名外来务工人员子女已全部就近入学,未收借读费。",
                             Document("入学名单.pdf", "苏海图社区外来务工人员子女入学名单", (
                                 "共17名,均已在苏海图学区学校就读。",
                             ))),
                    ask_closing(10, "17名学生全部入学,附入学名单,申请销号。"),
                    send_back(6, "材料只有入学名单,缺少学校出具的免收借读费证明和家长回执,请补充后再申请销号。"),
                ),
            ),
        ),
        root_unit="市教育局",
        related=SCHOOL_FEE,
    ),
    DemoProblem(
        "村民看病远、看病难,村卫生室缺医少药", "富源村", 2, PUBLIC, LIVELIHOOD, 100,
        "村民反映村卫生室药品少,看病要到市区,往返不便。",
        (
            DemoTask(
                "邀请市人民医院下乡义诊,规范村卫生室", "富源村", SHORT, -95, -30, "村委会主任 郝天明",
                "一是请市人民医院医疗队到村义诊;二是补充村卫生室常用药品;"
                "三是与市人民医院建立对口帮扶关系。",
                (
                    coordinate(90, "市人民医院", "请求安排医疗队到富源村义诊",
                               "富源村距市区较远,村民看病不便,村卫生室缺医少药。请市人民医院安排医疗队到村义诊,并给予对口帮扶。"),
                    reply(84, "已安排内科、儿科、中医科医生利用休息日到富源村开展“访民情解民难”义诊,并与村卫生室建立对口帮扶关系。"),
                    progress(70, 60, "市人民医院医疗队到村义诊,诊查村民132人,发放宣传资料500余份。",
                             Photo("富源村义诊.png", (60, 140, 90))),
                    resolve(68),
                    progress(40, 100, "村卫生室补充常用药品48种,市人民医院每月派医生坐诊一天。",
                             Photo("村卫生室.png", (220, 220, 230))),
                    ask_closing(38, "义诊和对口帮扶已落实,申请销号。"),
                    approve(33, "走访村民核实,同意销号。"),
                ),
            ),
        ),
        root_unit="市人民医院",
        related=HOSPITAL,
    ),
    DemoProblem(
        "村务公开不及时、不规范", "乌兰淖尔村", 2, PUBLIC, CONDUCT, 80,
        "村民反映村务、财务公开不及时,公开内容笼统。",
        (
            DemoTask(
                "修订乌兰淖尔村村务公开制度", "乌兰淖尔村", SHORT, -70, -10, "村党支部书记 苏和",
                "一是修订村务公开制度,明确公开内容、时间和程序;二是村财务每月公开一次;"
                "三是成立村务监督小组。",
                (
                    progress(40, 50, "村务公开制度修订稿已形成,村务监督小组已推选。"),
                    explain(7, R.COORDINATION, "制度修订稿须报五一乡党委审核,并经村民代表会议表决;会议因秋收推迟。"),
                    ask_extension(2, 20, "村民代表会议定于下月上旬召开,申请延期20天。"),
                ),
            ),
        ),
    ),
    DemoProblem(
        "温室种植一家一户分散经营,抗风险能力弱", "富源村", 2, SELF, DEVELOPMENT, 90,
        "分析评议中党员提出:温室种植规模小、技术弱,贫困户增收难。",
        (
            DemoTask(
                "组建党员联系农户致富联合体", "富源村", LONG, -85, 100, "村党支部书记 任继先",
                "一是11名党员每人联系若干农户组成致富联合体;二是富裕户与贫困户结对,科技示范户传授种养殖技术;"
                "三是推动温室种植户户联营、集中连片。",
                (
                    progress(60, 30, "11名党员联系农户46户,组成致富联合体4个。"),
                    progress(20, 55, "集中连片温室种植面积扩大到120亩,村民人均纯收入近6000元。"),
                ),
            ),
        ),
    ),
)

PROBLEMS = FIRST_BATCH + OTHER_DISTRICTS + WUDA

# --- loading ------------------------------------------------------------------------------


class DemoDataMissing(Exception):
    """The campaign demo (city, campaign, users) has not been loaded."""


@dataclass
class LedgerResult:
    created: Counter = field(default_factory=Counter)  # model name -> rows created by this run
    tasks: list = field(default_factory=list)  # the tasks created by this run


def load_demo():
    """Write the demo ledger; a second run adds nothing and changes nothing."""
    before = _model_counts()
    with transaction.atomic():
        result = _Ledger().load()
    if result.tasks:
        # The story sets dates and levels with plain UPDATEs, around Task.save(): count again.
        rollups.rebuild()
        _run_sweep()
    after = _model_counts()
    result.created.update({name: after[name] - before[name] for name in after if after[name] > before[name]})
    return result


def _run_sweep():
    """Raise the new tasks' alerts and announce them in the app, as the worker
    would on its next sweep, so the demo users find their notifications at once.
    (E-mails stay queued for the worker.)"""
    from rectification.notify import make_alert_notifications
    from rectification.sweep import run_sweep

    run_sweep()
    make_alert_notifications()


def _model_counts():
    models = [m for m in apps.get_app_config("rectification").get_models() if not m.__name__.startswith("Historical")]
    return Counter({model.__name__: model.objects.count() for model in models})


class _Ledger:
    def __init__(self):
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.created = Counter()
        self.new_tasks = []
        try:
            self.campaign = Campaign.objects.get(name=campaign_demo.CAMPAIGN["name"])
            root = Unit.objects.get(name=campaign_demo.ROOT.name, parent=None)
            self.group = SupervisionGroup.objects.get(
                campaign=self.campaign, name=campaign_demo.SUPERVISION_GROUP["name"]
            )
            users = get_user_model().objects.filter(username__in=["staff", "supervisor", "inspector", "admin"])
            users = {user.username: user for user in users}
            self.staff, self.supervisor, self.admin = users["staff"], users["supervisor"], users["admin"]
            self.inspector = users["inspector"]
        except (Campaign.DoesNotExist, Unit.DoesNotExist, SupervisionGroup.DoesNotExist, KeyError) as exc:
            raise DemoDataMissing("Load the campaign demo (demo.city.load_demo) first.") from exc
        self.batches = {batch.number: batch for batch in Batch.objects.filter(campaign=self.campaign)}
        self.units = {}
        for unit in Unit.objects.subtree(root):
            if unit.short_name in self.units:
                raise ValueError(f"Two demo units are called {unit.short_name}")
            self.units[unit.short_name] = unit

    def load(self):
        for spec in PROBLEMS:
            problem = self.problem(spec)
            for task_spec in spec.tasks:
                self.task(problem, task_spec)
        self.settle_warning_levels()
        return LedgerResult(created=+self.created, tasks=self.new_tasks)

    # --- people and time --------------------------------------------------------

    def clerk(self, unit):
        """Who enters the unit's ledger: ``staff`` where they may, else the campaign office."""
        return self.staff if permissions.may(self.staff, EDIT, unit) else self.admin

    def verifier(self, task):
        """The supervisor of the group watching the task's unit (being of none of its units)."""
        for person in (self.supervisor, self.inspector):
            if permissions.may(person, DECIDE, task):
                return person
        raise DemoDataMissing(f"no demo supervisor may decide on {task}")

    def day(self, offset):
        return self.today + timedelta(days=offset)

    def moment(self, days_ago, step=0):
        """Office hours of the day ``days_ago`` before loading, steps 10 minutes apart; never in the future."""
        naive = datetime.combine(self.day(-days_ago), time(9, 0)) + timedelta(minutes=10 * step)
        return min(timezone.make_aware(naive), self.now - timedelta(minutes=1))

    @contextmanager
    def acting_as(self, user, when):
        """History rows written inside are by ``user`` and dated ``when``."""
        context = HistoricalRecords.context
        previous = getattr(context, "request", None)
        context.request = SimpleNamespace(user=user)
        marks = {model: model.history.aggregate(last=Max("history_id"))["last"] or 0 for model in (Task, Problem)}
        try:
            yield
        finally:
            if previous is None:
                del context.request
            else:
                context.request = previous
        for model, mark in marks.items():
            model.history.filter(history_id__gt=mark).update(history_date=when)

    # --- rows ---------------------------------------------------------------------

    def problem(self, spec):
        unit = self.units[spec.unit]
        problem = Problem.objects.filter(title=spec.title, unit=unit).first()
        if problem is not None:
            return problem
        related = None
        if spec.related:
            title, related_unit = spec.related
            related = Problem.objects.get(title=title, unit=self.units[related_unit])
        when = self.moment(spec.found)
        author = self.clerk(unit)
        with self.acting_as(author, when):
            problem = Problem.objects.create(
                title=spec.title,
                description=spec.description,
                source=spec.source,
                category=spec.category,
                unit=unit,
                root_unit=self.units[spec.root_unit] if spec.root_unit else None,
                batch=self.batches[spec.batch],
                related_problem=related,
                found_on=self.day(-spec.found),
                created_by=author,
            )
        Problem.objects.filter(pk=problem.pk).update(created_at=when)
        return problem

    def task(self, problem, spec, parent=None):
        unit = self.units[spec.unit]
        if Task.objects.filter(title=spec.title, unit=unit).exists():
            return  # loaded before: left alone, with its history and sub-tasks
        when = self.moment(-spec.start)
        author = self.clerk(unit)
        with self.acting_as(author, when):
            task = Task.objects.create(
                problem=problem,
                parent=parent,
                title=spec.title,
                measures=spec.measures,
                unit=unit,
                leader_name=spec.leader or unit.leader_name,
                person_name=spec.person,
                term=spec.term,
                start_date=self.day(spec.start),
                due_date=self.day(spec.due),
                created_by=author,
            )
            task.co_units.set([self.units[name] for name in spec.co_units])
        Task.objects.filter(pk=task.pk).update(created_at=when)
        self.new_tasks.append(task)
        for subtask in spec.subtasks:
            self.task(problem, subtask, parent=task)
        _Player(self, task).play(spec.steps)

    def settle_warning_levels(self):
        """Store the level each new task has today, since when it has had it."""
        for task in Task.objects.filter(pk__in=[t.pk for t in self.new_tasks]).select_related("batch"):
            policy = policy_for(task.batch.campaign_id, task.term)
            task.refresh_warning_level(self.today, policy)
            since = self.level_since(task, policy)
            Task.objects.filter(pk=task.pk).update(warning_level=task.warning_level, warning_since=since)

    def level_since(self, task, policy):
        level = task.warning_level
        if level == WarningLevel.NONE:
            return None
        if level == WarningLevel.YELLOW:
            start = task.due_date - timedelta(days=policy.window_days)
        elif level == WarningLevel.RED:
            start = task.due_date + timedelta(days=1)
        elif (self.today - task.due_date).days > policy.escalate_after_days:
            start = task.due_date + timedelta(days=policy.escalate_after_days + 1)
        else:
            start = task.due_date + timedelta(days=policy.explanation_grace_days + 1)
        start = max(start, task.start_date)
        return min(timezone.make_aware(datetime.combine(start, time(0, 5))), self.now)


class _Player:
    """Plays a task's steps through the workflow services, then dates them."""

    def __init__(self, ledger, task):
        self.ledger = ledger
        self.task = task
        self.coordination = None

    def play(self, steps):
        for index, step in enumerate(steps, start=1):
            self.task.refresh_from_db()
            when = self.ledger.moment(step.days, index)
            actor = self.actor(step.action)
            with self.ledger.acting_as(actor, when):
                getattr(self, step.action)(actor, when, **step.args)

    def actor(self, action):
        if action in {"approve", "send_back", "review", "decide_extension", "urge", "spot_check", "accountability"}:
            return self.ledger.verifier(self.task)
        if action == "reply":
            return self.ledger.admin  # the campaign office records the department's answer
        return self.ledger.clerk(self.task.unit)

    def progress(self, actor, when, percent, text, files):
        uploads = [SimpleUploadedFile(f.name, f.content()) for f in files]
        entry = services.add_progress(
            self.task, actor, entry_date=timezone.localdate(when), text=text, percent=percent, files=uploads
        )
        type(entry).objects.filter(pk=entry.pk).update(created_at=when)
        entry.evidence.update(uploaded_at=when)

    def explain(self, actor, when, reason, text):
        explanation = services.give_explanation(self.task, actor, reason, text)
        type(explanation).objects.filter(pk=explanation.pk).update(created_at=when)
        Task.objects.filter(pk=self.task.pk).update(explained_at=when)

    def review(self, actor, when, note):
        explanation = self.task.explanations.latest("created_at")
        services.review_explanation(explanation, actor, note)
        Explanation.objects.filter(pk=explanation.pk).update(reviewed_at=when)

    def ask_closing(self, actor, when, note):
        verification = services.request_verification(self.task, actor, note)
        Verification.objects.filter(pk=verification.pk).update(requested_at=when)

    def approve(self, actor, when, note):
        pending = self.task.verifications.get(outcome=Verification.Outcome.PENDING)
        services.approve_closing(self.task, actor, note)
        Verification.objects.filter(pk=pending.pk).update(decided_at=when)
        Task.objects.filter(pk=self.task.pk).update(closed_at=when)
        if self.task.parent_id:
            services.roll_up_progress(self.task.parent_id)  # approve_closing defers it to the commit

    def send_back(self, actor, when, reason):
        pending = self.task.verifications.get(outcome=Verification.Outcome.PENDING)
        services.return_task(self.task, actor, reason)
        Verification.objects.filter(pk=pending.pk).update(decided_at=when)

    def ask_extension(self, actor, when, due_in, reason):
        extension = services.request_extension(self.task, actor, self.ledger.day(due_in), reason)
        ExtensionRequest.objects.filter(pk=extension.pk).update(requested_at=when)

    def decide_extension(self, actor, when, approved, note):
        extension = self.task.extension_requests.get(decision=Decision.PENDING)
        services.decide_extension(extension, actor, approved, note)
        ExtensionRequest.objects.filter(pk=extension.pk).update(decided_at=when)

    def urge(self, actor, when, message):
        row = services.urge(self.task, actor, message)
        type(row).objects.filter(pk=row.pk).update(created_at=when)

    def coordinate(self, actor, when, to, subject, text):
        self.coordination = services.ask_coordination(self.task, actor, self.ledger.units[to], subject, text)
        CoordinationRequest.objects.filter(pk=self.coordination.pk).update(created_at=when)

    def reply(self, actor, when, text):
        request = CoordinationRequest.objects.get(pk=self.coordination.pk)
        row = services.reply_coordination(request, actor, text)
        type(row).objects.filter(pk=row.pk).update(created_at=when)

    def resolve(self, actor, when):
        services.resolve_coordination(self.coordination, actor)
        CoordinationRequest.objects.filter(pk=self.coordination.pk).update(resolved_at=when)

    def spot_check(self, actor, when, units, summary, findings):
        check = spotchecks.record_spot_check(
            self.ledger.group,
            actor,
            timezone.localdate(when),
            [self.ledger.units[name] for name in units],
            [
                (Task.objects.get(title=title, unit=self.ledger.units[unit]), passed, note)
                for title, unit, passed, note in findings
            ],
            summary,
        )
        SpotCheck.objects.filter(pk=check.pk).update(created_at=when)

    def accountability(self, actor, when, unit, person, measure, decided_by, note):
        record = spotchecks.record_accountability(
            actor,
            unit=self.ledger.units[unit],
            measure=measure,
            decided_on=timezone.localdate(when),
            decided_by=decided_by,
            person_name=person,
            tasks=[self.task],
            note=note,
        )
        AccountabilityRecord.objects.filter(pk=record.pk).update(created_at=when)
