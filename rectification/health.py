"""/healthz: is this deployment able to do its work? For load balancers and monitors.

Four checks, each ``ok`` or ``fail``:

- **database**: a ``SELECT 1``;
- **broker**: Redis answers a PING (or, in the embedded shape, the broker's
  folders are writable);
- **worker**: the newest worker heartbeat (written by every Celery worker every
  ``WORKER_HEARTBEAT_SECONDS``, see config/celery.py) is at most
  ``HEALTH_WORKER_MAX_AGE`` seconds old;
- **sweep**: the last overdue sweep that finished well is at most
  ``HEALTH_SWEEP_MAX_AGE`` seconds old (it runs hourly).

The answer is 200 when every check asked for is ok, else 503. It says nothing
but status (and the two ages, in seconds): no host names, versions, counts or
error texts. ``?format=json`` (or ``Accept: application/json``) for machines;
``?only=database,broker`` narrows the checks (a load balancer should ask only
for what a web process needs: ``?only=database``). No login; no session.
"""

import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

CHECKS = ("database", "broker", "worker", "sweep")


# --- the worker's side --------------------------------------------------------------------


def beat_heart(hostname):
    """Called by every worker, every few seconds: it is alive now."""
    from .models import WorkerHeartbeat

    try:
        WorkerHeartbeat.objects.update_or_create(hostname=hostname[:255], defaults={"seen_at": timezone.now()})
    except Exception:  # the database is down: /healthz will say so; the worker keeps working
        logger.warning("could not record the heartbeat of worker %s", hostname, exc_info=True)
        connection.close()


def stop_heart(hostname):
    from .models import WorkerHeartbeat

    try:
        WorkerHeartbeat.objects.filter(hostname=hostname[:255]).delete()
    except Exception:
        logger.warning("could not remove the heartbeat of worker %s", hostname, exc_info=True)


# --- the checks ------------------------------------------------------------------------------


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def check_broker():
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            if not client.ping():
                raise ConnectionError("no PONG")
        finally:
            client.close()
        return {}
    folders = [value for key, value in settings.CELERY_BROKER_TRANSPORT_OPTIONS.items() if key.endswith("folder_in")]
    for folder in folders or [None]:
        if folder is None or not os.access(Path(folder), os.W_OK):
            raise OSError("the broker's folder is not writable")
    return {}


def _age(moment, now):
    return None if moment is None else max(int((now - moment).total_seconds()), 0)


def check_worker(now):
    from django.db.models import Max

    from .models import WorkerHeartbeat

    age = _age(WorkerHeartbeat.objects.aggregate(newest=Max("seen_at"))["newest"], now)
    return {"age_seconds": age}, age is not None and age <= settings.HEALTH_WORKER_MAX_AGE


def check_sweep(now):
    from django.db.models import Max

    from .models import JobRun
    from .sweep import JOB_NAME

    finished = JobRun.objects.filter(name=JOB_NAME, ok=True).aggregate(last=Max("finished_at"))["last"]
    age = _age(finished, now)
    return {"age_seconds": age}, age is not None and age <= settings.HEALTH_SWEEP_MAX_AGE


def run_checks(names=CHECKS):
    """{name: {"status": "ok"|"fail", ...ages}} for the checks named."""
    now = timezone.now()
    results = {}
    for name in names:
        try:
            if name in ("worker", "sweep"):
                details, ok = (check_worker if name == "worker" else check_sweep)(now)
            else:
                details, ok = (check_database if name == "database" else check_broker)(), True
        except Exception:  # noqa: BLE001 - any failure is a "fail"; the reason goes to the log, not the answer
            logger.warning("health check %s failed", name, exc_info=True)
            details, ok = {}, False
            if name in ("database", "worker", "sweep"):
                connection.close()  # a broken connection must not serve the next check or request
        results[name] = {"status": "ok" if ok else "fail", **details}
    return results


# --- the view --------------------------------------------------------------------------------


@never_cache
@require_GET
def healthz(request):
    asked = [name for name in request.GET.get("only", "").split(",") if name in CHECKS] or list(CHECKS)
    results = run_checks(asked)
    healthy = all(result["status"] == "ok" for result in results.values())
    status = 200 if healthy else 503
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        body = {"status": "ok" if healthy else "fail", "checks": results}
        return HttpResponse(json.dumps(body), status=status, content_type="application/json")
    lines = [f"{'ok' if healthy else 'fail'}"]
    for name, result in results.items():
        age = f" ({result['age_seconds']} s)" if result.get("age_seconds") is not None else ""
        lines.append(f"{name}: {result['status']}{age}")
    return HttpResponse("\n".join(lines) + "\n", status=status, content_type="text/plain; charset=utf-8")
