"""Settings of the Celery workers that tests/rectification/test_celery_delivery.py
starts: the project's own settings (database and broker from the environment,
as in production), with three things of one test run:

- the default queue, so that tasks the worker queues itself (the deliveries a
  sweep queues) stay with this run's workers even on a shared Redis;
- the folder the file e-mail backend writes to (EMAIL_BACKEND comes from the
  environment as usual);
- a one-second first retry step instead of thirty, so a retried e-mail goes
  out while the test waits.
"""

import os

from config.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]
# Stopped by a signal; no remote-control queues left behind on a shared Redis.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
EMAIL_FILE_PATH = os.environ["TEST_EMAIL_DIR"]
NOTIFICATION_RETRY_SECONDS = 1
