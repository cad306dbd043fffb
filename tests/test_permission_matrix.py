"""The permission matrix: every page and every action of the product, tried by
every kind of user, with the expected outcome kept in ONE table below.

The world (``World``): a city with an east district (street → community), a
west district (street → community), a north district and a city department.
The task ``T`` belongs to the east community, with the west community
co-responsible. Supervision groups sent by the city watch the east district
(``sup``, ``sup_staff``) and the north district (``sup_out``).

Personas (columns):

    anon       not logged in
    unit       staff (填报员) of the east community, the task's unit
    co         staff of the west community, co-responsible for the task
    other      staff of the north district: nothing to do with the task
    sup        supervisor in scope (east group)
    sup_out    supervisor out of scope (north group)
    sup_staff  supervisor in scope who is also staff of the east street, above the task's unit
    leader     leader (领导) of the city
    c_admin    administrator of the east community
    city_admin administrator of the city (the campaign office)
    root       a superuser with no membership

Outcomes (cells):

    200   the page is shown, with what identifies it (the task's title, …)
    ok    the action is done: the row is written (checked in the database)
    R     refused with a message the user reads; nothing is written
    403   forbidden (the refusal page); nothing is written
    404   not found, as if it did not exist; nothing is written
    L     sent to the login page; nothing is written

The separation-of-duties rules behind DECIDE are tried one by one, with their
messages, in tests/campaign/test_permissions.py. Query counts of the pages are
kept as baselines in tests/query_baselines.json: a page whose count grows
fails (``UPDATE_QUERY_BASELINES=1`` rewrites the file after a deliberate change).
"""

import datetime
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign import accounts
from campaign.models import (
    ExportJob, FigureReport, IndicatorValue, Participation, ProvisionedAccount, ProvisioningRun, Role, UnitImportRun,
    UnitKind,
)  # fmt: skip
from rectification import services, spotchecks
from rectification.models import (
    AccountabilityRecord,
    ChatRobot,
    CoordinationReply,
    CoordinationRequest,
    Explanation,
    ExtensionRequest,
    Instruction,
    InstructionReply,
    JobRun,
    LedgerImportRun,
    Notification,
    Problem,
    ProgressUpdate,
    RobotMessage,
    SpotCheck,
    SpotCheckFinding,
    Task,
    TaskStatus,
    Urge,
    Verification,
    WarningPolicy,
)
from rectification.models.decisions import Decision
from rectification.models.supervision import AccountabilityMeasure
from tests.factories import (
    BatchFactory,
    CampaignFactory,
    IndicatorFactory,
    MembershipFactory,
    ParticipationFactory,
    SupervisionGroupFactory,
    TaskFactory,
    UnitFactory,
    UserFactory,
)
from reports.models import ReportRun, RunStatus
from tests.rectification.conftest import png_bytes

PERSONAS = ["anon", "unit", "co", "other", "sup", "sup_out", "sup_staff", "leader", "c_admin", "city_admin", "root"]

# fmt: off
MATRIX = """
row                        anon unit co   other sup  sup_out sup_staff leader c_admin city_admin root
# --- pages (GET) -------------------------------------------------------------------------------------
home                       L    200  200  200   200  200     200       200    200     200        200
my_tasks                   L    200  200  200   200  200     200       200    200     200        200
task_list                  L    200  200  200   200  200     200       200    200     200        200
task_detail                L    200  200  404   200  404     200       200    200     200        200
task_edit_page             L    200  403  404   403  404     200       403    200     200        200
problem_detail             L    200  200  404   200  404     200       200    200     200        200
problem_create_page        L    200  200  200   403  403     200       403    200     200        200
task_create_page           L    200  200  404   403  404     200       403    200     200        200
evidence                   L    200  200  404   200  404     200       200    200     200        200
evidence_thumbnail         L    200  200  404   200  404     200       200    200     200        200
queue                      L    403  403  403   200  200     200       403    403     403        403
spotcheck_list             L    200  200  200   200  200     200       200    200     200        200
spotcheck_detail           L    200  404  404   200  404     200       200    200     200        200
spotcheck_create_page      L    403  403  403   200  200     200       403    403     403        403
accountability_list        L    403  403  403   200  200     200       200    200     200        200
accountability_create_page L    403  403  403   200  200     200       403    403     403        403
accountability_document    L    200  404  404   200  404     200       200    200     200        200
ledger                     L    200  200  200   200  200     200       200    200     200        200
ledger_export              L    200  200  200   200  200     200       200    200     200        200
dashboard                  L    403  403  403   200  200     200       200    200     200        200
dashboard_unit             L    403  403  403   200  403     200       200    403     200        200
dashboard_export           L    403  403  403   200  403     200       200    403     200        200
instruction_list           L    200  200  200   200  200     200       200    200     200        200
instruction_detail         L    200  404  404   200  404     200       200    200     200        200
ledger_import_page         L    200  200  200   403  403     200       403    200     200        200
coordination_inbox         L    200  200  200   200  200     200       200    200     200        200
coordination_detail        L    200  404  404   200  404     200       200    200     200        200
coordination_create_page   L    200  200  404   403  404     200       403    200     200        200
notifications              L    200  200  200   200  200     200       200    200     200        200
operations                 L    403  403  403   403  403     403       403    403     200        200
policy_edit_page           L    403  403  403   403  403     403       403    403     200        200
unit_tree                  L    200  200  200   200  200     200       200    200     200        200
unit_detail                L    200  404  404   200  404     200       200    200     200        200
unit_children              L    404  404  404   200  404     200       200    404     200        200
unit_search                L    200  200  200   200  200     200       200    200     200        200
unit_import_page           L    403  403  403   403  403     403       403    200     200        200
participation_list         L    200  200  200   200  200     200       200    200     200        200
figures_list               L    200  200  200   200  200     200       200    200     200        200
figures_report_page        L    200  404  404   200  404     200       200    200     200        200
figures_evidence           L    200  404  404   200  404     200       200    200     200        200
campaign_detail            L    200  200  200   200  200     200       200    200     200        200
# --- the staff's steps (POST) ----------------------------------------------------------------------
task_edit                  L    ok   403  404   403  404     ok        403    ok      ok         ok
progress                   L    ok   ok   404   403  404     ok        403    ok      ok         ok
ask_closing                L    ok   403  404   403  404     ok        403    ok      ok         ok
explain                    L    ok   ok   404   403  404     ok        403    ok      ok         ok
ask_extension              L    ok   403  404   403  404     ok        403    ok      ok         ok
ask_coordination           L    ok   ok   404   403  404     ok        403    ok      ok         ok
problem_create             L    ok   R    R     403  403     ok        403    ok      ok         ok
task_create                L    ok   R    404   403  404     ok        403    ok      ok         ok
report_figures             L    ok   404  404   403  404     ok        403    ok      ok         ok
return_figures             L    403  404  404   403  404     ok        ok     403     ok         403
# --- decisions (POST): supervisors in scope, with separation of duties -------------------------
urge                       L    403  403  403   ok   404     ok        403    403     403        403
dashboard_urge             L    403  403  403   ok   R       ok        403    403     403        403
instruct                   L    403  403  403   403  403     403       ok     403     403        403
answer_instruction         L    ok   404  404   403  404     ok        403    ok      ok         ok
approve_closing            L    403  403  403   ok   R       R         403    403     403        403
return_closing             L    403  403  403   ok   R       R         403    403     403        403
close_from_task            L    403  404  404   ok   404     R         403    403     403        403
return_from_task           L    403  404  404   ok   404     R         403    403     403        403
decide_extension           L    403  403  403   ok   404     R         403    403     403        403
review_explanation         L    403  403  403   ok   404     R         403    403     403        403
record_spot_check          L    403  403  403   ok   R       R         403    403     403        403
record_accountability      L    403  403  403   ok   R       R         403    403     403        403
# --- coordination threads (POST): the department asked and the asking side -----------------------
reply_coordination         L    ok   404  404   403  404     ok        403    ok      ok         403
resolve_coordination       L    ok   404  404   403  404     ok        403    ok      ok         403
# --- running the installation (POST) ----------------------------------------------------------------
run_sweep                  L    403  403  403   403  403     403       403    403     ok         ok
edit_policies              L    403  403  403   403  403     403       403    403     ok         ok
read_notification          L    ok   404  404   404  404     404       404    404     404        404
# --- the public's side: staff pages (public_staff:) -------------------------------------------------
opinion_queue              L    200  200  200   403  403     200       403    200     200        200
opinion_detail             L    200  404  404   404  404     200       404    200     200        200
opinion_accept             L    ok   404  404   404  404     ok        404    ok      ok         ok
opinion_merge              L    ok   404  404   404  404     ok        404    ok      ok         ok
opinion_forward            L    ok   404  404   404  404     ok        404    ok      ok         ok
opinion_decline            L    ok   404  404   404  404     ok        404    ok      ok         ok
plan_list                  L    200  200  200   200  200     200       200    200     200        200
plan_detail                L    200  404  404   200  404     200       200    200     200        200
plan_pdf                   L    200  404  404   200  404     200       200    200     200        200
plan_start                 L    404  404  404   403  404     ok        403    404     ok         ok
plan_edit                  L    ok   404  404   403  404     ok        403    ok      ok         ok
plan_review                L    403  404  404   403  404     ok        ok     403     ok         403
plan_publish               L    ok   404  404   403  404     ok        403    ok      ok         ok
survey_list                L    200  200  200   200  200     200       200    200     200        200
survey_detail              L    200  404  404   200  404     200       200    200     200        200
survey_create_page         L    403  403  403   200  200     200       403    403     403        403
survey_create              L    403  403  403   ok   R       ok        403    403     403        403
survey_close               L    403  404  404   ok   404     ok        403    403     403        403
target_notice              L    403  404  404   200  404     200       403    403     403        403
target_qr                  L    403  404  404   200  404     200       403    403     403        403
target_slips               L    403  404  404   200  404     200       403    403     403        403
board_edit                 L    403  403  403   403  403     403       403    200     200        200
board_mark                 L    403  403  404   403  404     403       403    ok      ok         ok
# --- the public's pages (public:): no account needed, the same for everyone ----------------------------
public_index               200  200  200  200   200  200     200       200    200     200        200
public_opinion_form        ok   ok   ok   ok    ok   ok      ok        ok     ok      ok         ok
public_receipt             200  200  200  200   200  200     200       200    200     200        200
public_status              200  200  200  200   200  200     200       200    200     200        200
public_board               200  200  200  200   200  200     200       200    200     200        200
public_plan                200  200  200  200   200  200     200       200    200     200        200
public_plan_comment        ok   ok   ok   ok    ok   ok      ok        ok     ok      ok         ok
public_survey              200  200  200  200   200  200     200       200    200     200        200
public_survey_answer       ok   ok   ok   ok    ok   ok      ok        ok     ok      ok         ok
# --- accounts (issue 14): the administrators of the person's units -----------------------------------
person_list                L    403  403  403   403  403     403       403    200     200        200
person_detail              L    403  403  403   403  403     403       403    200     200        200
person_slip                L    403  403  403   403  403     403       403    200     200        200
provision_page             L    403  403  403   403  403     403       403    200     200        200
provision_template         L    403  403  403   403  403     403       403    200     200        200
provisioning_run           L    403  403  403   403  403     403       403    404     200        200
provisioning_slips         L    403  403  403   403  403     403       403    404     200        200
reset_password             L    403  403  403   403  403     403       403    ok      ok         ok
deactivate_person          L    403  403  403   403  403     403       403    ok      ok         ok
reactivate_person          L    403  403  403   403  403     403       403    ok      ok         ok
unlock_person              L    403  403  403   403  403     403       403    ok      ok         ok
remove_membership          L    403  403  403   403  403     403       403    ok      ok         ok
# --- a unit's group-chat robots (issue 8): its administrators ----------------------------------------
robot_list_page            L    403  404  404   403  404     403       403    200     200        200
robot_edit_page            L    403  404  404   403  404     403       403    200     200        200
robot_add                  L    403  404  404   403  404     403       403    ok      ok         ok
robot_edit                 L    403  404  404   403  404     403       403    ok      ok         ok
robot_delete               L    403  404  404   403  404     403       403    ok      ok         ok
robot_test                 L    403  404  404   403  404     403       403    ok      ok         ok
# --- the leaders' reports (issue 12): OVERSEE over the report's unit -----------------------------------
summary                    L    403  403  403   200  200     200       200    200     200        200
summary_docx               L    403  403  403   200  404     200       200    200     200        200
runs                       L    403  403  403   200  200     200       200    200     200        200
run_request                L    403  403  403   ok   R       ok        ok     R       ok         ok
run_detail                 L    404  404  404   200  404     200       200    200     200        200
run_download               L    404  404  404   200  404     200       200    200     200        200
# --- background exports and imports (issue 10): the requester's only (the ledger's: the community's staff) ---
export_job                 L    200  404  404   404  404     404       404    404     404        404
export_download            L    200  404  404   404  404     404       404    404     404        404
unit_import_run            L    404  404  404   404  404     404       404    404     200        404
ledger_import_run          L    200  404  404   404  404     404       404    404     404        404
"""
# fmt: on


def parse_matrix(text):
    lines = [line for line in text.strip().splitlines() if line.strip() and not line.startswith("#")]
    header = lines[0].split()
    assert header[1:] == PERSONAS, header
    table = {}
    for line in lines[1:]:
        name, *cells = line.split()
        assert len(cells) == len(PERSONAS), line
        table[name] = dict(zip(PERSONAS, cells, strict=True))
    return table


EXPECTED = parse_matrix(MATRIX)
TODAY = timezone.localdate


# --- the world ---------------------------------------------------------------------------------


class World:
    """Everything the rows act on, built anew for each test."""

    def __init__(self):
        self.city = UnitFactory(name="中共测试市委员会", short_name="测试市", kind=UnitKind.CITY)
        self.east = UnitFactory(parent=self.city, name="中共东区委员会", short_name="东区")
        self.east_street = UnitFactory(parent=self.east, name="东区街道党工委", kind=UnitKind.STREET)
        self.east_community = UnitFactory(parent=self.east_street, name="东区社区党支部", kind=UnitKind.COMMUNITY)
        self.west = UnitFactory(parent=self.city, name="中共西区委员会", short_name="西区")
        self.west_street = UnitFactory(parent=self.west, name="西区街道党工委", kind=UnitKind.STREET)
        self.west_community = UnitFactory(parent=self.west_street, name="西区社区党支部", kind=UnitKind.COMMUNITY)
        self.north = UnitFactory(parent=self.city, name="中共北区委员会", short_name="北区")
        self.bureau = UnitFactory(parent=self.city, name="中共测试市水务局党组", short_name="市水务局", kind=UnitKind.DEPARTMENT)
        self.campaign = CampaignFactory(issuing_unit=self.city, name="先进性教育活动")
        self.batch = BatchFactory(campaign=self.campaign, number=2, name="第二批")

        def member(username, unit, role):
            return MembershipFactory(unit=unit, role=role, user=UserFactory(username=username)).user

        self.people = {
            "anon": None,
            "unit": member("unit-staff", self.east_community, Role.STAFF),
            "co": member("co-unit-staff", self.west_community, Role.STAFF),
            "other": member("other-district-staff", self.north, Role.STAFF),
            "sup": UserFactory(username="supervisor-in-scope"),
            "sup_out": UserFactory(username="supervisor-out-of-scope"),
            "sup_staff": member("supervisor-staff-above", self.east_street, Role.STAFF),
            "leader": member("city-leader", self.city, Role.LEADER),
            "c_admin": member("community-admin", self.east_community, Role.ADMIN),
            "city_admin": member("city-admin", self.city, Role.ADMIN),
            "root": UserFactory(username="root", is_superuser=True, is_staff=True),
        }
        east_group = SupervisionGroupFactory(campaign=self.campaign, organising_unit=self.city, name="东区督导组")
        east_group.units.add(self.east)
        east_group.members.add(self.people["sup"], self.people["sup_staff"])
        north_group = SupervisionGroupFactory(campaign=self.campaign, organising_unit=self.city, name="北区督导组")
        north_group.units.add(self.north)
        north_group.members.add(self.people["sup_out"])
        self.east_group = east_group

        staff = self.people["unit"]
        today = TODAY()
        # T: overdue, with evidence; the west community co-responsible
        self.task = TaskFactory(
            unit=self.east_community, problem__batch=self.batch, title="解决小区吃水难问题",
            start_date=today - datetime.timedelta(days=60), due_date=today - datetime.timedelta(days=2),
        )  # fmt: skip
        self.task.co_units.add(self.west_community)
        self.problem = self.task.problem
        photo = SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png")
        services.add_progress(self.task, staff, entry_date=today, text="勘察完成", percent=30, files=[photo])
        self.evidence = self.task.evidence.get()
        self.explanation = services.give_explanation(self.task, staff, "funds", "资金未到位")
        # V: a closing asked for by the unit's staff
        self.closing_task = TaskFactory(unit=self.east_community, problem__batch=self.batch, title="更换小区路灯")
        photo = SimpleUploadedFile("路灯.png", png_bytes(), content_type="image/png")
        services.add_progress(self.closing_task, staff, entry_date=today, text="已更换", percent=100, files=[photo])
        self.verification = services.request_verification(self.closing_task, staff, "路灯已全部更换")
        # E: an extension asked for by the unit's staff
        self.extension_task = TaskFactory(unit=self.east_community, problem__batch=self.batch, title="修缮活动室")
        self.extension = services.request_extension(
            self.extension_task, staff, self.extension_task.due_date + datetime.timedelta(days=30), "冬季停工"
        )
        # C: the community asks the city's water bureau
        self.coordination = services.ask_coordination(self.task, staff, self.bureau, "管网改造资金", "请协调资金")
        # S: a spot check of the east group on a closed task of the community
        self.closed_task = TaskFactory(
            unit=self.east_community, problem__batch=self.batch, title="清理楼道杂物",
            status=TaskStatus.CLOSED, closed_at=timezone.now(), progress=100,
        )  # fmt: skip
        self.spot_check = SpotCheck.objects.create(group=east_group, checked_on=today, created_by=self.people["sup"])
        self.spot_check.units.add(self.east_community)
        SpotCheckFinding.objects.create(spot_check=self.spot_check, task=self.closed_task, passed=True, note="")
        self.spot_checks_before = SpotCheck.objects.count()
        # A: an accountability record on the community, with its decision document
        self.accountability = spotchecks.record_accountability(
            self.people["sup"], unit=self.east_community, measure=AccountabilityMeasure.TALK, decided_on=today,
            deciding_unit=self.east, person_name="王某", person_post="书记", tasks=[self.task],
            document=SimpleUploadedFile("约谈决定.png", png_bytes(), content_type="image/png"),
        )  # fmt: skip
        self.notification = Notification.objects.create(
            user=staff, kind="decision", key="matrix:1", title="已退回", url=self.task.get_absolute_url()
        )
        # accounts: a second staff of the community (managed by its administrators), one who
        # left, one waiting for the first login, a run of the campaign office, a lock
        self.target = member("second-staff", self.east_community, Role.STAFF)
        self.former = member("former-staff", self.east_community, Role.STAFF)
        self.former.is_active = False
        self.former.save()
        self.newcomer = member("newcomer", self.east_community, Role.STAFF)
        accounts.issue_initial_password(self.newcomer)
        self.run = ProvisioningRun.objects.create(
            created_by=self.people["city_admin"], file_name="人员.xlsx", status=ProvisioningRun.Status.DONE
        )
        ProvisionedAccount.objects.create(run=self.run, user=self.newcomer, unit=self.east_community, role=Role.STAFF,
                                          row=3, created=True)  # fmt: skip
        self.export = ExportJob.objects.create(
            created_by=staff, kind="tasks", format="csv", title="整改任务", status=ExportJob.Status.DONE,
            file_name="整改任务-导出.csv", rows_total=1, rows_done=1,
        )  # fmt: skip
        self.export.file.save("export-matrix.csv", ContentFile("标题\n东区导出的行\n".encode()), save=True)
        self.unit_run = UnitImportRun.objects.create(
            created_by=self.people["city_admin"], file_name="全市党组织.xlsx", status=UnitImportRun.Status.DONE,
            row_count=5000, created_count=5000,
        )  # fmt: skip
        self.ledger_run = LedgerImportRun.objects.create(
            created_by=staff, file_name="社区整改台账.xlsx", status=LedgerImportRun.Status.DONE, row_count=800,
            batch=self.batch, default_unit=self.east_community, created_count=790, updated_count=10,
        )  # fmt: skip
        AccessAttempt.objects.create(username=self.target.username, ip_address="10.0.0.9", failures_since_start=9,
                                     get_data="", post_data="", http_accept="", path_info="/login/", user_agent="x")  # fmt: skip
        self.robot = ChatRobot.objects.create(
            unit=self.east_community, platform=ChatRobot.Platform.WECOM, name="东区社区整改工作群",
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix-0123456789abcdef",
        )  # fmt: skip
        self.public_side(staff)
        # F: the community's figures for the batch, reported by its staff, with evidence
        from rectification import figures

        self.indicator = IndicatorFactory(campaign=self.campaign, code="funds", name="党建经费", needs_evidence=True)
        self.figures = figures.report_figures(
            staff, self.east_community, self.batch, participation={"members_expected": 40, "members_participated": 38},
            indicators=[figures.IndicatorEntry(self.indicator, 12, "", SimpleUploadedFile(
                "预算.png", png_bytes(), content_type="image/png"))],
        )  # fmt: skip
        self.figure_value = IndicatorValue.objects.get(unit=self.east_community, indicator=self.indicator)
        # I: a leader's instruction (领导批示) on the task, issue 11
        self.instruction = services.give_instruction(self.people["leader"], None, "请加快解决吃水问题", task=self.task)

    def public_side(self, staff):
        """An opinion on the east community, its plans in every state, a survey round over it."""
        from public import opinions, plans, surveys
        from public.models import RectificationPlan, SurveyMode

        self.opinion = opinions.submit_opinion(self.campaign, self.east_community, "楼道灯坏了", name="王大爷", phone="13800001111")
        ParticipationFactory(unit=self.east_community, batch=self.batch)
        self.street_participation = ParticipationFactory(unit=self.east_street, batch=self.batch)
        self.draft_plan = RectificationPlan.objects.create(unit=self.east_community, batch=self.batch, preamble="草稿正文")
        batch1 = BatchFactory(campaign=self.campaign, number=1, name="第一批")
        batch3 = BatchFactory(campaign=self.campaign, number=3, name="第三批")
        self.submitted_plan = RectificationPlan.objects.create(unit=self.east_community, batch=batch1, preamble="送审正文")
        TaskFactory(unit=self.east_community, problem__unit=self.east_community, problem__batch=batch1)
        plans.submit(self.submitted_plan, staff)
        self.approved_plan = RectificationPlan.objects.create(unit=self.east_community, batch=batch3, preamble="已审正文")
        TaskFactory(unit=self.east_community, problem__unit=self.east_community, problem__batch=batch3)
        plans.submit(self.approved_plan, staff)
        plans.approve(self.approved_plan, self.people["city_admin"])
        self.published_plan = RectificationPlan.objects.create(unit=self.bureau, batch=self.batch, preamble="公示正文")
        bureau_staff = MembershipFactory(unit=self.bureau, role=Role.STAFF, user=UserFactory(username="bureau-staff")).user
        TaskFactory(unit=self.bureau, problem__unit=self.bureau, problem__batch=self.batch)
        plans.submit(self.published_plan, bureau_staff)
        plans.approve(self.published_plan, self.people["city_admin"])
        plans.publish(self.published_plan, bureau_staff, TODAY() + datetime.timedelta(days=7))
        self.survey = surveys.open_round(
            self.people["sup"], self.campaign, title="满意度测评", mode=SurveyMode.TOKENS, scope="units",
            units=[self.east_community], closes_on=TODAY() + datetime.timedelta(days=7), tokens_per_unit=2,
        )  # fmt: skip
        self.survey_target = self.survey.targets.get()
        self.token = self.survey_target.tokens.first()
        self.report_run = ReportRun.objects.create(
            kind="summary", unit=self.east_community, as_of=TODAY(), key="matrix", status=RunStatus.DONE, progress=100
        )
        self.report_run.file.save("matrix.pdf", ContentFile(b"%PDF-1.7 matrix"), save=True)

    def user(self, persona):
        return self.people[persona]

    def count(self, model, **filters):
        return model.objects.filter(**filters).count()


# --- the rows ----------------------------------------------------------------------------------


@dataclass
class Row:
    method: str
    url: Callable  # world -> url
    marker: Callable | None = None  # world -> text the page shows (GET rows)
    data: Callable | None = None  # world -> POST data
    done: Callable | None = None  # world -> whether the action's row is written (POST rows)


def task_url(name):
    return lambda w: reverse(f"rectification:{name}", args=[w.task.pk])


def edit_post(w):
    t = w.task
    data = {
        "title": "解决小区吃水难问题（改）", "measures": t.measures, "leader_name": t.leader_name,
        "person_name": t.person_name, "term": t.term, "start_date": t.start_date.isoformat(), "version": t.version,
    }  # fmt: skip
    data.update({f"seen_{name}": str(getattr(t, name)) for name in services.EDITABLE_FIELDS})
    data["co_units"] = [str(w.west_community.pk)]
    return data


ROWS = {
    # pages
    "home": Row("GET", lambda w: reverse("reports:home")),
    "my_tasks": Row("GET", lambda w: reverse("rectification:my_tasks")),
    "task_list": Row("GET", lambda w: reverse("rectification:task_list")),
    "task_detail": Row("GET", task_url("task_detail"), lambda w: w.task.title),
    "task_edit_page": Row("GET", task_url("task_edit"), lambda w: w.task.measures),
    "problem_detail": Row("GET", lambda w: w.problem.get_absolute_url(), lambda w: w.problem.title),
    "problem_create_page": Row("GET", lambda w: reverse("rectification:problem_create"), lambda w: 'name="title"'),
    "task_create_page": Row(
        "GET", lambda w: reverse("rectification:task_create", args=[w.problem.pk]), lambda w: w.problem.title
    ),
    "evidence": Row("GET", lambda w: reverse("rectification:evidence_download", args=[w.evidence.pk])),
    "evidence_thumbnail": Row("GET", lambda w: reverse("rectification:evidence_thumbnail", args=[w.evidence.pk])),
    "queue": Row("GET", lambda w: reverse("rectification:queue")),
    "spotcheck_list": Row("GET", lambda w: reverse("rectification:spotcheck_list")),
    "spotcheck_detail": Row(
        "GET", lambda w: reverse("rectification:spotcheck_detail", args=[w.spot_check.pk]), lambda w: w.closed_task.title
    ),
    "spotcheck_create_page": Row("GET", lambda w: reverse("rectification:spotcheck_create")),
    "accountability_list": Row("GET", lambda w: reverse("rectification:accountability_list")),
    "accountability_create_page": Row("GET", lambda w: reverse("rectification:accountability_create")),
    "accountability_document": Row(
        "GET", lambda w: reverse("rectification:accountability_document", args=[w.accountability.pk])
    ),
    "ledger": Row("GET", lambda w: reverse("reports:ledger")),
    "ledger_export": Row("GET", lambda w: reverse("reports:ledger_export")),
    "ledger_import_page": Row("GET", lambda w: reverse("rectification:ledger_import")),
    "dashboard": Row("GET", lambda w: reverse("reports:dashboard")),
    "instruction_list": Row("GET", lambda w: reverse("rectification:instruction_list")),
    "instruction_detail": Row(
        "GET", lambda w: reverse("rectification:instruction_detail", args=[w.instruction.pk]), lambda w: "请加快解决吃水问题"
    ),
    "dashboard_unit": Row(
        "GET", lambda w: reverse("reports:dashboard") + f"?unit={w.east_street.pk}", lambda w: w.east_community.display_name
    ),
    "dashboard_export": Row(
        "GET", lambda w: reverse("reports:dashboard") + f"?unit={w.east.pk}&export=csv&list=rows", lambda w: w.east_street.name
    ),
    "coordination_inbox": Row("GET", lambda w: reverse("rectification:coordination_inbox")),
    "coordination_detail": Row(
        "GET", lambda w: reverse("rectification:coordination_detail", args=[w.coordination.pk]), lambda w: "管网改造资金"
    ),
    "coordination_create_page": Row(
        "GET", lambda w: reverse("rectification:coordination_create") + f"?task={w.task.pk}", lambda w: w.task.title
    ),
    "notifications": Row("GET", lambda w: reverse("rectification:notification_list")),
    "operations": Row("GET", lambda w: reverse("rectification:operations")),
    "policy_edit_page": Row(
        "GET", lambda w: reverse("rectification:warningpolicy_edit", args=[w.campaign.pk]), lambda w: w.campaign.name
    ),
    "unit_tree": Row("GET", lambda w: reverse("campaign:unit_tree")),
    "unit_detail": Row(
        "GET", lambda w: reverse("campaign:unit_detail", args=[w.east_community.pk]), lambda w: w.east_community.name
    ),
    "unit_children": Row(
        "GET", lambda w: reverse("campaign:unit_children", args=[w.east_street.pk]), lambda w: w.east_community.name
    ),
    "unit_search": Row("GET", lambda w: reverse("campaign:unit_search") + "?source=visible&q=社区"),
    "unit_import_page": Row("GET", lambda w: reverse("campaign:unit_import")),
    "participation_list": Row("GET", lambda w: reverse("campaign:participation_list")),
    "campaign_detail": Row(
        "GET", lambda w: reverse("campaign:campaign_detail", args=[w.campaign.pk]), lambda w: w.campaign.name
    ),
    "figures_list": Row("GET", lambda w: reverse("rectification:figures_list")),
    "figures_report_page": Row(
        "GET", lambda w: reverse("rectification:figures_report", args=[w.east_community.pk, w.batch.pk]),
        lambda w: w.east_community.name,
    ),  # fmt: skip
    "figures_evidence": Row("GET", lambda w: reverse("rectification:figures_evidence", args=[w.figure_value.pk])),
    "report_figures": Row(
        "POST", lambda w: reverse("rectification:figures_report", args=[w.east_community.pk, w.batch.pk]),
        data=lambda w: {"members_expected": 40, "members_participated": 33, "makeup_members": 0,
                        "members_transformed": 0, "members_handled": 0, "look_back_note": "",
                        f"indicator_{w.indicator.pk}": "12", f"indicator_{w.indicator.pk}_note": "",
                        "version": w.figures.version},
        done=lambda w: Participation.objects.get(unit=w.east_community, batch=w.batch).members_participated == 33,
    ),  # fmt: skip
    "return_figures": Row(
        "POST", lambda w: reverse("rectification:figures_return", args=[w.figures.pk]),
        data=lambda w: {"reason": "数字与花名册不符"},
        done=lambda w: FigureReport.objects.get(pk=w.figures.pk).status == FigureReport.Status.RETURNED,
    ),  # fmt: skip
    # the staff's steps
    "task_edit": Row(
        "POST", task_url("task_edit"), data=edit_post,
        done=lambda w: Task.objects.get(pk=w.task.pk).title.endswith("（改）"),
    ),  # fmt: skip
    "progress": Row(
        "POST", task_url("task_add_progress"),
        data=lambda w: {"progress-entry_date": TODAY().isoformat(), "progress-text": "新进展", "progress-percent": 50},
        done=lambda w: ProgressUpdate.objects.filter(task=w.task, text="新进展").exists(),
    ),  # fmt: skip
    "ask_closing": Row(
        "POST", task_url("task_request_verification"), data=lambda w: {"closing-note": "已完成"},
        done=lambda w: Verification.objects.filter(task=w.task).exists(),
    ),  # fmt: skip
    "explain": Row(
        "POST", task_url("task_explain"), data=lambda w: {"explain-reason_code": "policy", "explain-text": "政策调整"},
        done=lambda w: Explanation.objects.filter(task=w.task, text="政策调整").exists(),
    ),  # fmt: skip
    "ask_extension": Row(
        "POST", task_url("task_request_extension"),
        data=lambda w: {"extend-new_due_date": (TODAY() + datetime.timedelta(days=40)).isoformat(), "extend-reason": "施工期长"},
        done=lambda w: ExtensionRequest.objects.filter(task=w.task).exists(),
    ),  # fmt: skip
    "ask_coordination": Row(
        "POST", lambda w: reverse("rectification:coordination_create") + f"?task={w.task.pk}",
        data=lambda w: {"coord-to_unit": w.east.pk, "coord-subject": "协调用地", "coord-text": "请区里协调"},
        done=lambda w: CoordinationRequest.objects.filter(subject="协调用地").exists(),
    ),  # fmt: skip
    "problem_create": Row(
        "POST", lambda w: reverse("rectification:problem_create"),
        data=lambda w: {"title": "新查摆的问题", "source": "self", "category": "other", "unit": w.east_community.pk,
                        "batch": w.batch.pk, "found_on": TODAY().isoformat()},
        done=lambda w: Problem.objects.filter(title="新查摆的问题").exists(),
    ),  # fmt: skip
    "task_create": Row(
        "POST", lambda w: reverse("rectification:task_create", args=[w.problem.pk]),
        data=lambda w: {"title": "新的整改任务", "measures": "措施", "unit": w.east_community.pk, "leader_name": "王书记",
                        "person_name": "李干事", "term": "short", "start_date": TODAY().isoformat(),
                        "due_date": (TODAY() + datetime.timedelta(days=30)).isoformat()},
        done=lambda w: Task.objects.filter(title="新的整改任务").exists(),
    ),  # fmt: skip
    # decisions
    "urge": Row(
        "POST", task_url("task_urge"), data=lambda w: {f"overdue-{w.task.pk}-message": "请尽快整改"},
        done=lambda w: Urge.objects.filter(task=w.task).exists(),
    ),  # fmt: skip
    "instruct": Row(
        "POST", lambda w: reverse("rectification:instruct"),
        data=lambda w: {"unit": w.east_community.pk, "text": "新的批示"},
        done=lambda w: Instruction.objects.filter(text="新的批示").exists(),
    ),  # fmt: skip
    "answer_instruction": Row(
        "POST", lambda w: reverse("rectification:instruction_detail", args=[w.instruction.pk]),
        data=lambda w: {"text": "已落实"},
        done=lambda w: InstructionReply.objects.filter(instruction=w.instruction, text="已落实").exists(),
    ),  # fmt: skip
    "dashboard_urge": Row(
        "POST", lambda w: reverse("reports:dashboard_urge"),
        data=lambda w: {"ids": [w.task.pk], "message": "请尽快整改", "next": reverse("reports:dashboard")},
        done=lambda w: Urge.objects.filter(task=w.task, message="请尽快整改").exists(),
    ),  # fmt: skip
    "approve_closing": Row(
        "POST", lambda w: reverse("rectification:verification_bulk"),
        data=lambda w: {"ids": [w.verification.pk], "action": "approve", "note": ""},
        done=lambda w: Task.objects.get(pk=w.closing_task.pk).status == TaskStatus.CLOSED,
    ),  # fmt: skip
    "return_closing": Row(
        "POST", lambda w: reverse("rectification:verification_bulk"),
        data=lambda w: {"ids": [w.verification.pk], "action": "return", "note": "照片不清楚"},
        done=lambda w: Verification.objects.get(pk=w.verification.pk).outcome == Verification.Outcome.RETURNED,
    ),  # fmt: skip
    "close_from_task": Row(
        "POST", lambda w: reverse("rectification:task_decide_closing", args=[w.closing_task.pk]),
        data=lambda w: {"decide-decision": "close", "decide-note": ""},
        done=lambda w: Task.objects.get(pk=w.closing_task.pk).status == TaskStatus.CLOSED,
    ),  # fmt: skip
    "return_from_task": Row(
        "POST", lambda w: reverse("rectification:task_decide_closing", args=[w.closing_task.pk]),
        data=lambda w: {"decide-decision": "return", "decide-note": "照片不清楚"},
        done=lambda w: Verification.objects.get(pk=w.verification.pk).outcome == Verification.Outcome.RETURNED,
    ),  # fmt: skip
    "decide_extension": Row(
        "POST", lambda w: reverse("rectification:extension_decide", args=[w.extension.pk]),
        data=lambda w: {f"extensions-{w.extension.pk}-decision": "approve", f"extensions-{w.extension.pk}-note": ""},
        done=lambda w: ExtensionRequest.objects.get(pk=w.extension.pk).decision == Decision.APPROVED,
    ),  # fmt: skip
    "review_explanation": Row(
        "POST", lambda w: reverse("rectification:explanation_review", args=[w.explanation.pk]),
        data=lambda w: {f"explanations-{w.explanation.pk}-decision": "accept", f"explanations-{w.explanation.pk}-note": "已阅"},
        done=lambda w: Explanation.objects.get(pk=w.explanation.pk).reviewed_at is not None,
    ),  # fmt: skip
    "record_spot_check": Row(
        "POST", lambda w: reverse("rectification:spotcheck_create"),
        data=lambda w: {"step": "findings", "group": w.east_group.pk, "checked_on": TODAY().isoformat(),
                        "units": [w.east_community.pk], "tasks": [w.closed_task.pk],
                        f"result_{w.closed_task.pk}": "passed", f"note_{w.closed_task.pk}": "", "summary": "抽查"},
        done=lambda w: SpotCheck.objects.count() > w.spot_checks_before,
    ),  # fmt: skip
    "record_accountability": Row(
        "POST", lambda w: reverse("rectification:accountability_create"),
        data=lambda w: {"unit": w.east_community.pk, "person_name": "王某", "measure": AccountabilityMeasure.TALK,
                        "decided_on": TODAY().isoformat(), "deciding_unit": w.east.pk, "note": "整改不力"},
        done=lambda w: AccountabilityRecord.objects.count() > 1,
    ),  # fmt: skip
    # coordination
    "reply_coordination": Row(
        "POST", lambda w: reverse("rectification:coordination_reply", args=[w.coordination.pk]),
        data=lambda w: {"text": "已安排"},
        done=lambda w: CoordinationReply.objects.filter(request=w.coordination, text="已安排").exists(),
    ),  # fmt: skip
    "resolve_coordination": Row(
        "POST", lambda w: reverse("rectification:coordination_resolve", args=[w.coordination.pk]), data=lambda w: {},
        done=lambda w: CoordinationRequest.objects.get(pk=w.coordination.pk).status == CoordinationRequest.Status.RESOLVED,
    ),  # fmt: skip
    # running the installation
    "run_sweep": Row(
        "POST", lambda w: reverse("rectification:operations_sweep"), data=lambda w: {},
        done=lambda w: JobRun.objects.exists(),
    ),  # fmt: skip
    "edit_policies": Row(
        "POST", lambda w: reverse("rectification:warningpolicy_edit", args=[w.campaign.pk]),
        data=lambda w: {
            "form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
            **{f"form-{i}-{key}": value for i, term in enumerate(("immediate", "short", "long"))
               for key, value in (("term", term), ("window_days", 2), ("escalate_after_days", 30),
                                  ("explanation_grace_days", 3), ("reminder_days", 0))},
        },
        done=lambda w: WarningPolicy.objects.exists(),
    ),  # fmt: skip
    "person_list": Row("GET", lambda w: reverse("campaign:person_list"), lambda w: "second-staff"),
    "person_detail": Row("GET", lambda w: reverse("campaign:person_detail", args=[w.target.pk]), lambda w: "second-staff"),
    "person_slip": Row("GET", lambda w: reverse("campaign:person_slip", args=[w.newcomer.pk])),
    "provision_page": Row("GET", lambda w: reverse("campaign:provision")),
    "provision_template": Row("GET", lambda w: reverse("campaign:provision_template")),
    "provisioning_run": Row("GET", lambda w: reverse("campaign:provisioning_run", args=[w.run.pk]), lambda w: "newcomer"),
    "provisioning_slips": Row("GET", lambda w: reverse("campaign:provisioning_slips", args=[w.run.pk])),
    "unit_import_run": Row("GET", lambda w: reverse("campaign:unit_import_run", args=[w.unit_run.pk]), lambda w: "全市党组织.xlsx"),
    "ledger_import_run": Row(
        "GET", lambda w: reverse("rectification:ledger_import_run", args=[w.ledger_run.pk]), lambda w: "社区整改台账.xlsx"
    ),
    "export_job": Row("GET", lambda w: reverse("campaign:export_job", args=[w.export.pk]), lambda w: "整改任务-导出.csv"),
    "export_download": Row("GET", lambda w: reverse("campaign:export_download", args=[w.export.pk]), lambda w: "东区导出的行"),
    "reset_password": Row(
        "POST", lambda w: reverse("campaign:person_reset_password", args=[w.target.pk]), data=lambda w: {},
        done=lambda w: not get_user_model().objects.get(pk=w.target.pk).check_password("pw-test-2026"),
    ),  # fmt: skip
    "deactivate_person": Row(
        "POST", lambda w: reverse("campaign:person_deactivate", args=[w.target.pk]), data=lambda w: {"replacement": ""},
        done=lambda w: not get_user_model().objects.get(pk=w.target.pk).is_active,
    ),  # fmt: skip
    "reactivate_person": Row(
        "POST", lambda w: reverse("campaign:person_reactivate", args=[w.former.pk]), data=lambda w: {},
        done=lambda w: get_user_model().objects.get(pk=w.former.pk).is_active,
    ),  # fmt: skip
    "unlock_person": Row(
        "POST", lambda w: reverse("campaign:person_unlock", args=[w.target.pk]), data=lambda w: {},
        done=lambda w: not AccessAttempt.objects.filter(username=w.target.username).exists(),
    ),  # fmt: skip
    "remove_membership": Row(
        "POST", lambda w: reverse("campaign:membership_remove", args=[w.target.memberships.get().pk]),
        data=lambda w: {"replacement": ""},
        done=lambda w: not w.target.memberships.exists(),
    ),  # fmt: skip
    "robot_list_page": Row(
        "GET", lambda w: reverse("rectification:robot_list", args=[w.east_community.pk]), lambda w: w.robot.name
    ),
    "robot_edit_page": Row("GET", lambda w: reverse("rectification:robot_edit", args=[w.robot.pk]), lambda w: w.robot.name),
    "robot_add": Row(
        "POST", lambda w: reverse("rectification:robot_list", args=[w.east_community.pk]),
        data=lambda w: {"name": "新的机器人", "platform": "dingtalk", "message_format": "markdown", "enabled": "on",
                        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=new-token", "secret": "SECabc"},
        done=lambda w: ChatRobot.objects.filter(name="新的机器人", unit=w.east_community).exists(),
    ),  # fmt: skip
    "robot_edit": Row(
        "POST", lambda w: reverse("rectification:robot_edit", args=[w.robot.pk]),
        data=lambda w: {"name": "改名的工作群", "platform": "wecom", "message_format": "text", "enabled": "on"},
        done=lambda w: ChatRobot.objects.get(pk=w.robot.pk).name == "改名的工作群",
    ),  # fmt: skip
    "robot_delete": Row(
        "POST", lambda w: reverse("rectification:robot_delete", args=[w.robot.pk]), data=lambda w: {},
        done=lambda w: not ChatRobot.objects.filter(pk=w.robot.pk).exists(),
    ),  # fmt: skip
    "robot_test": Row(
        "POST", lambda w: reverse("rectification:robot_test", args=[w.robot.pk]), data=lambda w: {},
        done=lambda w: RobotMessage.objects.filter(robot=w.robot, kind="test").exists(),
    ),  # fmt: skip
    "read_notification": Row(
        "POST", lambda w: reverse("rectification:notification_read", args=[w.notification.pk]), data=lambda w: {},
        done=lambda w: Notification.objects.get(pk=w.notification.pk).read_at is not None,
    ),  # fmt: skip
}


def _public_rows():
    from public.models import (
        Opinion,
        OpinionStatus,
        PlanStatus,
        PublicTask,
        RectificationPlan,
        SurveyResponse,
        SurveyRound,
    )

    def staff(name, *args):
        return lambda w: reverse(f"public_staff:{name}", args=[arg(w) for arg in args])

    def opinion_status(status, **extra):
        return lambda w: Opinion.objects.filter(pk=w.opinion.pk, status=status, **extra).exists()

    def plan_status(attr, status):
        return lambda w: RectificationPlan.objects.get(pk=getattr(w, attr).pk).status == status

    today = lambda: (TODAY() + datetime.timedelta(days=5)).isoformat()  # noqa: E731
    return {
        "opinion_queue": Row("GET", staff("opinion_queue")),
        "opinion_detail": Row("GET", staff("opinion_detail", lambda w: w.opinion.pk), lambda w: "楼道灯坏了"),
        "opinion_accept": Row(
            "POST", staff("opinion_accept", lambda w: w.opinion.pk),
            data=lambda w: {"title": "楼道照明", "category": "livelihood", "batch": w.batch.pk},
            done=opinion_status(OpinionStatus.ACCEPTED),
        ),  # fmt: skip
        "opinion_merge": Row(
            "POST", staff("opinion_merge", lambda w: w.opinion.pk), data=lambda w: {"problem": w.problem.pk},
            done=opinion_status(OpinionStatus.MERGED),
        ),  # fmt: skip
        "opinion_forward": Row(
            "POST", staff("opinion_forward", lambda w: w.opinion.pk), data=lambda w: {"to_unit": w.bureau.pk},
            done=lambda w: Opinion.objects.get(pk=w.opinion.pk).unit_id == w.bureau.pk,
        ),  # fmt: skip
        "opinion_decline": Row(
            "POST", staff("opinion_decline", lambda w: w.opinion.pk), data=lambda w: {"reason": "不属本单位职责"},
            done=opinion_status(OpinionStatus.DECLINED),
        ),  # fmt: skip
        "plan_list": Row("GET", staff("plan_list")),
        "plan_detail": Row("GET", staff("plan_detail", lambda w: w.submitted_plan.pk), lambda w: "送审正文"),
        "plan_pdf": Row("GET", staff("plan_pdf", lambda w: w.submitted_plan.pk)),
        "plan_start": Row(
            "GET", staff("plan_start", lambda w: w.street_participation.pk),
            done=lambda w: RectificationPlan.objects.filter(unit=w.east_street).exists(),
        ),  # fmt: skip
        "plan_edit": Row(
            "POST", staff("plan_edit", lambda w: w.draft_plan.pk), data=lambda w: {"preamble": "修改后的正文"},
            done=lambda w: RectificationPlan.objects.get(pk=w.draft_plan.pk).preamble == "修改后的正文",
        ),  # fmt: skip
        "plan_review": Row(
            "POST", staff("plan_review", lambda w: w.submitted_plan.pk), data=lambda w: {"decision": "approve"},
            done=plan_status("submitted_plan", PlanStatus.APPROVED),
        ),  # fmt: skip
        "plan_publish": Row(
            "POST", staff("plan_publish", lambda w: w.approved_plan.pk), data=lambda w: {"comment_until": today()},
            done=plan_status("approved_plan", PlanStatus.PUBLISHED),
        ),  # fmt: skip
        "survey_list": Row("GET", staff("survey_list")),
        "survey_detail": Row("GET", staff("survey_detail", lambda w: w.survey.pk), lambda w: "满意度测评"),
        "survey_create_page": Row("GET", staff("survey_create")),
        "survey_create": Row(
            "POST", staff("survey_create"),
            data=lambda w: {"campaign": w.campaign.pk, "title": "第二轮测评", "units": [w.east_community.pk],
                            "scope": "units", "mode": "open", "per_address_limit": 30, "closes_on": today()},
            done=lambda w: SurveyRound.objects.filter(title="第二轮测评").exists(),
        ),  # fmt: skip
        "survey_close": Row(
            "POST", staff("survey_close", lambda w: w.survey.pk), data=lambda w: {},
            done=lambda w: SurveyRound.objects.get(pk=w.survey.pk).closed_at is not None,
        ),  # fmt: skip
        "target_notice": Row("GET", staff("target_notice", lambda w: w.survey_target.pk), lambda w: w.survey_target.key),
        "target_qr": Row("GET", lambda w: reverse("public_staff:target_qr", args=[w.survey_target.pk, "svg"])),
        "target_slips": Row("GET", staff("target_slips", lambda w: w.survey_target.pk), lambda w: w.token.code),
        "board_edit": Row("GET", staff("board_edit"), lambda w: w.task.title),
        "board_mark": Row(
            "POST", staff("board_mark", lambda w: w.task.pk), data=lambda w: {"public": "1"},
            done=lambda w: PublicTask.objects.filter(task=w.task).exists(),
        ),  # fmt: skip
        "public_index": Row("GET", lambda w: reverse("public:index"), lambda w: w.campaign.name),
        "public_opinion_form": Row(
            "POST", lambda w: reverse("public:opinion_form", args=[w.campaign.pk]),
            data=lambda w: {"unit": w.east_community.pk, "text": "矩阵里的意见"},
            done=lambda w: Opinion.objects.filter(text="矩阵里的意见").exists(),
        ),  # fmt: skip
        "public_receipt": Row("GET", lambda w: reverse("public:receipt", args=[w.opinion.receipt]), lambda w: w.opinion.receipt_display),
        "public_status": Row("GET", lambda w: reverse("public:status", args=[w.opinion.receipt]), lambda w: "楼道灯坏了"),
        "public_board": Row("GET", lambda w: reverse("public:board", args=[w.campaign.pk]), lambda w: w.bureau.name),
        "public_plan": Row("GET", lambda w: reverse("public:plan", args=[w.published_plan.pk]), lambda w: "公示正文"),
        "public_plan_comment": Row(
            "POST", lambda w: reverse("public:plan", args=[w.published_plan.pk]),
            data=lambda w: {"unit": w.bureau.pk, "text": "对方案的意见"},
            done=lambda w: Opinion.objects.filter(plan=w.published_plan).exists(),
        ),  # fmt: skip
        "public_survey": Row("GET", lambda w: reverse("public:survey", args=[w.survey_target.key]), lambda w: w.east_community.name),
        "public_survey_answer": Row(
            "POST", lambda w: reverse("public:survey", args=[w.survey_target.key]),
            data=lambda w: {"code": w.token.code, "answer": "satisfied"},
            done=lambda w: SurveyResponse.objects.filter(token=w.token).exists(),
        ),  # fmt: skip
    }


ROWS.update(_public_rows())
ROWS.update({
    "summary": Row("GET", lambda w: reverse("reports:summary")),
    "summary_docx": Row("GET", lambda w: reverse("reports:summary_docx") + f"?unit={w.east_community.pk}"),
    "runs": Row("GET", lambda w: reverse("reports:runs")),
    "run_request": Row(
        "POST", lambda w: reverse("reports:runs"), data=lambda w: {"kind": "summary", "unit": w.east.pk},
        done=lambda w: ReportRun.objects.filter(unit=w.east).exists(),
    ),
    "run_detail": Row(
        "GET", lambda w: reverse("reports:run_detail", args=[w.report_run.pk]), lambda w: w.east_community.name
    ),
    "run_download": Row(
        "GET", lambda w: reverse("reports:run_download", args=[w.report_run.pk]), lambda w: "%PDF-1.7 matrix"
    ),
})  # fmt: skip


def test_every_row_of_the_matrix_is_defined_and_every_route_is_in_it():
    from django.urls import get_resolver

    assert set(EXPECTED) == set(ROWS)
    tried = {name.removesuffix("_page") for name in ROWS}
    routes = {
        f"{namespace}:{name}"
        for namespace in ("rectification", "campaign", "reports", "public", "public_staff")
        for name in get_resolver().namespace_dict[namespace][1].reverse_dict
        if isinstance(name, str)
    }
    # every route of the product's apps is tried by some row (named after it or after what it does)
    aliases = {
        "rectification:task_add_progress": "progress", "rectification:task_request_verification": "ask_closing",
        "rectification:task_explain": "explain", "rectification:task_request_extension": "ask_extension",
        "rectification:task_urge": "urge", "rectification:verification_bulk": "approve_closing",
        "rectification:extension_decide": "decide_extension", "rectification:explanation_review": "review_explanation",
        "rectification:spotcheck_create": "spotcheck_create", "rectification:coordination_reply": "reply_coordination",
        "rectification:coordination_resolve": "resolve_coordination", "rectification:operations_sweep": "run_sweep",
        "rectification:warningpolicy_edit": "policy_edit", "rectification:notification_read": "read_notification",
        "rectification:notification_list": "notifications", "rectification:evidence_download": "evidence",
        "rectification:task_decide_closing": "close_from_task",
        "rectification:ledger_template": "ledger_import", "rectification:notification_read_all": "read_notification",
        "campaign:unit_import_template": "unit_import", "rectification:accountability_create": "accountability_create",
        "public:index": "public_index", "public:opinion_form": "public_opinion_form", "public:receipt": "public_receipt",
        "public:unit_opinion_form": "public_opinion_form", "public:board": "public_board", "public:plan": "public_plan",
        "public:status": "public_status", "public:status_lookup": "public_status", "public:survey": "public_survey",
        "campaign:person_reset_password": "reset_password", "campaign:person_deactivate": "deactivate_person",
        "campaign:person_reactivate": "reactivate_person", "campaign:person_unlock": "unlock_person",
        "campaign:membership_remove": "remove_membership", "campaign:provision": "provision",
        "reports:runs": "runs",
        "rectification:figures_return": "return_figures",
    }  # fmt: skip
    missing = sorted(route for route in routes if aliases.get(route, route.split(":")[1]) not in tried)
    assert not missing, f"routes the matrix does not try: {missing}"


# What a refused user reads ("R" cells and the decisions' 403s), where it matters.
REASONS = {
    ("approve_closing", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("return_closing", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("close_from_task", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("return_from_task", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("decide_extension", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("review_explanation", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("record_spot_check", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("record_accountability", "sup_staff"): "You keep the ledger of this task's unit or of a unit above it",
    ("record_accountability", "sup_out"): "Select a valid choice",
    ("approve_closing", "sup_out"): "no longer awaiting verification or is outside your scope",
    ("reply_coordination", "leader"): "Only the department asked (or the units above it) and the asking unit reply",
    ("reply_coordination", "root"): "Only the department asked (or the units above it) and the asking unit reply",
    ("operations", "c_admin"): "Only the administrators of the whole tree run its background jobs.",
    ("run_sweep", "c_admin"): "Only the administrators of the whole tree run its background jobs.",
    ("task_edit_page", "co"): "Only the office staff of this unit (or of a unit above it) may do this.",
    ("problem_create", "co"): "Select a valid choice",
    ("dashboard_urge", "sup_out"): "You do not supervise this unit's work.",
    ("dashboard_unit", "sup_out"): "You may not see this.",
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once for the module inside a transaction rolled back at the end;
    each test runs in a savepoint of it (pytest-django's ``db``), so its writes vanish."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield World()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _cells():
    return [pytest.param(row, persona, id=f"{row}-{persona}") for row in ROWS for persona in PERSONAS]


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.django_db
@pytest.mark.parametrize("row_name,persona", _cells())
def test_matrix(client, world, row_name, persona, settings):
    settings.LANGUAGE_CODE = "en"  # read the msgids (the catalogue is tested on its own)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    row, expected = ROWS[row_name], EXPECTED[row_name][persona]
    user = world.user(persona)
    if user is not None:
        client.force_login(user)
    url = row.url(world)
    done_before = row.done(world) if row.done else None
    if row.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, row.data(world))
    status = response.status_code
    where = f"{row_name} as {persona}: expected {expected}, got {status}"

    if expected == "L":
        assert status == 302 and response["Location"].startswith(reverse("login")), where
    elif expected == "200":
        assert status == 200, where
        if row.marker and row.marker(world):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert row.marker(world) in body.decode(), where
    elif expected == "ok":
        assert status in (200, 302), where
        assert row.done(world), f"{where}: nothing was written"
    elif expected == "R":
        assert status in (200, 302), where
        if status == 302:
            assert _messages(response), f"{where}: refused without a word"
        else:
            assert response.context and (
                any(form.errors for form in response.context.get("form") and [response.context["form"]] or [])
                or "errorlist" in response.content.decode()
            ), f"{where}: the page says nothing of the refusal"
    elif expected == "403":
        assert status == 403, where
        if row.marker and row.marker(world) and row.method == "GET":
            assert row.marker(world) not in response.content.decode(), f"{where}: the refusal page shows the data"
    elif expected == "404":
        assert status == 404, where
        if row.marker and row.marker(world):
            assert row.marker(world) not in response.content.decode(), f"{where}: the 404 page shows the data"
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(f"unknown outcome {expected!r} in the matrix")
    if row.done and expected != "ok":
        assert row.done(world) == done_before, f"{where}: something was written although refused"
    reason = REASONS.get((row_name, persona))
    if reason:
        said = " ".join(_messages(response)) + (html.unescape(response.content.decode()) if not response.streaming else "")
        assert reason in said, f"{where}: the user is not told {reason!r}"


# --- query counts --------------------------------------------------------------------------------

BASELINES = Path(__file__).with_name("query_baselines.json")


def _first_allowed(row_name):
    return next(persona for persona in PERSONAS if EXPECTED[row_name][persona] == "200")


@pytest.mark.django_db
def test_page_query_counts_do_not_grow(client, world):
    """Each page, as the first persona allowed to see it, takes no more queries than its baseline."""
    counts = {}
    for name, row in ROWS.items():
        if row.method != "GET" or "200" not in EXPECTED[name].values():
            continue
        persona = _first_allowed(name)
        if world.user(persona) is None:
            client.logout()
        else:
            client.force_login(world.user(persona))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(row.url(world))
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, name
        counts[f"{name} as {persona}"] = len(captured)
    if os.environ.get("UPDATE_QUERY_BASELINES") == "1":
        BASELINES.write_text(json.dumps(counts, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    baselines = json.loads(BASELINES.read_text())
    grown = {page: (baselines.get(page), count) for page, count in counts.items() if count > baselines.get(page, 0)}
    assert not grown, f"pages that take more queries than their baseline (baseline, now): {grown}"
