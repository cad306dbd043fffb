"""Settings for the campaign rectification tracker.

Everything that differs between machines comes from the environment; each
variable is documented in `.env.example`. With no variable set, the project
runs in its embedded shape: SQLite and a Celery broker on disk under `var/`.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import embedded_site_url as _embedded_site_url
from .env import env_bool, env_int, env_list, env_str, secret_key_from

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = secret_key_from(VAR_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "csp",
    "simple_history",
    "axes",
    "campaign",
    "rectification",
    "public",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "campaign.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that a locked-out login attempt's response is replaced on the way out.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.scope",
                "rectification.context_processors.header",
                "public.context_processors.header",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- database ---------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: the pages' queries are short, and JIT spent 200 ms
        # compiling plans whose estimates looked large (measured on the province data set).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # web, worker and beat share one file: wait for locks, write-ahead log.
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "login"
# Initial passwords of provisioned accounts are random (about 60 bits) and must be
# changed at the first login, so a lighter hash serves them: a district's hundred
# accounts are made in seconds, not minutes. Passwords people choose get the default.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "campaign.hashers.InitialPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# An initial (one-time) password stops working this many days after it was made.
INITIAL_PASSWORD_MAX_AGE_DAYS = env_int("INITIAL_PASSWORD_MAX_AGE_DAYS", 30)

# Sessions end after this many seconds without a request (default 2 hours); logging
# out ends every session of the user, on every browser.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 2 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT + 60 * 60  # the store forgets idle sessions soon after

# Locking out repeated login failures (django-axes): after LOGIN_FAILURE_LIMIT
# failures for one login name, or from one address, that name or address waits
# LOGIN_LOCKOUT_MINUTES; an administrator can unlock it earlier. Successful and
# failed logins are recorded (Django admin: Axes).
AUTHENTICATION_BACKENDS = [
    "campaign.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# Each on its own: per login name, and per address. LOGIN_LOCKOUT_BY_ADDRESS=off counts per
# login name only, for an intranet whose offices all reach the site through one NAT address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] if env_bool("LOGIN_LOCKOUT_BY_ADDRESS", True) else ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock ends when it said it would
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "campaign.views.account.locked_out"
AXES_VERBOSE = False
# Behind N reverse proxies, the client's address is the N-th from the right of X-Forwarded-For;
# without this every login would seem to come from the proxy, and one lock would lock everybody.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# --- the intranet's own sign-on (optional LDAP) --------------------------------------------
# With LDAP_SERVER_URI set, a login the app does not know locally is checked against
# the directory (django-auth-ldap); memberships are still kept in the app. See docs/deploy.md.
LDAP_SERVER_URI = env_str("LDAP_SERVER_URI")
if LDAP_SERVER_URI:
    from . import ldap as _ldap

    globals().update(_ldap.ldap_settings())
    AUTHENTICATION_BACKENDS.append(_ldap.BACKEND)

# --- language and time: Chinese first ------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"  # outside the static folder; served only through views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str("STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}
# Evidence and report files on an S3-compatible object store (MinIO, SeaweedFS, Ceph RGW...), so that
# several machines share them: set S3_BUCKET (and the endpoint and keys). Files are still served only
# through the app's views (permission checked), never by a public URL of the store.
S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("S3_REGION", "us-east-1"),
            "location": env_str("S3_PREFIX", ""),
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),  # intranet stores: by path, not host name
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,
            "file_overwrite": False,  # never replace a stored file: a clash gets another name
        },
    }

# --- security -----------------------------------------------------------------
# HTTPS=off switches the TLS-only settings off for a plain-HTTP intranet.
HTTPS = env_bool("HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers load balancers over plain HTTP behind a TLS proxy, without a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only; no
# inline scripts or styles anywhere (progress bars are <progress>, the timeline is SVG attributes,
# htmx is told not to inject styles, see templates/base.html); no plugins, no framing, forms post here.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # the survey slips' QR codes are data: URIs (public/qr.py); images only
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"

# --- email --------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 20
# The site's address as users reach it (https://campaign.example.org): every link in a message (e-mail,
# in-app notice, group-chat robot) is made absolute from it (campaign/links.py). The embedded shape
# defaults to what `make run` serves (HOST, PORT, HTTPS); with DATABASE_URL it must be set, or every
# manage.py command (migrate at start-up included) stops with campaign.E001.
SITE_URL = env_str("SITE_URL", "" if DATABASE_URL else _embedded_site_url()).strip().rstrip("/")
# Group-chat robots (企业微信/钉钉) post only to these hosts (the platforms' own by default); an intranet
# relay, or a local test server, must be listed here (rectification/notify/robots.py).
CHAT_ROBOT_HOSTS = env_list("CHAT_ROBOT_HOSTS", ["qyapi.weixin.qq.com", "oapi.dingtalk.com"])
# Messages per minute and robot; past it a message waits a minute (both platforms take 20, DingTalk then blocks).
CHAT_ROBOT_MESSAGES_PER_MINUTE = env_int("CHAT_ROBOT_MESSAGES_PER_MINUTE", 18)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "campaign@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    CELERY_QUEUE_DIR = VAR_DIR / "celery"
    for _folder in ("queue", "processed", "control"):
        (CELERY_QUEUE_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# Task modules beyond each app's tasks.py (found by autodiscovery).
CELERY_IMPORTS = ["rectification.ledger.tasks"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if REDIS_URL:
    # Beats on several machines are safe: celery-redbeat keeps the schedule in Redis behind a lock, so
    # one beat sends while the others wait, and one of them takes over within the lock's timeout when
    # the sender stops. (The embedded shape runs on one machine with the file-based scheduler.)
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = env_str("REDBEAT_KEY_PREFIX", "redbeat:campaign:")
    CELERY_BEAT_MAX_LOOP_INTERVAL = 30  # seconds between the sender's wake-ups (it extends its lock each time)
    CELERY_REDBEAT_LOCK_TIMEOUT = env_int("BEAT_LOCK_TIMEOUT", 150)  # a stopped sender's beat is taken over after this
# The beat schedule is data: each entry has an `expires` just under its interval,
# so a message that waited that long (workers down) is dropped, not run late
# on top of the next one. Times are Asia/Shanghai (CELERY_TIMEZONE).
# With Redis, any number of beats may run (redbeat's lock: one sends, see below); in the
# embedded shape run exactly one. The tasks are idempotent either way.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    # Hourly at five past, which includes 00:05, just after the date changes.
    "sweep-overdue": {
        "task": "rectification.tasks.sweep_overdue",
        "schedule": crontab(minute=5),
        "options": {"expires": 55 * 60},
    },
    "deliver-pending-notifications": {
        "task": "rectification.tasks.deliver_pending",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60 + 30},
    },
    "send-daily-digests": {
        "task": "rectification.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=30),
        "options": {"expires": 23 * 60 * 60},
    },
    "erase-public-contacts": {
        "task": "public.tasks.erase_expired_contacts",
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": 23 * 60 * 60},
    },
    # Late in the day, after the sweep of 23:05: the day's figures of every unit (issue 11).
    "take-daily-snapshots": {
        "task": "reports.tasks.take_snapshots",
        "schedule": crontab(hour=23, minute=50),
        "options": {"expires": 23 * 60 * 60},
    },
    "prune-exports": {
        "task": "rectification.tasks.prune_exports",
        "schedule": crontab(hour=3, minute=40),
        "options": {"expires": 23 * 60 * 60},
    },
    "send-deadline-reminders": {
        "task": "rectification.tasks.send_deadline_reminders",
        "schedule": crontab(hour=8, minute=0),
        "options": {"expires": 23 * 60 * 60},
    },
    # A summary snapshot of every batch whose phase has just ended (reports.runs).
    "snapshot-ended-phases": {
        "task": "reports.tasks.snapshot_ended_phases",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 23 * 60 * 60},
    },
}
# An identical report request within this many seconds of a run is served that run (reports.runs).
REPORT_FRESH_SECONDS = env_int("REPORT_FRESH_SECONDS", 600)

# --- dashboards (issue 11) ---------------------------------------------------------
# An open task not yet warned is "at risk" when its progress lags the share of its time
# elapsed by more than this many percentage points.
AT_RISK_MARGIN = env_int("AT_RISK_MARGIN", 20)

# --- health (/healthz, rectification/health.py) ----------------------------------
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 120)  # seconds since the newest worker heartbeat
HEALTH_SWEEP_MAX_AGE = env_int("HEALTH_SWEEP_MAX_AGE", 2 * 60 * 60)  # the sweep runs hourly
# --- cache (rate limits of the public pages) ------------------------------------
# Shared by every web process: Redis in production; a folder under var/ in the
# embedded shape (gunicorn's workers are separate processes, so not locmem).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "campaign")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# --- the public's pages (/public/) ------------------------------------------------
# Requests per address and window, for every public form (see public/ratelimit.py).
PUBLIC_RATE_LIMITS = {
    "opinion": (env_int("PUBLIC_OPINIONS_PER_HOUR", 10), 3600),
    "status": (env_int("PUBLIC_STATUS_LOOKUPS_PER_HOUR", 60), 3600),
    "survey": (env_int("PUBLIC_SURVEY_ANSWERS_PER_HOUR", 120), 3600),
}
# The header holding the visitor's address behind a proxy (e.g. HTTP_X_REAL_IP); empty: REMOTE_ADDR.
PUBLIC_ADDRESS_HEADER = env_str("PUBLIC_ADDRESS_HEADER", "")
# The largest body a public form accepts; bigger requests are refused before they are read.
PUBLIC_MAX_BODY_BYTES = env_int("PUBLIC_MAX_BODY_BYTES", 16 * 1024)

# --- history ------------------------------------------------------------------
# A task's history is a record, not an undo button: reverting in the admin would
# step around the workflow (销号, 退回, extensions), so it is switched off.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- tables -------------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

# --- demo ---------------------------------------------------------------------
# The demo city and its logins (published password) load only in the embedded
# shape or when asked for with DEMO=1: never by default into a DATABASE_URL.
DEMO = env_bool("DEMO", not DATABASE_URL)
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-pass-2026")

# --- uploads --------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Exports of more rows than this are written by a Celery worker (campaign.background), the user
# following on a page; the files (and their records) are deleted after EXPORT_RETENTION_DAYS.
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 5000)
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 7)
# Unit rosters of more rows than this are imported by a Celery worker (campaign.importers.run).
UNIT_IMPORT_BACKGROUND_ROWS = env_int("UNIT_IMPORT_BACKGROUND_ROWS", 2000)
# Office ledgers of more rows than this are imported by a Celery worker (rectification.ledger.importer.run),
# the upload kept in STORAGES["default"] until then.
LEDGER_IMPORT_BACKGROUND_ROWS = env_int("LEDGER_IMPORT_BACKGROUND_ROWS", 500)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
# Per request (campaign/upload_limits.py stops reading past them) and per task (checked when evidence is saved).
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 10)
UPLOAD_MAX_REQUEST_BYTES = env_int("UPLOAD_MAX_REQUEST_BYTES", 50 * 1024 * 1024)
EVIDENCE_MAX_TASK_BYTES = env_int("EVIDENCE_MAX_TASK_BYTES", 500 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES + 1  # past this Django answers 400 itself; ours stops first
FILE_UPLOAD_HANDLERS = [
    "campaign.upload_limits.RequestLimitsHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every page it lays out at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
