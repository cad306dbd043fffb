from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import BatchFactory, CampaignFactory, TaskFactory


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
    """The task: open, of the east community, with the west community co-responsible.
    The personas of tests/conftest.py are named by the part they play toward it."""
    task = TaskFactory(unit=city["east_community"], problem__batch=batch, title="解决明达小区吃水难问题")
    task.co_units.add(city["west_community"])
    return task


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
