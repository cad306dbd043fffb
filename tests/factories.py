import datetime

import factory
from django.contrib.auth import get_user_model

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
from campaign.models.campaigns import PhaseKind


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    parent = None
    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:6])
    kind = UnitKind.DISTRICT
    leader_name = "张书记"
    member_count = 30


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "pw-test-2026")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Role.STAFF


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"先进性教育活动{n}")
    issuing_unit = factory.SubFactory(UnitFactory, kind=UnitKind.CITY)
    start_date = datetime.date(2026, 1, 10)


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    campaign = factory.SubFactory(CampaignFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"第{o.number}批")
    start_date = datetime.date(2026, 1, 10)
    end_date = datetime.date(2026, 6, 30)


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    batch = factory.SubFactory(BatchFactory)
    kind = PhaseKind.MOBILISE
    order = 1
    start_date = datetime.date(2026, 1, 10)
    end_date = datetime.date(2026, 2, 28)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    unit = factory.SubFactory(UnitFactory)
    batch = factory.SubFactory(BatchFactory)
    members_expected = 40
    members_participated = 38


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.Sequence(lambda n: f"indicator-{n}")
    name = factory.Sequence(lambda n: f"指标{n}")
    measure = "万元"


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    unit = factory.SubFactory(UnitFactory)
    batch = factory.SubFactory(BatchFactory, campaign=factory.SelfAttribute("..indicator.campaign"))
    value = 10


class SupervisionGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionGroup

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"第{n}督导组")
    organising_unit = factory.SubFactory(UnitFactory, kind=UnitKind.CITY)


# --- rectification ------------------------------------------------------------
from rectification.models import Problem, Task, Term  # noqa: E402
from rectification.models.problems import ProblemSource  # noqa: E402


class ProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Problem

    title = factory.Sequence(lambda n: f"群众反映的问题{n}")
    description = "群众反映吃水难"
    source = ProblemSource.PUBLIC
    unit = factory.SubFactory(UnitFactory)
    batch = factory.SubFactory(BatchFactory)
    found_on = datetime.date(2026, 3, 1)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    problem = factory.SubFactory(ProblemFactory, unit=factory.SelfAttribute("..unit"))
    title = factory.Sequence(lambda n: f"整改任务{n}")
    measures = "制定方案,落实责任,按期完成"
    unit = factory.SubFactory(UnitFactory)
    leader_name = "王书记"
    person_name = "李干事"
    term = Term.SHORT
    start_date = datetime.date(2026, 3, 1)
    due_date = datetime.date(2027, 6, 30)
