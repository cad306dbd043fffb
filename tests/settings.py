"""The project's settings with what only tests need; the database and broker
still come from DATABASE_URL / REDIS_URL, as in production."""

import os
import tempfile

os.environ.setdefault("HTTPS", "off")
os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="campaign-test-media-")
