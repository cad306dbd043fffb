"""Erasing the public's contact details when the campaign's retention period ends
(DESIGN §8). The opinion itself is kept; the run records what it erased, not the data."""

import datetime

from django.db.models import Q
from django.utils import timezone

from campaign.models import Campaign

from .models import Opinion, PublicSettings


def expired_campaigns(today=None):
    """Campaigns whose end date plus their retention period lies before ``today``."""
    today = today or timezone.localdate()
    found = []
    for campaign in Campaign.objects.filter(end_date__isnull=False).order_by("pk"):
        days = PublicSettings.of(campaign).contact_retention_days
        if campaign.end_date + datetime.timedelta(days=days) < today:
            found.append(campaign)
    return found


def erase_expired_contacts(today=None):
    """Blank the name and phone of every opinion of an expired campaign; one UPDATE per campaign.
    Returns what was erased: {campaign id: number of opinions}, no names nor numbers."""
    erased = {}
    now = timezone.now()
    for campaign in expired_campaigns(today):
        count = (
            Opinion.objects.filter(campaign=campaign)
            .filter(~Q(name="") | ~Q(phone=""))
            .update(name="", phone="", contact_erased_at=now)
        )
        if count:
            erased[str(campaign.pk)] = count
    return erased
