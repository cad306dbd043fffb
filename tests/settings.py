"""The project's settings with what only tests need; the database and broker
still come from DATABASE_URL / REDIS_URL, as in production."""

import os
import tempfile

os.environ.setdefault("HTTPS", "off")
os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")

from config.settings import *  # noqa: E402,F403

# Fast hashing for tests; the initial-password hasher is kept, since provisioning names it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "campaign.hashers.InitialPasswordHasher"]
# Tests load the demo city as a fixture, on PostgreSQL too (where DEMO defaults to off).
DEMO = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="campaign-test-media-")
# Never the project's var/static, which `make setup` fills with collectstatic.
STATIC_ROOT = tempfile.mkdtemp(prefix="campaign-test-static-")

# Each test run gets its own PostgreSQL test database, so that runs in
# parallel (several developers on one machine, CI beside a session) never
# drop each other's database. pytest-django drops it at the end of the run.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}  # noqa: F405

# Rate limits count in this process's memory, emptied before each test (tests/conftest.py);
# one test runs the limiter on the production cache (Redis) under its own prefix.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"tests-{os.getpid()}"}}
# Links in messages are absolute (campaign/links.py); a fixed address the tests can assert.
SITE_URL = "http://campaign.test"
