"""Production settings come from the environment and pass `check --deploy`.

Each check runs Django in a subprocess with config.settings (not the test
settings) and an environment built here, so nothing set by the test process
(tests/settings.py sets HTTPS=off, the browser harness DJANGO_ALLOW_ASYNC_UNSAFE)
leaks in.
"""

import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

BASE_DIR = Path(settings.BASE_DIR)

# Only what a process needs to start; everything else (settings variables, and
# flags test harnesses set such as DJANGO_ALLOW_ASYNC_UNSAFE) stays out.
KEPT_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "VIRTUAL_ENV", "PYTHONPATH")

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
names = ("DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def environment(var_dir, **overrides):
    """A minimal process environment with no settings variable, plus overrides."""
    env = {key: os.environ[key] for key in KEPT_VARIABLES if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(var_dir), PYTHONDONTWRITEBYTECODE="1")
    env.update(overrides)
    return env


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def settings_in(env):
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_environment(var_dir, **overrides):
    # The configured database (PostgreSQL in CI) when there is one, else SQLite in the temporary VAR_DIR.
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'db.sqlite3'}"
    env = environment(
        var_dir,
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.org",
        SITE_URL="https://example.org",
    )
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(overrides)
    return env


@pytest.mark.django_db
def test_check_deploy_passes_with_production_environment(tmp_path):
    """On the test database: the developer's own database may well hold the demo (and its known passwords)."""
    from django.db import connection

    from tests.rectification.shared_db import database_url

    overrides = {"DATABASE_URL": url} if (url := database_url(connection.settings_dict)) else {}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_environment(tmp_path, **overrides))
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_production_environment_turns_tls_settings_on(tmp_path):
    values = settings_in(production_environment(tmp_path))
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_https_off_turns_tls_settings_off(tmp_path):
    values = settings_in(production_environment(tmp_path, HTTPS="off"))
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_HSTS_PRELOAD"] is False


def test_debug_is_off_by_default(tmp_path):
    assert settings_in(environment(tmp_path))["DEBUG"] is False


def test_secret_key_is_generated_once_into_var_dir_and_reused(tmp_path):
    var_dir = tmp_path / "var"
    key_file = var_dir / "secret_key"
    env = environment(var_dir)

    first = settings_in(env)["SECRET_KEY"]
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 50
    assert key_file.read_text().strip() == first

    second = settings_in(env)["SECRET_KEY"]
    assert second == first

    other = settings_in(environment(tmp_path / "other-var"))["SECRET_KEY"]
    assert other != first


def test_secret_key_from_environment_wins_and_writes_nothing(tmp_path):
    key = secrets.token_urlsafe(64)
    assert settings_in(environment(tmp_path, SECRET_KEY=key))["SECRET_KEY"] == key
    assert not (tmp_path / "secret_key").exists()
