"""Login locks and records, read from django-axes' tables.

Axes counts failures per login name and per address (settings AXES_*); a
lock lasts AXES_COOLOFF_TIME from the last failure. These helpers answer
what the pages need: until when a name or address is locked, unlocking a
name, and a person's recent logins.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

RECENT = 10


def _lock_end(**match):
    """When the lock on the attempts matching ``match`` ends, as Axes counts
    them: the failures of rows tried within the cool-off, added up."""
    cool_off = get_cool_off()
    found = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off, **match).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    if (found["failures"] or 0) >= settings.AXES_FAILURE_LIMIT:
        return found["last"] + cool_off
    return None


def locked_until(username=None, ip_address=None):
    """When the lock on this login name or address ends; None when neither is locked."""
    ends = []
    if username:
        ends.append(_lock_end(username=username))
    if ip_address:
        ends.append(_lock_end(ip_address=ip_address))
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


def lock_of_request(request, credentials):
    username = (credentials or {}).get("username") or request.POST.get("username")
    return locked_until(username=username, ip_address=get_client_ip_address(request))


def unlock(username):
    """Forget the failures counted against a login name (from every address); returns how many rows went."""
    return AxesProxyHandler.reset_attempts(username=username)


def recent_logins(username, count=RECENT):
    return list(AccessLog.objects.filter(username=username).order_by("-attempt_time")[:count])


def recent_failures(username, count=RECENT):
    return list(AccessFailureLog.objects.filter(username=username).order_by("-attempt_time")[:count])
