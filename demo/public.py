"""Demo data of the public's side, loaded after the city and its ledger: plans in every
state, opinions in every state, a finished satisfaction survey with a unit under 90 %
and its task reopened, a survey in progress, a task on the public board.

The story is data (demo/data/public.json); this module writes it through the same
services the product uses. Safe to run again: each part is skipped once present.
"""

import datetime
import json
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign, Membership, Participation, Unit
from public import board, opinions, plans, surveys
from public.models import Answer, Opinion, RectificationPlan, SurveyResponse, SurveyRound, SurveyScope
from rectification.models import Problem, Task, TaskStatus, Term
from rectification.models.problems import ProblemSource

DATA = Path(__file__).with_name("data") / "public.json"


def load_demo(campaign_name="保持共产党员先进性教育活动"):
    story = json.loads(DATA.read_text(encoding="utf-8"))
    campaign = Campaign.objects.get(name=campaign_name)
    created = Counter()
    with transaction.atomic():
        users = _users(story["users"], created)
        _plans(campaign, story["plans"], users, created)
        _opinions(campaign, story["opinions"], users, created)
        _surveys(campaign, story["surveys"], users, created)
        _board(campaign, story["board"], users, created)
    return created


def _user(username):
    return get_user_model().objects.get(username=username)


def _unit(name):
    return Unit.objects.get(name=name)


def _users(specs, created):
    User = get_user_model()
    found = {}
    for spec in specs:
        user = User.objects.filter(username=spec["username"]).first()
        if user is None:
            user = User.objects.create_user(
                spec["username"], email=f"{spec['username']}@example.org", password=settings.DEMO_PASSWORD,
                last_name=spec["last_name"], first_name=spec["first_name"],
            )  # fmt: skip
            Membership.objects.get_or_create(user=user, unit=_unit(spec["unit"]), role=spec["role"])
            created["public users"] += 1
        found[spec["username"]] = user
    return found


def _plans(campaign, specs, users, created):
    for spec in specs:
        unit = _unit(spec["unit"])
        participation = Participation.objects.get(unit=unit, batch__campaign=campaign)
        if RectificationPlan.objects.filter(unit=unit, batch=participation.batch).exists():
            continue
        plan = plans.plan_for(participation)
        submitter = _user(spec["submitted_by"])
        plans.save_preamble(plan, submitter, spec["preamble"])
        created["plans"] += 1
        plans.submit(plan, submitter)
        if spec["state"] == "submitted":
            continue
        reviewer = _user(spec["reviewed_by"])
        if spec["state"] == "returned":
            plans.return_plan(plan, reviewer, spec["reason"])
            continue
        plans.approve(plan, reviewer, "同意。")
        if spec["state"] == "published":
            plans.publish(plan, submitter, timezone.localdate() + datetime.timedelta(days=10))
            for text in spec.get("comments", ()):
                opinions.submit_opinion(campaign, unit, text, plan=plan)
                created["opinions"] += 1


def _opinions(campaign, specs, users, created):
    staff = _user("staff")
    for spec in specs:
        unit = _unit(spec["unit"])
        if Opinion.objects.filter(campaign=campaign, text=spec["text"]).exists():
            continue
        opinion = opinions.submit_opinion(campaign, unit, spec["text"], name=spec["name"], phone=spec["phone"])
        Opinion.objects.filter(pk=opinion.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(days=spec["days_ago"], hours=2)
        )
        created["opinions"] += 1
        state = spec["state"]
        if state == "accepted":
            opinions.accept(opinion, staff, title=spec["problem"], category=spec["category"])
        elif state == "merged":
            problem = Problem.objects.filter(unit=unit, batch__campaign=campaign, title__contains="吃水").first()
            problem = problem or Problem.objects.filter(unit=unit, batch__campaign=campaign).first()
            opinions.merge(opinion, staff, problem)
        elif state == "declined":
            opinions.decline(opinion, staff, spec["reason"])
        elif state == "forwarded":
            opinions.forward(opinion, staff, _unit(spec["forward_to"]), "供水设施属水务部门管理。")


def _answers(target, satisfied, fairly, dissatisfied):
    rows = [Answer.SATISFIED] * satisfied + [Answer.FAIRLY] * fairly + [Answer.DISSATISFIED] * dissatisfied
    SurveyResponse.objects.bulk_create(SurveyResponse(target=target, answer=answer) for answer in rows)


def _surveys(campaign, specs, users, created):
    supervisor = _user("supervisor")
    finished = specs["finished"]
    if not SurveyRound.objects.filter(campaign=campaign, title=finished["title"]).exists():
        units = [_unit(name) for name in finished["units"]]
        survey = surveys.open_round(
            supervisor, campaign, title=finished["title"], mode="open", scope=SurveyScope.UNITS, units=units,
            closes_on=timezone.localdate(), per_address_limit=30,
        )  # fmt: skip
        spec = finished["reopened_task"]
        unit = _unit(spec["unit"])
        batch = Participation.objects.get(unit=unit, batch__campaign=campaign).batch
        problem = Problem.objects.create(
            title=spec["problem"], description=spec["problem"], source=ProblemSource.PUBLIC, unit=unit, batch=batch,
            found_on=timezone.localdate() - datetime.timedelta(days=40), created_by=_user("staff"),
        )  # fmt: skip
        Task.objects.create(
            problem=problem, title=spec["title"], measures=spec["measures"], unit=unit, leader_name="贺文明",
            person_name="任继先", term=Term.SHORT, start_date=timezone.localdate() - datetime.timedelta(days=40),
            due_date=timezone.localdate() + datetime.timedelta(days=20), status=TaskStatus.CLOSED, progress=100,
            closed_at=timezone.now(),
        )  # fmt: skip
        for target in survey.targets.select_related("unit"):
            _answers(target, *finished["units"][target.unit.name])
        surveys.close_round(survey, supervisor)
        SurveyRound.objects.filter(pk=survey.pk).update(
            opened_at=timezone.now() - datetime.timedelta(days=20), closes_on=timezone.localdate() - datetime.timedelta(days=3)
        )
        created["survey rounds"] += 1
    running = specs["in_progress"]
    if not SurveyRound.objects.filter(campaign=campaign, title=running["title"]).exists():
        survey = surveys.open_round(
            supervisor, campaign, title=running["title"], mode="tokens", scope=SurveyScope.UNITS,
            units=[_unit(name) for name in running["units"]], closes_on=timezone.localdate() + datetime.timedelta(days=14),
            tokens_per_unit=running["tokens"],
        )  # fmt: skip
        for target in survey.targets.select_related("unit"):
            counts = running["answers"].get(target.unit.name)
            if counts:
                for token, answer in zip(target.tokens.all(), [Answer.SATISFIED] * counts[0] + [Answer.FAIRLY] * counts[1]
                                         + [Answer.DISSATISFIED] * counts[2], strict=False):  # fmt: skip
                    surveys.answer_with_token(target, token.code, answer)
        created["survey rounds"] += 1


def _board(campaign, titles, users, created):
    admin = _user("admin")
    for title in titles:
        for task in Task.objects.filter(title=title, batch__campaign=campaign, public_entry__isnull=True):
            board.mark(task, admin)
            created["tasks on the public board"] += 1
