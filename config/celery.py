import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def name_redbeat_settings(sender, **kwargs):
    """celery-redbeat checks for its settings by their bare names (redbeat_redis_url), not
    through the CELERY_ namespace of Django's settings: give it them under those names."""
    for name in ("redbeat_redis_url", "redbeat_key_prefix", "redbeat_lock_timeout"):
        value = sender.conf.get(name)
        if value is not None:
            sender.conf[name] = value


class HeartbeatStep(bootsteps.StartStopStep):
    """Every worker writes its sign of life into the database every
    ``WORKER_HEARTBEAT_SECONDS`` (from its main process, on the worker's own
    timer, so a long task does not delay it with the default prefork pool) and
    removes it when it stops: /healthz reads how old the newest one is."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker):
        from django.conf import settings

        from rectification.health import beat_heart

        beat_heart(worker.hostname)
        self.timer_entry = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, beat_heart, (worker.hostname,), priority=10
        )

    def stop(self, worker):
        from rectification.health import stop_heart

        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        stop_heart(worker.hostname)


app.steps["worker"].add(HeartbeatStep)
