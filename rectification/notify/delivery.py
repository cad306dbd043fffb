"""Messages that leave the site, delivered at most once each and retried: the one
machinery behind e-mails (``Notification.email_*``) and group-chat robots' posts
(``RobotMessage``).

A row waits as 'pending'. A worker claims it with a compare-and-set from
'pending' (or from 'sending' left by a dead worker for over STUCK_AFTER) to
'sending'; only the claimer sends, and marks the row 'sent' right after, long
before a claim could go stale. A transient failure (a server down, a timeout, a
5xx) puts the row back to 'pending' and raises :class:`TransientDeliveryError`
for the Celery task to retry with backoff; after MAX_ATTEMPTS the row is
'failed'. A refusal that will not pass (a 4xx, a robot's error code) is
'failed' at once, with its reason. 'none' is a row with nothing to send.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)

# A claim older than this is taken to be a dead worker's.
STUCK_AFTER = datetime.timedelta(minutes=10)
# A pending row claimed this recently is waiting for its own retry.
RETRY_AFTER = datetime.timedelta(minutes=5)
MAX_ATTEMPTS = 5
ERROR_MAX_CHARS = 2000
NONE, PENDING, SENDING, SENT, FAILED = "none", "pending", "sending", "sent", "failed"


class TransientDeliveryError(Exception):
    """Sending failed for a reason that may pass (server down, timeout, 5xx); try again later."""


class Deferred(TransientDeliveryError):
    """Not now, by a limit of our own (a robot's messages per minute): the row goes back to
    'pending' and the attempt does not count; try again in ``seconds``."""

    def __init__(self, message, seconds=60):
        super().__init__(message)
        self.seconds = seconds


class PermanentDeliveryError(Exception):
    """The other side refused the message for a reason that will not pass (4xx): not retried."""


class NothingToSend(Exception):
    """There is no one (any more) to send this to: the row becomes 'none'."""


@dataclass(frozen=True)
class Outbox:
    """Where one kind of outgoing message keeps its delivery state: the model and its field names."""

    model: type
    what: str  # for the log: "e-mail of notification", "robot message"
    status: str = "status"
    claimed_at: str = "claimed_at"
    attempts: str = "attempts"
    sent_at: str = "sent_at"
    error: str = "error"
    transient_error: type = TransientDeliveryError  # what a retryable failure raises to the task

    def _set(self, **values):
        return {getattr(self, name): value for name, value in values.items()}

    def deliverable(self, now=None):
        """Rows to (re)try now: pending and not claimed within RETRY_AFTER, or stuck in 'sending' past STUCK_AFTER."""
        now = now or timezone.now()
        status, claimed_at = self.status, self.claimed_at
        return self.model.objects.filter(
            Q(**{status: PENDING}) & (Q(**{f"{claimed_at}__isnull": True}) | Q(**{f"{claimed_at}__lt": now - RETRY_AFTER}))
            | Q(**{status: SENDING, f"{claimed_at}__lt": now - STUCK_AFTER})
        )

    def deliver(self, pk, send, *, select_related=()):
        """Claim row ``pk`` and call ``send(row)`` once if the claim is ours; returns what happened:
        "sent", "not claimed", "failed" (for good), or a NothingToSend's reason.

        ``send`` raises :class:`TransientDeliveryError` (retried until MAX_ATTEMPTS),
        :class:`Deferred` (put back, the attempt not counted, raised on to the task),
        :class:`PermanentDeliveryError` (failed at once) or :class:`NothingToSend`.
        """
        now = timezone.now()
        claimable = Q(**{self.status: PENDING}) | Q(**{self.status: SENDING, f"{self.claimed_at}__lt": now - STUCK_AFTER})
        claimed = self.model.objects.filter(claimable, pk=pk).update(
            **self._set(status=SENDING, claimed_at=now, attempts=F(self.attempts) + 1)
        )
        if not claimed:
            return "not claimed"
        row = self.model.objects.select_related(*select_related).get(pk=pk)
        mine = self.model.objects.filter(pk=pk, **{self.status: SENDING, self.claimed_at: now})
        try:
            send(row)
        except Deferred:
            mine.update(**self._set(status=PENDING, attempts=F(self.attempts) - 1))
            raise
        except NothingToSend as reason:
            mine.update(**self._set(status=NONE, error=str(reason)[:ERROR_MAX_CHARS]))
            return str(reason)
        except TransientDeliveryError as exc:
            error = str(exc)[:ERROR_MAX_CHARS]
            if getattr(row, self.attempts) >= MAX_ATTEMPTS:
                mine.update(**self._set(status=FAILED, error=error))
                logger.warning("%s %s failed for good: %s", self.what, pk, error)
                return "failed"
            mine.update(**self._set(status=PENDING, error=error))
            raise self.transient_error(error) from exc
        except PermanentDeliveryError as exc:
            error = str(exc)[:ERROR_MAX_CHARS]
            mine.update(**self._set(status=FAILED, error=error))
            logger.warning("%s %s refused: %s", self.what, pk, error)
            return "failed"
        except Exception as exc:
            mine.update(**self._set(status=FAILED, error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]))
            raise
        mine.update(**self._set(status=SENT, sent_at=timezone.now(), error=""))
        return "sent"
