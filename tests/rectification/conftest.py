from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaign.models import Role
from tests.factories import BatchFactory, CampaignFactory, MembershipFactory, TaskFactory, UnitFactory, UserFactory


def png_bytes():
    """A real 1×1 PNG."""
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def pdf_bytes():
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def photo():
    return SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png")


@pytest.fixture
def campaign(city):
    return CampaignFactory(issuing_unit=city["city"], name="保持共产党员先进性教育活动")


@pytest.fixture
def batch(campaign):
    return BatchFactory(campaign=campaign, number=2, name="第二批")


@pytest.fixture
def task(city, batch):
    """An open task of the east community, with the west community co-responsible."""
    task = TaskFactory(unit=city["east_community"], problem__batch=batch, title="解决明达小区吃水难问题")
    task.co_units.add(city["west_community"])
    return task


@pytest.fixture
def community_staff(city):
    """Staff of the task's own unit."""
    return MembershipFactory(unit=city["east_community"], role=Role.STAFF, user=UserFactory(username="community-staff")).user


@pytest.fixture
def co_staff(city):
    """Staff of the co-responsible unit (in the other district)."""
    return MembershipFactory(unit=city["west_community"], role=Role.STAFF, user=UserFactory(username="co-staff")).user


@pytest.fixture
def outsider_staff(city):
    """Staff of a third district that has no part in the task."""
    north = UnitFactory(parent=city["city"], name="中共北区委员会", short_name="北区")
    return MembershipFactory(unit=north, role=Role.STAFF, user=UserFactory(username="north-staff")).user


@pytest.fixture
def supervisor(city):
    """A supervisor of the east district, not of the task's own unit."""
    return MembershipFactory(unit=city["east"], role=Role.SUPERVISOR, user=UserFactory(username="east-supervisor")).user


@pytest.fixture
def outside_supervisor(city):
    return MembershipFactory(unit=city["west"], role=Role.SUPERVISOR, user=UserFactory(username="west-supervisor")).user


@pytest.fixture
def own_unit_supervisor(city):
    """A supervisor who is also of the task's own unit: may not close its tasks."""
    user = UserFactory(username="own-supervisor")
    MembershipFactory(unit=city["east_community"], role=Role.SUPERVISOR, user=user)
    return user


@pytest.fixture
def upload_file():
    def make(name, content):
        return SimpleUploadedFile(name, content)

    return make




@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed() as delay:`` runs what the code inside leaves to the
    commit (the services' notifications), as if its transaction committed;
    the e-mail deliveries it queues go to ``delay``, a mock, not to a broker."""

    @contextmanager
    def run():
        with mock.patch("rectification.tasks.deliver_notification.delay") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                yield delay

    return run
