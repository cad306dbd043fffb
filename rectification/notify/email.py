"""E-mail delivery of notifications: claimed by compare-and-set, sent at most once, retried
(the machinery is notify/delivery.py's, shared with the group-chat robots)."""

import smtplib
import socket

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from campaign.links import absolute
from rectification.models import (
    Notification,
)

from .delivery import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    STUCK_AFTER,
    NothingToSend,
    Outbox,
    TransientDeliveryError,
)

MAX_EMAIL_ATTEMPTS = MAX_ATTEMPTS
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, socket.timeout, OSError)
__all__ = [
    "MAX_EMAIL_ATTEMPTS", "RETRY_AFTER", "STUCK_AFTER", "TransientEmailError", "deliver_email", "deliverable", "email_text",
]


class TransientEmailError(TransientDeliveryError):
    """Sending failed for a reason that may pass (server down, timeout); try again later."""


EMAILS = Outbox(
    Notification, "e-mail of notification", status="email_status", claimed_at="email_claimed_at",
    attempts="email_attempts", sent_at="email_sent_at", error="email_error", transient_error=TransientEmailError,
)  # fmt: skip


def deliverable(now=None):
    """Notifications whose e-mail should be (re)tried now (see delivery.Outbox.deliverable)."""
    return EMAILS.deliverable(now)


def _send(notification):
    address = (notification.user.email or "").strip()
    if not address or not notification.user.is_active:
        raise NothingToSend("no address")
    subject, body = email_text(notification)
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except TRANSIENT_EMAIL_ERRORS as exc:
        raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc


def deliver_email(notification_id):
    """Send one notification's e-mail, at most once; returns what happened ("sent",
    "not claimed", "no address", "failed"). A transient failure puts the row back to
    'pending' and raises :class:`TransientEmailError` for the task to retry; after
    MAX_EMAIL_ATTEMPTS the row is 'failed'."""
    return EMAILS.deliver(notification_id, _send, select_related=("user",))


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
