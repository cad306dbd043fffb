"""E-mail delivery of notifications: claimed by compare-and-set, sent at most once, retried."""

import datetime
import logging
import smtplib
import socket

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign.links import absolute
from rectification.models import (
    Notification,
)

logger = logging.getLogger(__name__)

# E-mail delivery: a claim older than this is taken to be a dead worker's.
STUCK_AFTER = datetime.timedelta(minutes=10)
# A pending e-mail claimed this recently is waiting for its own retry.
RETRY_AFTER = datetime.timedelta(minutes=5)
MAX_EMAIL_ATTEMPTS = 5
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, socket.timeout, OSError)
ERROR_MAX_CHARS = 2000


class TransientEmailError(Exception):
    """Sending failed for a reason that may pass (server down, timeout); try again later."""


def deliverable(now=None):
    """Notifications whose e-mail should be (re)tried now: pending and not
    claimed within RETRY_AFTER, or stuck in 'sending' longer than STUCK_AFTER."""
    now = now or timezone.now()
    return Notification.objects.filter(
        Q(email_status=Notification.Email.PENDING)
        & (Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - RETRY_AFTER))
        | Q(email_status=Notification.Email.SENDING, email_claimed_at__lt=now - STUCK_AFTER)
    )


def deliver_email(notification_id):
    """Send one notification's e-mail, at most once; returns what happened.

    The claim is a compare-and-set from 'pending' (or 'sending' left by a dead
    worker for over STUCK_AFTER) to 'sending'; only the claimer sends, and it
    marks the row 'sent' right after, long before a claim could go stale.
    A transient failure puts the row back to 'pending' and raises
    :class:`TransientEmailError` for the task to retry; after
    MAX_EMAIL_ATTEMPTS the row is 'failed'.
    """
    now = timezone.now()
    claimable = Q(email_status=Notification.Email.PENDING) | Q(
        email_status=Notification.Email.SENDING, email_claimed_at__lt=now - STUCK_AFTER
    )
    claimed = Notification.objects.filter(claimable, pk=notification_id).update(
        email_status=Notification.Email.SENDING, email_claimed_at=now, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return "not claimed"
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    mine = Notification.objects.filter(pk=notification_id, email_status=Notification.Email.SENDING, email_claimed_at=now)
    address = (notification.user.email or "").strip()
    if not address or not notification.user.is_active:
        mine.update(email_status=Notification.Email.NONE)
        return "no address"
    subject, body = email_text(notification)
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except TRANSIENT_EMAIL_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
        if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
            mine.update(email_status=Notification.Email.FAILED, email_error=error)
            logger.warning("e-mail of notification %s failed for good: %s", notification_id, error)
            return "failed"
        mine.update(email_status=Notification.Email.PENDING, email_error=error)
        raise TransientEmailError(error) from exc
    except Exception as exc:
        mine.update(email_status=Notification.Email.FAILED, email_error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS])
        raise
    mine.update(email_status=Notification.Email.SENT, email_sent_at=timezone.now(), email_error="")
    return "sent"


def email_text(notification):
    """(subject, body) of a notification's e-mail, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Rectification tracker] %(title)s") % {"title": notification.title}
        parts = [notification.body] if notification.body else []
        if notification.url:
            # Absolute, from SITE_URL (campaign.links): a mail client cannot open a bare path.
            parts.append(_("Open it in the rectification tracker: %(link)s") % {"link": absolute(notification.url)})
        parts.append(_("You receive this because of your role in the campaign's units or supervision groups."))
    return " ".join(subject.splitlines()), "\n\n".join(parts)
