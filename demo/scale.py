"""A province-sized data set for benchmarks (issue 10), written by SQL on PostgreSQL.

:class:`ScaleLoader` builds, with ``INSERT … SELECT … generate_series`` (no
row goes through Python), a province → 12 cities → ~100 districts → ~1,200
streets → branches tree with departments at every level, one campaign with
both batches and their phases, participation and indicator figures, problems,
tasks in every state and warning level (sub-tasks and co-responsible units
included), progress entries with some evidence, closing requests and their
decisions, explanations, extensions, coordination requests with replies,
urges, alerts, notifications, supervision groups, spot checks, accountability
records, history rows, and users with memberships at every level.

Everything is a function of the row number (no randomness), so two loads of
the same size are the same data set. The numbers are spread so that every
page has something to show: 35 % of tasks closed, 5 % awaiting verification,
the open ones spread over every warning level, due dates from 150 days ago to
240 days ahead.

The loader refuses a database holding anything else (see :func:`refusal`):
it is meant for a database of its own (``campaign_<x>_scale``).
"""

import datetime
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from campaign.models import Unit
from rectification.models import Task

PROVINCE_NAME = "中共示例省委员会"
PROVINCE_SHORT = "示例省"
CAMPAIGN_NAME = "示例省保持共产党员先进性教育活动"
CITY_NAMES = ("东川", "西岭", "南湖", "北原", "青山", "白河", "金沙", "玉泉", "云台", "丰泽", "安平", "永宁")
# 60 characters for generated place names: three of them name up to 216,000 units apart.
POOL = "安宁和平东西南北新兴华阳山河清长永丰康泰福顺明光春秋红星金玉白石青松柳林桥湖海沙田园城关前后中上下胜利民富强荣昌盛德仁义"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
DEPARTMENTS = (
    "教育局", "民政局", "水务局", "卫生健康委员会", "自然资源局", "住房和城乡建设局", "交通运输局",
    "农业农村局", "商务局", "文化和旅游局", "市场监督管理局", "生态环境局", "人力资源和社会保障局",
    "财政局", "公安局", "司法局", "审计局", "统计局", "医疗保障局", "应急管理局",
)
PROBLEM_TITLES = (
    "群众反映办事流程繁琐、效率不高", "党员活动场所面积不足、设施陈旧", "部分党员理想信念淡薄、宗旨意识不强",
    "社区服务窗口工作作风不实", "村务公开不及时、不规范", "困难党员帮扶机制不健全",
    "流动党员管理松散", "基层党组织活动经费短缺", "干部深入基层调研不够",
    "惠民政策宣传不到位", "环境卫生整治不彻底", "企业党建工作覆盖不全",
    "会议多、文件多,抓落实不够", "群众来信来访回复不及时", "党员发展质量不高", "学习制度落实不经常",
)
MEASURES = "制定整改方案,明确责任人和时限;建立台账,逐项落实;定期检查,按期销号"
PROGRESS_TEXTS = (
    "已召开专题会议研究整改方案", "已完成摸底调查,正在制定具体措施", "整改措施已落实过半",
    "已建立长效机制,正在巩固成效", "已完成主要整改任务,准备申请销号", "因资金未到位,进度有所滞后",
)
ROLES = ("staff", "supervisor", "leader")
LEVELS = ("province", "city", "district", "street", "branch")


class Refused(Exception):
    """The database is not one this loader may fill."""


@dataclass
class Shape:
    """How many units of each kind a province of ``units`` units has."""

    units: int

    def __post_init__(self):
        large = self.units >= 5000
        self.cities = 12 if large else 2
        self.province_departments = 20 if large else 2
        self.districts = max(self.cities, round(self.units / 1000))
        self.city_departments = 10 if large else 1  # per city
        self.district_departments = 5 if large else 1  # per district
        self.streets = max(self.districts, round(self.units / 83))
        self.branches = self.units - (
            1
            + self.cities
            + self.province_departments
            + self.districts
            + self.cities * self.city_departments
            + self.districts * self.district_departments
            + self.streets
        )
        if self.branches < self.streets:
            raise ValueError(f"--units {self.units} is too few for a province (at least 2000).")


def refusal():
    """Why this database may not be filled; None when it is empty (users, units and tasks)."""
    if connection.vendor != "postgresql":
        return "load_scale writes with PostgreSQL's generate_series: set DATABASE_URL to a PostgreSQL database."
    users = get_user_model().objects.count()
    units = Unit.objects.count()
    tasks = Task.objects.count()
    if users or units or tasks:
        return (
            f"This database already holds {users} users, {units} units and {tasks} tasks. load_scale fills an "
            "empty database of its own: createdb a new one, migrate it, and point DATABASE_URL at it "
            "(or pass --replace to empty a database that an earlier load_scale filled)."
        )
    return None


def is_scale_database():
    """Whether the only root unit is the province load_scale makes."""
    roots = list(Unit.objects.filter(parent__isnull=True).values_list("name", flat=True)[:2])
    return roots == [PROVINCE_NAME]


def app_tables():
    """Every table of the project's apps and of auth/sessions/admin, to empty with one TRUNCATE."""
    from django.apps import apps

    labels = {"campaign", "rectification", "reports", "demo", "auth", "admin", "sessions"}
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in labels and not model._meta.proxy and model._meta.managed:
            tables.add(model._meta.db_table)
    return sorted(tables)


class ScaleLoader:
    """Fill an empty PostgreSQL database; ``say`` receives one line per step with its duration."""

    def __init__(self, units=100_000, tasks=1_000_000, progress=5_000_000, say=print):
        self.shape = Shape(units)
        self.n_tasks = tasks
        self.n_progress = progress
        self.say = say
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate(self.now)
        self.logins = []  # (username, role, unit name)
        self.password_hint = repr(settings.DEMO_PASSWORD)

    # --- driving ------------------------------------------------------------------

    def run(self):
        started = time.perf_counter()
        for step in (
            self.units,
            self.campaign,
            self.participation,
            self.users,
            self.problems,
            self.tasks,
            self.history,
            self.progress,
            self.decisions,
            self.coordination,
            self.alerts_and_notifications,
            self.supervision,
            self.analyze,
            self.rollups,
        ):
            self.step(step)
        self.say(f"total: {time.perf_counter() - started:.1f} s")

    def step(self, function):
        started = time.perf_counter()
        with transaction.atomic():
            self.fast_session()
            detail = function()
        self.say(f"{function.__name__}: {time.perf_counter() - started:.1f} s{f' ({detail})' if detail else ''}")

    def fast_session(self):
        """No foreign-key triggers (as a superuser: the rows are made consistent) and no
        waiting for the disk at each commit, for this transaction only."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SHOW is_superuser")
            if cursor.fetchone()[0] == "on":
                cursor.execute("SET LOCAL session_replication_role = replica")

    def sql(self, statement, params=None):
        with connection.cursor() as cursor:
            cursor.execute(statement, params or {})
            return cursor.rowcount

    def value(self, statement, params=None):
        with connection.cursor() as cursor:
            cursor.execute(statement, params or {})
            return cursor.fetchone()[0]

    @property
    def base(self):
        return {"now": self.now, "today": self.today, "pool": POOL, "surnames": SURNAMES}

    # --- the tree -----------------------------------------------------------------

    def units(self):
        s = self.shape
        seq = "pg_get_serial_sequence('campaign_unit', 'id')"
        # The province.
        self.sql(
            f"""INSERT INTO campaign_unit (id, parent_id, name, short_name, kind, org_type, code, leader_name, member_count, path, depth)
            SELECT id, NULL, %(name)s, %(short)s, 'province', 'committee', 'P', '王省明', 120, '/' || lpad(id::text, 7, '0') || '/', 0
            FROM (SELECT nextval({seq}) AS id) AS n""",
            {"name": PROVINCE_NAME, "short": PROVINCE_SHORT},
        )
        cities = list(CITY_NAMES[: s.cities])
        self.level(
            count=s.cities,
            parents="depth = 0",
            depth=1,
            kind="'city'",
            name="'中共' || (%(cities)s::text[])[g + 1] || '市委员会'",
            short="(%(cities)s::text[])[g + 1] || '市'",
            code="'C' || lpad((g + 1)::text, 2, '0')",
            members="90 + g",
            extra={"cities": cities},
        )
        self.departments(s.province_departments, "depth = 0", 1, "P")
        self.level(
            count=s.districts,
            parents="depth = 1 AND kind = 'city'",
            depth=2,
            kind="'district'",
            name="'中共' || p.short_name || " + self.chars("(g * 7 + 61) %% 3600", 2) + " || '区委员会'",
            short=self.chars("(g * 7 + 61) %% 3600", 2) + " || '区'",
            code="'D' || lpad((g + 1)::text, 4, '0')",
            members="60 + g %% 40",
        )
        self.departments(s.city_departments * s.cities, "depth = 1 AND kind = 'city'", 2, "C")
        self.level(
            count=s.streets,
            parents="depth = 2 AND kind = 'district'",
            depth=3,
            kind="'street'",
            name=self.chars("(g * 7 + 1861) %% 216000", 3) + " || CASE WHEN g %% 3 = 2 THEN '镇党委' ELSE '街道党工委' END",
            short=self.chars("(g * 7 + 1861) %% 216000", 3) + " || CASE WHEN g %% 3 = 2 THEN '镇' ELSE '街道' END",
            code="'S' || lpad((g + 1)::text, 5, '0')",
            org_type="CASE WHEN g %% 3 = 2 THEN 'committee' ELSE 'working_committee' END",
            members="20 + g %% 15",
        )
        self.departments(s.district_departments * s.districts, "depth = 2 AND kind = 'district'", 3, "D")
        kind = "(ARRAY['community','community','community','community','community','village','village','village','enterprise','institution'])[g %% 10 + 1]"
        suffix = "(ARRAY['社区党支部','社区党支部','社区党支部','社区党支部','社区党支部','村党支部','村党支部','村党支部','有限公司党支部','中心学校党支部'])[g %% 10 + 1]"
        short = "(ARRAY['社区','社区','社区','社区','社区','村','村','村','公司','学校'])[g %% 10 + 1]"
        self.level(
            count=s.branches,
            parents="depth = 3 AND kind = 'street'",
            depth=4,
            kind=kind,
            name=self.chars("(g * 7 + 1861) %% 216000", 3) + " || " + suffix,
            short=self.chars("(g * 7 + 1861) %% 216000", 3) + " || " + short,
            code="'B' || lpad((g + 1)::text, 6, '0')",
            org_type="'branch'",
            members="12 + (g * 37) %% 70",
        )
        return f"{self.value('SELECT count(*) FROM campaign_unit')} units"

    @staticmethod
    def chars(expression, count):
        """``count`` characters of POOL chosen by the digits of ``expression`` in base 60."""
        parts = [f"substr(%(pool)s, (({expression}) / {60 ** i}) %% 60 + 1, 1)" for i in range(count)]
        return "(" + " || ".join(parts) + ")"

    def level(self, *, count, parents, depth, kind, name, short, code, members, org_type="'committee'", extra=None):
        """``count`` units under the units matching ``parents``, spread evenly, siblings together."""
        seq = "pg_get_serial_sequence('campaign_unit', 'id')"
        params = {**self.base, "count": count, "depth": depth, **(extra or {})}
        self.sql(
            f"""
            WITH parents AS (
                SELECT id, path, short_name, (row_number() OVER (ORDER BY id) - 1) AS k
                FROM campaign_unit WHERE {parents}
            ), n AS (SELECT count(*) AS n FROM parents),
            rows AS (SELECT g, nextval({seq}) AS id FROM generate_series(0, %(count)s - 1) AS g)
            INSERT INTO campaign_unit (id, parent_id, name, short_name, kind, org_type, code, leader_name, member_count, path, depth)
            SELECT r.id, p.id, {name}, {short}, {kind}, {org_type}, {code},
                   substr(%(surnames)s, g %% 40 + 1, 1) || substr(%(pool)s, (g * 7) %% 60 + 1, 1) || substr(%(pool)s, (g * 13) %% 60 + 1, 1),
                   {members}, p.path || lpad(r.id::text, 7, '0') || '/', %(depth)s
            FROM rows r CROSS JOIN n JOIN parents p ON p.k = (r.g * n.n) / %(count)s
            ORDER BY r.g
            """,
            params,
        )

    def departments(self, count, parents, depth, prefix):
        """Departments (党组) spread over the units matching ``parents``, named after them."""
        names = list(DEPARTMENTS)
        self.level(
            count=count,
            parents=parents,
            depth=depth,
            kind="'department'",
            name="'中共' || p.short_name || (%(departments)s::text[])[g %% 20 + 1] || '党组'",
            short="p.short_name || (%(departments)s::text[])[g %% 20 + 1]",
            code=f"'G{prefix}' || lpad((g + 1)::text, 5, '0')",
            org_type="'leading_group'",
            members="30 + g %% 50",
            extra={"departments": names},
        )

    # --- the campaign ---------------------------------------------------------------

    def campaign(self):
        today = self.today
        start = today - datetime.timedelta(days=200)
        self.sql(
            """INSERT INTO campaign_campaign (name, issuing_unit_id, description, start_date, end_date)
            SELECT %(name)s, id, '分两批开展,第一批为省、市、县三级机关,第二批为街道(乡镇)和基层党组织', %(start)s, %(end)s
            FROM campaign_unit WHERE depth = 0""",
            {"name": CAMPAIGN_NAME, "start": start, "end": today + datetime.timedelta(days=200)},
        )
        batches = (
            (1, "第一批", "省、市、县三级党政机关和直属部门", start, today - datetime.timedelta(days=30)),
            (2, "第二批", "街道(乡镇)、社区、村和非公有制企业党组织", today - datetime.timedelta(days=120), today + datetime.timedelta(days=150)),
        )
        for number, name, note, begin, end in batches:
            self.sql(
                """INSERT INTO campaign_batch (campaign_id, number, name, scope_note, start_date, end_date, five_checks)
                SELECT id, %(number)s, %(name)s, %(note)s, %(begin)s, %(end)s, %(number)s = 2 FROM campaign_campaign""",
                {"number": number, "name": name, "note": note, "begin": begin, "end": end},
            )
            length = (end - begin).days
            for order, kind in enumerate(("mobilise", "analyse", "rectify", "look_back")):
                self.sql(
                    """INSERT INTO campaign_phase (batch_id, kind, "order", start_date, end_date, note)
                    SELECT id, %(kind)s, %(order)s, %(begin)s, %(end)s, '' FROM campaign_batch WHERE number = %(number)s""",
                    {
                        "kind": kind,
                        "order": order,
                        "number": number,
                        "begin": begin + datetime.timedelta(days=length * order // 4),
                        "end": begin + datetime.timedelta(days=length * (order + 1) // 4 - (0 if order == 3 else 1)),
                    },
                )
        indicators = (
            ("funds", "活动经费投入", "万元"),
            ("venues", "阵地建设投入", "万元"),
            ("helpers", "“三员”人数", "人"),
            ("applications", "入党申请", "份"),
            ("new_members", "发展新党员", "人"),
        )
        for order, (code, name, measure) in enumerate(indicators):
            self.sql(
                """INSERT INTO campaign_indicator (campaign_id, code, name, measure, rollup, "order", needs_evidence)
                SELECT id, %(code)s, %(name)s, %(measure)s, 'sum', %(order)s, false FROM campaign_campaign""",
                {"code": code, "name": name, "measure": measure, "order": order},
            )
        return "1 campaign, 2 batches, 8 phases, 5 indicators"

    def participation(self):
        # Batch 1: the province, cities, districts and departments; batch 2: streets and branches.
        count = self.sql(
            """INSERT INTO campaign_participation (unit_id, batch_id, members_expected, members_participated,
                makeup_members, members_transformed, members_handled, check_plan, check_measures,
                check_mechanisms, check_coverage, check_obligations, look_back_note)
            SELECT u.id, b.id, u.member_count, u.member_count - u.id %% 3, u.id %% 3,
                   CASE WHEN u.id %% 7 = 0 THEN 1 ELSE 0 END, CASE WHEN u.id %% 23 = 0 THEN 1 ELSE 0 END,
                   true, u.id %% 5 <> 0, u.id %% 7 <> 0, true, u.id %% 11 <> 0, ''
            FROM campaign_unit u
            JOIN campaign_batch b ON b.number = CASE WHEN u.depth <= 2 OR u.kind = 'department' THEN 1 ELSE 2 END"""
        )
        values = self.sql(
            """INSERT INTO campaign_indicatorvalue (indicator_id, unit_id, batch_id, value, note, evidence,
                evidence_name, evidence_type, evidence_size)
            SELECT i.id, p.unit_id, p.batch_id, ((p.unit_id * (i."order" + 3)) %% 40 + 1) / 10.0, '', '', '', '', 0
            FROM campaign_participation p JOIN campaign_unit u ON u.id = p.unit_id
            CROSS JOIN campaign_indicator i
            WHERE u.kind IN ('street', 'department')"""
        )
        return f"{count} participations, {values} indicator values"

    # --- people -----------------------------------------------------------------------

    def users(self):
        password = make_password(settings.DEMO_PASSWORD)
        # The logins: one staff, supervisor and leader per level, at the first unit of each level.
        level_units = {
            "province": "depth = 0",
            "city": "depth = 1 AND kind = 'city'",
            "district": "depth = 2 AND kind = 'district'",
            "street": "depth = 3 AND kind = 'street'",
            "branch": "depth = 4",
        }
        for level, where in level_units.items():
            unit_id, unit_name = self.first_unit(level, where)
            for role in ROLES:
                username = f"{level}_{role}"
                self.make_user(username, password, last_name=f"{level}", first_name=role)
                self.member(username, unit_id, role)
                self.logins.append((username, role, unit_name))
        self.make_user("province_admin", password, last_name="province", first_name="admin")
        self.member("province_admin", self.first_unit("province", "depth = 0")[0], "admin")
        self.logins.append(("province_admin", "admin", PROVINCE_NAME))
        # Staff for every district and street, so that memberships are as many as in real life.
        count = self.sql(
            """INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined)
            SELECT %(password)s, NULL, false, 'staff_' || u.code, '填报员', u.short_name, '', false, true, %(now)s
            FROM campaign_unit u WHERE u.kind IN ('district', 'street')""",
            {**self.base, "password": password},
        )
        self.sql(
            """INSERT INTO campaign_membership (user_id, unit_id, role)
            SELECT a.id, u.id, 'staff' FROM campaign_unit u JOIN auth_user a ON a.username = 'staff_' || u.code
            WHERE u.kind IN ('district', 'street')"""
        )
        return f"{count + len(self.logins)} users"

    def first_unit(self, level, where):
        with connection.cursor() as cursor:
            if level == "branch":
                # The first branch of the first street of the first district.
                cursor.execute(
                    """SELECT b.id, b.name FROM campaign_unit b WHERE b.parent_id = (
                        SELECT id FROM campaign_unit WHERE depth = 3 AND kind = 'street' ORDER BY id LIMIT 1)
                    ORDER BY b.id LIMIT 1"""
                )
            else:
                cursor.execute(f"SELECT id, name FROM campaign_unit WHERE {where} ORDER BY id LIMIT 1")
            return cursor.fetchone()

    def make_user(self, username, password, **names):
        self.sql(
            """INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined)
            VALUES (%(password)s, NULL, false, %(username)s, %(first)s, %(last)s, %(email)s, false, true, %(now)s)""",
            {
                **self.base,
                "password": password,
                "username": username,
                "first": names["first_name"],
                "last": names["last_name"],
                "email": f"{username}@example.org",
            },
        )

    def member(self, username, unit_id, role):
        self.sql(
            """INSERT INTO campaign_membership (user_id, unit_id, role)
            SELECT id, %(unit)s, %(role)s FROM auth_user WHERE username = %(username)s""",
            {"unit": unit_id, "role": role, "username": username},
        )

    def user_id(self, username):
        return self.value("SELECT id FROM auth_user WHERE username = %(u)s", {"u": username})

    # --- problems and tasks ------------------------------------------------------------

    @property
    def n_problems(self):
        return max(1, round(self.n_tasks * 0.4))

    def problems(self):
        # Problems sit at districts, streets, departments and branches, scattered (as created over time).
        self.sql(
            """CREATE TEMP TABLE scale_targets ON COMMIT DROP AS
            SELECT (row_number() OVER (ORDER BY u.id) - 1) AS k, u.id, p.batch_id
            FROM campaign_unit u JOIN campaign_participation p ON p.unit_id = u.id WHERE u.depth >= 2"""
        )
        targets = self.value("SELECT count(*) FROM scale_targets")
        params = {
            **self.base,
            "n": self.n_problems,
            "targets": targets,
            "titles": list(PROBLEM_TITLES),
            "start": self.today - datetime.timedelta(days=190),
        }
        count = self.sql(
            """INSERT INTO rectification_problem (title, description, source, category, unit_id, root_unit_id,
                batch_id, related_problem_id, found_on, created_by_id, created_at)
            SELECT (%(titles)s::text[])[g %% 16 + 1], '', (ARRAY['public','self','supervision','above','self'])[g %% 5 + 1],
                   (ARRAY['livelihood','conduct','organisation','development','service','other'])[g %% 6 + 1],
                   t.id, NULL, t.batch_id, NULL, %(start)s::date + (g %% 60), NULL, %(now)s
            FROM generate_series(0, %(n)s - 1) AS g
            JOIN scale_targets t ON t.k = (g::bigint * 7919) %% %(targets)s
            ORDER BY g""",
            params,
        )
        return f"{count} problems"

    def tasks(self):
        first_problem = self.value("SELECT min(id) FROM rectification_problem")
        first_task = self.value("SELECT nextval(pg_get_serial_sequence('rectification_task', 'id'))")
        # Ids first_task … first_task + N - 1 are taken by this one statement, in order.
        self.sql("SELECT setval(pg_get_serial_sequence('rectification_task', 'id'), %(last)s)", {"last": first_task + self.n_tasks})
        params = {**self.base, "n": self.n_tasks, "problems": self.n_problems, "first_problem": first_problem, "first": first_task}
        # h: a hash of the row number spreading states evenly; d: days from today to the due date.
        count = self.sql(
            """
            WITH rows AS (
                SELECT g, (g::bigint * 2654435761) %% 100 AS h, ((g::bigint * 7919) %% 391 - 150)::int AS d,
                       (ARRAY['immediate','immediate','short','short','short','short','short','long','long','long'])[g %% 10 + 1] AS term
                FROM generate_series(0, %(n)s - 1) AS g
            ), shaped AS (
                SELECT r.*, CASE WHEN h < 35 THEN 'closed' WHEN h < 40 THEN 'pending_verification' ELSE 'in_progress' END AS status,
                       %(today)s::date + r.d AS due,
                       CASE WHEN r.d <= -3 AND g %% 5 < 3 THEN (%(today)s::date + r.d + 2)::timestamp + interval '10 hours' END AS explained
                FROM rows r
            )
            INSERT INTO rectification_task (id, problem_id, batch_id, parent_id, title, measures, unit_id, unit_path,
                leader_name, person_name, term, start_date, due_date, original_due_date, status, progress,
                warning_level, warning_since, explained_at, closed_at, version, created_by_id, created_at, updated_at)
            SELECT %(first)s + s.g, pr.id, pr.batch_id,
                   CASE WHEN s.g %% 20 = 7 AND (s.g::bigint * %(problems)s) / %(n)s = ((s.g - 1)::bigint * %(problems)s) / %(n)s
                        THEN %(first)s + s.g - 1 END,
                   '整改任务 ' || (s.g + 1) || ':' || pr.title, %(measures)s, u.id, u.path,
                   u.leader_name, substr(%(surnames)s, (s.g * 3) %% 40 + 1, 1) || '干事',
                   s.term, pr.found_on + 3, s.due, CASE WHEN s.g %% 20 = 0 THEN s.due - 30 ELSE s.due END,
                   s.status,
                   CASE WHEN s.status = 'in_progress' THEN (s.g * 13) %% 96 ELSE 100 END,
                   CASE WHEN s.status = 'closed' THEN 0
                        WHEN s.d < -30 THEN 3
                        WHEN s.d < -3 AND s.explained IS NULL THEN 3
                        WHEN s.d < 0 THEN 2
                        WHEN s.d <= CASE s.term WHEN 'immediate' THEN 1 WHEN 'short' THEN 3 ELSE 15 END THEN 1
                        ELSE 0 END,
                   NULL,
                   CASE WHEN s.status <> 'closed' THEN s.explained END,
                   CASE WHEN s.status = 'closed'
                        THEN least(%(now)s::timestamptz - interval '1 hour',
                                   (s.due + (s.g %% 25) - 20)::timestamp AT TIME ZONE 'Asia/Shanghai' + interval '9 hours') END,
                   1, NULL, (pr.found_on + 1)::timestamp AT TIME ZONE 'Asia/Shanghai', %(now)s
            FROM shaped s
            JOIN rectification_problem pr ON pr.id = %(first_problem)s + (s.g::bigint * %(problems)s) / %(n)s
            JOIN campaign_unit u ON u.id = pr.unit_id
            ORDER BY s.g
            """,
            {**params, "measures": MEASURES},
        )
        self.sql(
            "UPDATE rectification_task SET warning_since = %(now)s WHERE warning_level > 0", self.base
        )
        # Co-responsible units: every 50th task shares its work with a department of its district.
        co = self.sql(
            """INSERT INTO rectification_task_co_units (task_id, unit_id)
            SELECT t.id, d.id FROM rectification_task t
            JOIN LATERAL (
                SELECT id FROM campaign_unit WHERE parent_id = substr(t.unit_path, 18, 7)::bigint AND kind = 'department'
                ORDER BY id LIMIT 1
            ) d ON true
            WHERE t.id %% 50 = 0 AND length(t.unit_path) >= 25 AND d.id <> t.unit_id"""
        )
        return f"{count} tasks, {co} co-responsible units"

    def history(self):
        tasks = self.sql(
            """INSERT INTO rectification_historicaltask (id, title, measures, leader_name, person_name, term,
                start_date, due_date, original_due_date, status, progress, warning_level, warning_since,
                explained_at, closed_at, created_at, problem_id, batch_id, parent_id, unit_id, created_by_id,
                history_date, history_change_reason, history_type, history_user_id)
            SELECT id, title, measures, leader_name, person_name, term, start_date, due_date, original_due_date,
                   'in_progress', 0, 0, NULL, NULL, NULL, created_at, problem_id, batch_id, parent_id, unit_id,
                   created_by_id, created_at, '新建', '+', NULL
            FROM rectification_task ORDER BY id"""
        )
        problems = self.sql(
            """INSERT INTO rectification_historicalproblem (id, title, description, source, category, found_on,
                created_at, unit_id, root_unit_id, batch_id, related_problem_id, created_by_id, history_date,
                history_change_reason, history_type, history_user_id)
            SELECT id, title, description, source, category, found_on, created_at, unit_id, root_unit_id, batch_id,
                   related_problem_id, created_by_id, created_at, '新建', '+', NULL
            FROM rectification_problem ORDER BY id"""
        )
        return f"{tasks} task and {problems} problem history rows"

    def progress(self):
        n_tasks = self.n_tasks
        first = self.value("SELECT min(id) FROM rectification_task")
        params = {**self.base, "m": self.n_progress, "n": n_tasks, "first": first, "texts": list(PROGRESS_TEXTS)}
        first_entry = self.value("SELECT nextval(pg_get_serial_sequence('rectification_progressupdate', 'id'))")
        self.sql(
            "SELECT setval(pg_get_serial_sequence('rectification_progressupdate', 'id'), %(last)s)",
            {"last": first_entry + self.n_progress},
        )
        count = self.sql(
            """INSERT INTO rectification_progressupdate (id, task_id, entry_date, text, percent, author_id, unit_id, created_at)
            SELECT %(first_entry)s + e, t.id, least(%(today)s::date, t.start_date + (e %% 120)),
                   (%(texts)s::text[])[e %% 6 + 1], least(t.progress, (e %% 10) * 10), NULL, t.unit_id,
                   least(%(today)s::date, t.start_date + (e %% 120))::timestamp AT TIME ZONE 'Asia/Shanghai' + interval '15 hours'
            FROM generate_series(0, %(m)s - 1) AS e
            JOIN rectification_task t ON t.id = %(first)s + (e::bigint * 104729) %% %(n)s""",
            {**params, "first_entry": first_entry},
        )
        path = default_storage.save("evidence/scale/sample.png", ContentFile(SAMPLE_PNG))
        evidence = self.sql(
            """INSERT INTO rectification_evidence (task_id, progress_id, file, thumbnail, original_name, content_type,
                extension, size, uploaded_by_id, uploaded_at)
            SELECT task_id, id, %(path)s, '', '整改现场照片.png', 'image/png', '.png', %(size)s, NULL, created_at
            FROM rectification_progressupdate WHERE id %% 50 = 0""",
            {"path": path, "size": len(SAMPLE_PNG)},
        )
        return f"{count} progress entries, {evidence} evidence rows"

    def decisions(self):
        supervisor = self.user_id("city_supervisor")
        params = {**self.base, "supervisor": supervisor}
        verifications = self.sql(
            """INSERT INTO rectification_verification (task_id, note, requested_by_id, requested_at, outcome, reason,
                decided_by_id, decided_at)
            SELECT id, '整改任务已全部完成,申请销号', NULL,
                   COALESCE(closed_at - interval '2 days', %(now)s - (id %% 10) * interval '1 day'),
                   CASE WHEN status = 'closed' THEN 'approved' ELSE 'pending' END, '',
                   CASE WHEN status = 'closed' THEN %(supervisor)s END, closed_at
            FROM rectification_task WHERE status <> 'in_progress'""",
            params,
        )
        explanations = self.sql(
            """INSERT INTO rectification_explanation (task_id, reason_code, text, due_date, author_id, created_at,
                reviewed_by_id, reviewed_at, review_note)
            SELECT id, (ARRAY['funds','policy','coordination','objective','subjective','other'])[id %% 6 + 1],
                   '因客观原因未能按期完成,正在加紧推进', due_date, NULL, explained_at,
                   CASE WHEN id %% 2 = 0 THEN %(supervisor)s END, CASE WHEN id %% 2 = 0 THEN explained_at + interval '1 day' END, ''
            FROM rectification_task WHERE explained_at IS NOT NULL""",
            params,
        )
        extensions = self.sql(
            """INSERT INTO rectification_extensionrequest (task_id, previous_due_date, requested_due_date, reason,
                requested_by_id, requested_at, decision, decision_note, decided_by_id, decided_at)
            SELECT id, original_due_date, due_date, '涉及跨部门协调,申请延期', NULL,
                   original_due_date::timestamp AT TIME ZONE 'Asia/Shanghai' - interval '5 days', 'approved', '同意延期',
                   %(supervisor)s, original_due_date::timestamp AT TIME ZONE 'Asia/Shanghai' - interval '3 days'
            FROM rectification_task WHERE due_date <> original_due_date""",
            params,
        )
        extensions += self.sql(
            """INSERT INTO rectification_extensionrequest (task_id, previous_due_date, requested_due_date, reason,
                requested_by_id, requested_at, decision, decision_note, decided_by_id, decided_at)
            SELECT id, due_date, due_date + 30, '资金尚未到位,申请延期一个月', NULL, %(now)s - (id %% 7) * interval '1 day',
                   'pending', '', NULL, NULL
            FROM rectification_task WHERE status = 'in_progress' AND due_date = original_due_date AND id %% 97 = 1""",
            params,
        )
        urges = self.sql(
            """INSERT INTO rectification_urge (task_id, message, author_id, created_at)
            SELECT id, '请抓紧整改,按期完成', %(supervisor)s, %(now)s - (id %% 20) * interval '1 day'
            FROM rectification_task WHERE status <> 'closed' AND warning_level >= 2 AND id %% 10 = 0""",
            params,
        )
        return f"{verifications} closing requests, {explanations} explanations, {extensions} extensions, {urges} urges"

    def coordination(self):
        params = self.base
        requests = self.sql(
            """INSERT INTO rectification_coordinationrequest (task_id, from_unit_id, to_unit_id, subject, text, status,
                created_by_id, created_at, resolved_by_id, resolved_at)
            SELECT t.id, t.unit_id, d.id, '请协调解决' || substr(t.title, 1, 20), '该问题涉及上级部门职能,请予协调',
                   (ARRAY['open','answered','resolved'])[t.id %% 3 + 1], NULL, %(now)s - (t.id %% 40) * interval '1 day',
                   NULL, CASE WHEN t.id %% 3 = 2 THEN %(now)s - (t.id %% 5) * interval '1 day' END
            FROM rectification_task t
            JOIN LATERAL (
                SELECT id FROM campaign_unit WHERE parent_id = substr(t.unit_path, 10, 7)::bigint AND kind = 'department'
                ORDER BY id OFFSET (t.id %% 10) LIMIT 1
            ) d ON true
            WHERE t.id %% 100 = 3 AND t.unit_id <> d.id""",
            params,
        )
        replies = self.sql(
            """INSERT INTO rectification_coordinationreply (request_id, author_id, unit_id, text, created_at)
            SELECT id, NULL, to_unit_id, '已收到,正在协调相关部门办理', created_at + interval '2 days'
            FROM rectification_coordinationrequest WHERE status <> 'open'"""
        )
        return f"{requests} coordination requests, {replies} replies"

    def alerts_and_notifications(self):
        alerts = self.sql(
            """INSERT INTO rectification_alert (task_id, level, due_date, created_at, processed_at)
            SELECT id, warning_level, due_date, %(now)s, %(now)s FROM rectification_task
            WHERE status <> 'closed' AND warning_level > 0 ORDER BY id""",
            self.base,
        )
        notifications = 0
        for username, _role, _unit in self.logins:
            notifications += self.sql(
                """INSERT INTO rectification_notification (user_id, alert_id, task_id, kind, key, title, body, url,
                    created_at, read_at, email_status, email_attempts, email_claimed_at, email_sent_at, email_error)
                SELECT u.id, NULL, t.id, 'alert', 'scale:' || t.id, '任务超期:' || substr(t.title, 1, 40), '', '',
                       %(now)s - (t.id %% 60) * interval '1 day', CASE WHEN t.id %% 3 = 0 THEN NULL ELSE %(now)s END,
                       'sent', 1, NULL, %(now)s, ''
                FROM auth_user u
                JOIN campaign_membership m ON m.user_id = u.id
                JOIN campaign_unit mu ON mu.id = m.unit_id
                JOIN LATERAL (
                    SELECT id, title FROM rectification_task
                    WHERE unit_path LIKE mu.path || '%%' AND status <> 'closed' AND warning_level >= 2
                    ORDER BY id LIMIT 300
                ) t ON true
                WHERE u.username = %(username)s""",
                {**self.base, "username": username},
            )
        return f"{alerts} alerts, {notifications} notifications"

    def supervision(self):
        params = self.base
        # The province sends one supervision group to each city; each has two members of its own.
        groups = self.sql(
            """INSERT INTO campaign_supervisiongroup (campaign_id, name, organising_unit_id, leader_id)
            SELECT c.id, '省委第' || row_number() OVER (ORDER BY u.id) || '督导组', c.issuing_unit_id, NULL
            FROM campaign_unit u CROSS JOIN campaign_campaign c WHERE u.depth = 1 AND u.kind = 'city'"""
        )
        self.sql(
            """INSERT INTO campaign_supervisiongroup_units (supervisiongroup_id, unit_id)
            SELECT g.id, u.id FROM campaign_supervisiongroup g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM campaign_unit WHERE depth = 1 AND kind = 'city') u
              ON g.name = '省委第' || u.k || '督导组'"""
        )
        self.sql(
            """INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined)
            SELECT '!', NULL, false, 'group_' || g.id || '_' || n, '督导员', g.name, '', false, true, %(now)s
            FROM campaign_supervisiongroup g CROSS JOIN generate_series(1, 2) AS n""",
            params,
        )
        self.sql(
            """INSERT INTO campaign_supervisiongroup_members (supervisiongroup_id, user_id)
            SELECT g.id, a.id FROM campaign_supervisiongroup g CROSS JOIN generate_series(1, 2) AS n
            JOIN auth_user a ON a.username = 'group_' || g.id || '_' || n"""
        )
        checks = self.sql(
            """INSERT INTO rectification_spotcheck (group_id, checked_on, summary, created_by_id, created_at)
            SELECT g.id, %(today)s::date - n * 7, '抽查整改落实情况', NULL, %(now)s
            FROM campaign_supervisiongroup g CROSS JOIN generate_series(1, 8) AS n""",
            params,
        )
        self.sql(
            """INSERT INTO rectification_spotcheck_units (spotcheck_id, unit_id)
            SELECT s.id, gu.unit_id FROM rectification_spotcheck s
            JOIN campaign_supervisiongroup_units gu ON gu.supervisiongroup_id = s.group_id"""
        )
        findings = self.sql(
            """INSERT INTO rectification_spotcheckfinding (spot_check_id, task_id, passed, note, status_checked)
            SELECT s.id, t.id, t.id %% 5 <> 0, '', 'closed' FROM rectification_spotcheck s
            JOIN rectification_spotcheck_units su ON su.spotcheck_id = s.id
            JOIN campaign_unit u ON u.id = su.unit_id
            JOIN LATERAL (
                SELECT id FROM rectification_task WHERE unit_path LIKE u.path || '%%' AND status = 'closed'
                ORDER BY id OFFSET s.id %% 50 LIMIT 10
            ) t ON true"""
        )
        records = self.sql(
            """INSERT INTO rectification_accountabilityrecord (unit_id, person_name, person_post, measure, decided_on,
                deciding_unit_id, decided_by, note, recorded_by_id, created_at, document, document_name, document_type,
                document_size)
            SELECT u.id, u.leader_name, '书记', (ARRAY['talk','circular','warning','organisational','other'])[u.id %% 5 + 1],
                   %(today)s::date - (u.id %% 90)::int, p.id, p.name, '整改不力', NULL, %(now)s, '', '', '', 0
            FROM campaign_unit u JOIN campaign_unit p ON p.id = u.parent_id WHERE u.depth = 4 AND u.id %% 500 = 0""",
            params,
        )
        self.sql(
            """INSERT INTO rectification_accountabilityrecord_tasks (accountabilityrecord_id, task_id)
            SELECT r.id, t.id FROM rectification_accountabilityrecord r
            JOIN LATERAL (SELECT id FROM rectification_task WHERE unit_id = r.unit_id ORDER BY id LIMIT 1) t ON true"""
        )
        return f"{groups} supervision groups, {checks} spot checks, {findings} findings, {records} accountability records"

    def rollups(self):
        from rectification import rollups

        return f"{rollups.rebuild()} roll-up rows"

    def analyze(self):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return "statistics"


# A 1×1 PNG: the evidence file every evidence row of the data set points at.
SAMPLE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201ffa7d6a1a90000000049454e44ae426082"
)
