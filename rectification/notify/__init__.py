"""Who hears about what, and how it reaches them (DESIGN §4).

Every message is a ``Notification`` row, unique per (user, key): making the
same message twice adds nothing. Alerts are claimed by a compare-and-set on
``processed_at`` inside the transaction that writes their notifications, so
each alert is announced exactly once even with several workers; e-mails are
claimed the same way on ``email_status``, and group-chat robots' messages on
``RobotMessage.status`` (the one machinery of delivery.py).

Texts are composed in the site's language (``LANGUAGE_CODE``, Chinese) and
stored, so the list page and the e-mail say the same thing.
"""

# The public names, so that callers write ``notify.make_daily_digests()``
# wherever the function lives; each module holds one concern.
from .alerts import alert_text, make_alert_notifications  # noqa: E402
from .base import ALERT, DECISION, DIGEST, INSTRUCTION, KIND_LABELS, REMINDER, REQUEST, URGE  # noqa: E402
from .decisions import (  # noqa: E402
    notify_accountability,
    notify_explanation_reviewed,
    notify_extension_decided,
    notify_spot_check_failed,
    notify_unit_finding_failed,
    notify_urge,
    notify_verification_decided,
    tell_staff_of,
    tell_unit_staff,
)
from .instructions import instruction_recipients, notify_instruction, notify_instruction_answered  # noqa: E402
from .digests import digest_sections, digest_text, make_daily_digests  # noqa: E402
from .email import (  # noqa: E402
    MAX_EMAIL_ATTEMPTS,
    RETRY_AFTER,
    STUCK_AFTER,
    TransientEmailError,
    deliver_email,
    deliverable,
    email_text,
)
from .delivery import Deferred, NothingToSend, PermanentDeliveryError, TransientDeliveryError  # noqa: E402
from .inbox import mark_all_read, mark_read  # noqa: E402
from .recipients import Audience, alert_recipients, supervisor_ids  # noqa: E402
from .reminders import make_deadline_reminders, reminder_tasks  # noqa: E402
from .requests import (  # noqa: E402
    notify_closing_requested,
    notify_explanation_given,
    notify_extension_requested,
    tell_supervisors,
)
from .robots import (  # noqa: E402
    deliver_robot_message,
    deliverable_messages,
    make_test_message,
    robot_payload,
    signed_url,
    webhook_problem,
)

__all__ = [
    "ALERT", "DECISION", "DIGEST", "INSTRUCTION", "KIND_LABELS", "REMINDER", "REQUEST", "URGE",
    "instruction_recipients", "notify_instruction", "notify_instruction_answered",
    "Audience", "alert_recipients", "supervisor_ids",
    "alert_text", "make_alert_notifications",
    "make_deadline_reminders", "reminder_tasks",
    "digest_sections", "digest_text", "make_daily_digests",
    "notify_accountability", "notify_explanation_reviewed", "notify_extension_decided", "notify_spot_check_failed",
    "notify_unit_finding_failed", "notify_urge", "notify_verification_decided", "tell_staff_of", "tell_unit_staff",
    "notify_closing_requested", "notify_explanation_given", "notify_extension_requested", "tell_supervisors",
    "mark_all_read", "mark_read",
    "MAX_EMAIL_ATTEMPTS", "RETRY_AFTER", "STUCK_AFTER", "TransientEmailError",
    "deliverable", "deliver_email", "email_text",
    "Deferred", "NothingToSend", "PermanentDeliveryError", "TransientDeliveryError",
    "deliver_robot_message", "deliverable_messages", "make_test_message", "robot_payload", "signed_url",
    "webhook_problem",
]  # fmt: skip
