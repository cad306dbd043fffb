"""Every page, per role, on the province of demo/scale.py (issue 10): ``bench_pages``.

Each page is requested through Django's test client in this process (the
whole request: middleware, session, view, template), once to warm up and
then N times; the server time of each request and its number of SQL queries
are recorded. The process itself plays the web worker, so its peak resident
memory is the worker's for every page served.
"""

import os
import resource
import statistics
import time
from dataclasses import dataclass
from typing import Callable

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from campaign.models import Membership
from rectification.models import CoordinationRequest, Task, TaskStatus

ROLES = ("province_leader", "city_supervisor", "district_supervisor", "branch_staff", "province_admin")
# Goals of issue 10 (p95, ms): the province's leader and everyone else under 300 ms, a branch's staff under 100 ms.
GOALS = {"branch_staff": 100}
DEFAULT_GOAL = 300


# Goals of issue 11 for the overdue dashboard (p95, ms): the province's root under 150, a district under 50.
PAGE_GOALS = {("dashboard", "province_leader"): 150, ("dashboard", "district_supervisor"): 50}


@dataclass
class Page:
    name: str
    url: Callable  # (Target) -> str
    roles: tuple = ROLES[:4]


@dataclass
class Target:
    """What a role's pages point at: its unit, a task and a coordination request it sees."""

    user: object
    unit: object
    task: Task
    coordination: CoordinationRequest | None


def _tasks(query=""):
    return lambda target: reverse("rectification:task_list") + query


def _batch_of(unit):
    """The batch ``unit`` takes part in (the first batch when it takes part in none)."""
    from campaign.models import Batch, Participation

    taking_part = Participation.objects.filter(unit=unit).values_list("batch_id", flat=True).first()
    return taking_part or Batch.objects.order_by("number").values_list("pk", flat=True).first()


PAGES = [
    Page("home", lambda t: reverse("reports:home")),
    Page("my units' tasks", lambda t: reverse("rectification:my_tasks")),
    Page("task list", _tasks()),
    Page("task list, filtered", _tasks("?status=in_progress&warning_level=2&term=short")),
    Page("task list, sorted", _tasks("?sort=-due_date")),
    Page("task list, deep page", _tasks("?page=2000")),
    Page("task detail", lambda t: reverse("rectification:task_detail", args=[t.task.pk])),
    Page("ledger", lambda t: reverse("reports:ledger")),
    Page("supervision queue", lambda t: reverse("rectification:queue"), ("city_supervisor", "district_supervisor")),
    Page("unit tree", lambda t: reverse("campaign:unit_tree")),
    Page("unit page", lambda t: reverse("campaign:unit_detail", args=[t.unit.pk])),
    Page("participation list", lambda t: reverse("campaign:participation_list")),
    Page("figures reported", lambda t: reverse("rectification:figures_list") + "?missing=on"),
    Page("figures of a unit", lambda t: reverse("rectification:figures_report", args=[t.unit.pk, _batch_of(t.unit)])),
    Page("notifications", lambda t: reverse("rectification:notification_list")),
    Page("coordination inbox", lambda t: reverse("rectification:coordination_inbox")),
    Page("operations", lambda t: reverse("rectification:operations"), ("province_admin",)),
    # issue 11: the overdue dashboard at the province's root, a city and a district, and its at-risk list
    Page("dashboard", lambda t: reverse("reports:dashboard"), ("province_leader", "city_supervisor", "district_supervisor")),
    Page(
        "at-risk list", lambda t: reverse("reports:dashboard") + "?export=csv&list=at_risk",
        ("province_leader", "city_supervisor", "district_supervisor"),
    ),  # fmt: skip
    # the dashboard under a filter the roll-ups do not keep (中长期): counted live from the tasks
    Page(
        "dashboard by term", lambda t: reverse("reports:dashboard") + "?term=long",
        ("province_leader", "city_supervisor", "district_supervisor"),
    ),  # fmt: skip
]


def targets():
    """{role: Target} for the logins load_scale made; raises LookupError when they are missing."""
    found = {}
    users = {user.username: user for user in get_user_model().objects.filter(username__in=ROLES)}
    missing = [role for role in ROLES if role not in users]
    if missing:
        raise LookupError(f"no login {', '.join(missing)}: run load_scale first (see docs/benchmarks.md)")
    for role in ROLES:
        user = users[role]
        unit = Membership.objects.filter(user=user).select_related("unit").order_by("unit__depth").first().unit
        task = Task.objects.within(unit).filter(status=TaskStatus.IN_PROGRESS).order_by("pk").first()
        coordination = CoordinationRequest.objects.filter(from_unit__path__startswith=unit.path).order_by("pk").first()
        found[role] = Target(user=user, unit=unit, task=task, coordination=coordination)
    return found


@dataclass
class Result:
    page: str
    role: str
    median_ms: float
    p95_ms: float
    queries: int
    status: int

    @property
    def goal(self):
        return PAGE_GOALS.get((self.page, self.role)) or GOALS.get(self.role, DEFAULT_GOAL)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(client, url, requests):
    """(server times in ms, queries of the last request, status) of ``requests`` GETs after a warm-up."""
    client.get(url, secure=True)
    times = []
    queries = 0
    status = 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            if response.streaming:
                for _chunk in response.streaming_content:
                    pass
            times.append((time.perf_counter() - started) * 1000)
        queries, status = len(captured), response.status_code
    return times, queries, status


def run(requests=30, roles=ROLES, pages=None, say=print):
    """Measure every page of every role; returns the results (and prints a line for each)."""
    found = targets()
    results = []
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for role in roles:
            client = Client()
            client.force_login(found[role].user)
            for page in PAGES:
                if role not in page.roles or (pages and page.name not in pages):
                    continue
                url = page.url(found[role])
                times, queries, status = measure(client, url, requests)
                result = Result(page.name, role, statistics.median(times), percentile(times, 0.95), queries, status)
                results.append(result)
                flag = "" if result.p95_ms < result.goal else f"  (goal {result.goal} ms)"
                say(
                    f"{page.name:<22} {role:<20} median {result.median_ms:7.1f} ms  p95 {result.p95_ms:7.1f} ms  "
                    f"{queries:3d} queries  HTTP {status}{flag}"
                )
    return results


def live_child_counts_ms(unit, runs=5):
    """Server time (best and median, ms) of the hand-written live SQL of the dashboard's
    per-child counts under ``unit``: open tasks by child (read off the copied path) and
    warning level, and tasks by child and status, straight from the task table."""
    from campaign.models.units import PATH_STEP_WIDTH

    prefix = len(unit.path) + PATH_STEP_WIDTH + 1
    sql = (
        "SELECT substr(unit_path, 1, %s) AS child, status, warning_level, count(*) FROM rectification_task "
        "WHERE unit_path LIKE %s AND unit_path <> %s GROUP BY 1, 2, 3"
    )
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs + 1):
            started = time.perf_counter()
            cursor.execute(sql, [prefix, unit.path + "%", unit.path])
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    times = times[1:]  # the first warms the cache
    return min(times), statistics.median(times)


def dashboard_ratio(results):
    """(ratio, dashboard median ms, live SQL median ms) at the province's root: the root
    dashboard's server time over the live SQL of its per-child counts; None without it."""
    found = [r for r in results if r.page == "dashboard" and r.role == "province_leader"]
    if not found:
        return None
    unit = targets()["province_leader"].unit
    _best, median = live_child_counts_ms(unit)
    return found[0].median_ms / median, found[0].median_ms, median


def peak_memory_mib():
    """The peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average():
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
