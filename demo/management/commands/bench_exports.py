"""Time and weigh a large export in the background on the province data set (issue 10, items 5 and 8).

As the province's leader (a login of load_scale), asks for the task list or the ledger of the
whole province as the page would (the request that hands it to a worker), then runs the job in
this process as a Celery worker does (campaign.background.run) and prints the time, the rows,
the file's size and the process's resident memory before and at its peak. Run one export per
process (the peak is the process's): see docs/benchmarks.md.
"""

import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from campaign import background
from campaign.models import ExportJob
from demo import bench

URLS = {"tasks": lambda fmt: (reverse("rectification:task_list"), {"export": fmt}),
        "ledger": lambda fmt: (reverse("reports:ledger_export"), {"format": fmt})}  # fmt: skip


def rss_mib():
    """The resident memory of this process now (Linux: /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Ask for a province-wide export as the province's leader and run it as the worker would; print time and memory."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=sorted(URLS), default="tasks")
        parser.add_argument("--format", choices=background.FORMATS, default="xlsx", dest="fmt")
        parser.add_argument("--role", choices=bench.ROLES, default="province_leader")
        parser.add_argument("--keep", action="store_true", help="Keep the job and its file (default: delete them).")

    def handle(self, *args, kind, fmt, role, keep, **options):
        try:
            target = bench.targets()[role]
        except LookupError as error:
            raise CommandError(str(error)) from error
        client = Client()
        client.force_login(target.user)
        url, params = URLS[kind](fmt)
        ExportJob.objects.filter(created_by=target.user).delete()
        start_rss = rss_mib()
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
            started = time.perf_counter()
            response = client.get(url, params, secure=True)
            asked = time.perf_counter() - started
        job = ExportJob.objects.filter(created_by=target.user).first()
        if job is None:
            raise CommandError(f"the export was written in the request (HTTP {response.status_code}): fewer rows than EXPORT_BACKGROUND_ROWS")
        self.stdout.write(f"the request (counts up to the threshold, queues the job): {asked * 1000:.0f} ms, HTTP {response.status_code}")
        before = rss_mib()
        started = time.perf_counter()
        job = background.run(job.pk)
        elapsed = time.perf_counter() - started
        if job.status != ExportJob.Status.DONE:
            raise CommandError(f"the export failed: {job.error}")
        size = job.file.size
        self.stdout.write(
            f"{kind} .{fmt} as {role}: {job.rows_done:,} rows in {elapsed:.1f} s ({job.rows_done / elapsed:,.0f} rows/s), "
            f"file {size / 2**20:.1f} MiB"
        )
        self.stdout.write(
            f"memory: {start_rss:.0f} MiB at start, {before:.0f} MiB before the job, peak of the process {peak_mib():.0f} MiB"
        )
        self.stdout.write(f"load average: {bench.load_average()}")
        if not keep:
            job.file.delete(save=False)
            job.delete()
