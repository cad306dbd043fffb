"""Contact details are erased when the campaign's retention period ends; the opinion stays,
and the run records how many it erased (never the details)."""

import datetime

import pytest
from django.conf import settings

from public import opinions
from public.models import Opinion, PublicSettings
from public.tasks import erase_expired_contacts
from rectification.models import JobRun


@pytest.mark.django_db
def test_contact_details_are_erased_after_the_retention_period_and_the_opinion_kept(town, client):
    opinion = opinions.submit_opinion(town.campaign, town.community, "路灯坏了", name="王大爷", phone="13800001111")
    PublicSettings.objects.create(campaign=town.campaign, contact_retention_days=30)
    town.campaign.end_date = datetime.date.today() - datetime.timedelta(days=30)
    town.campaign.save()
    erase_expired_contacts()  # the last day of the period: kept
    assert Opinion.objects.get().phone == "13800001111"

    town.campaign.end_date -= datetime.timedelta(days=1)
    town.campaign.save()
    result = erase_expired_contacts()
    opinion.refresh_from_db()
    assert (opinion.name, opinion.phone, opinion.text, opinion.receipt) == ("", "", "路灯坏了", opinion.receipt)
    assert opinion.contact_erased_at is not None
    assert result == {"opinions_erased": 1, "by_campaign": {str(town.campaign.pk): 1}}
    run = JobRun.objects.get(name="public.erase_expired_contacts", changes__opinions_erased=1)
    assert run.ok and "13800001111" not in str(run.changes) and "王大爷" not in str(run.changes)
    client.force_login(town.staff)
    from django.urls import reverse

    page = client.get(reverse("public_staff:opinion_detail", args=[opinion.pk])).content.decode()
    assert "保留期满已删除" in page and "路灯坏了" in page


@pytest.mark.django_db
def test_a_campaign_still_in_its_period_keeps_them(town):
    opinions.submit_opinion(town.campaign, town.community, "路灯坏了", phone="13800001111")
    erase_expired_contacts()
    assert Opinion.objects.get().phone == "13800001111"


def test_the_job_runs_daily_from_the_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["erase-public-contacts"]
    assert entry["task"] == "public.tasks.erase_expired_contacts" and entry["options"]["expires"] < 24 * 3600
