"""A large account spreadsheet is imported by a real Celery worker.

The worker (tests.rectification.test_celery_delivery's harness: a real
`celery worker` process on the configured broker and the test's own
database, listening on a queue of this test alone) receives the run's id,
imports the file, and the page the administrator watches shows the result.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from campaign.models import Membership, ProvisioningRun, Role
from tests.campaign.test_provisioning import xlsx
from tests.factories import MembershipFactory, UserFactory
from tests.rectification.shared_db import shared_database
from tests.rectification.test_celery_delivery import workers  # noqa: F401 - the fixture

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

User = get_user_model()
PEOPLE = 40


def test_a_worker_imports_a_queued_file_once_and_the_page_shows_it(city, workers):  # noqa: F811
    admin = MembershipFactory(unit=city["east"], role=Role.ADMIN, user=UserFactory(username="east-admin")).user
    units = ["中共东区委员会", "东区街道党工委", "东区社区党支部"]
    data = xlsx([(f"人员{n:03d}", f"139{n:08d}", "", units[n % 3], "填报员", "") for n in range(PEOPLE)])
    run = ProvisioningRun.objects.create(created_by=admin, file_name="东区花名册.xlsx", data=data, row_count=PEOPLE)
    page = Client()
    page.force_login(admin)
    assert "后台正在导入文件" in page.get(f"/campaign/people/imports/{run.pk}/").content.decode()

    harness = workers()
    with shared_database(harness.var_dir) as database:
        harness.start(database, count=2)
        for _ in range(2):  # the same message delivered twice: the second finds the run taken
            harness.client.send_task("campaign.tasks.provision_accounts", args=[run.pk], queue=harness.queue)
        harness.wait_until(lambda: harness.finished("campaign.tasks.provision_accounts") == 2, "both deliveries")
        harness.wait_idle()

    run.refresh_from_db()
    assert run.status == ProvisioningRun.Status.DONE, (run.problems, harness.logs())
    assert run.counts["accounts"] == PEOPLE
    assert User.objects.filter(username__startswith="139").count() == PEOPLE
    assert Membership.objects.filter(role=Role.STAFF).count() == PEOPLE
    status = page.get(f"/campaign/people/imports/{run.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in status and "hx-trigger" not in status  # the page stops polling
    assert f"{PEOPLE} 个新账号等待首次登录" in status
