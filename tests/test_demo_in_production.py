"""No known secrets in production: with DATABASE_URL set and no DEMO=1, the
demo city and its logins (whose password the README publishes) are not loaded,
and `check --deploy` warns about any account that still has that password.

The commands run in subprocesses with config.settings and a production
environment (see tests/test_deployment.py), against this run's test database.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from campaign.models import Unit
from tests.conftest import without_production_services
from tests.test_deployment import production_environment, run

pytestmark = pytest.mark.slow


def database_url_of_this_run():
    """This run's test database as a URL, for the subprocess (committed rows only)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        without_production_services("runs against the PostgreSQL test database (CI sets DATABASE_URL)")
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def production(tmp_path, **overrides):
    env = production_environment(tmp_path, DATABASE_URL=database_url_of_this_run(), **overrides)
    env.pop("DEMO", None)
    return env


def test_the_demo_setting_is_on_only_in_the_embedded_shape_or_when_asked(tmp_path):
    probe = ["-c", "import django; django.setup(); from django.conf import settings; print(settings.DEMO)"]
    sqlite = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    embedded = production_environment(tmp_path)
    embedded.pop("DATABASE_URL")
    assert run(probe, embedded).stdout.split()[-1] == "True"
    assert run(probe, production_environment(tmp_path, DATABASE_URL=sqlite)).stdout.split()[-1] == "False"
    assert run(probe, production_environment(tmp_path, DATABASE_URL=sqlite, DEMO="1")).stdout.split()[-1] == "True"


@pytest.mark.django_db(transaction=True)
def test_load_demo_refuses_a_production_database_and_creates_no_user(tmp_path):
    result = run(["manage.py", "load_demo"], production(tmp_path))
    assert result.returncode == 1
    assert "loaded only in the embedded shape or with DEMO=1" in result.stderr
    assert get_user_model().objects.count() == 0 and Unit.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_make_run_s_demo_step_creates_no_user_and_says_how_to_create_the_first_administrator(tmp_path):
    # scripts/run.sh runs exactly this step before starting the processes.
    assert ".venv/bin/python manage.py load_demo --if-allowed" in (settings.BASE_DIR / "scripts/run.sh").read_text()
    result = run(["manage.py", "load_demo", "--if-allowed"], production(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "python manage.py createsuperuser" in result.stdout
    assert get_user_model().objects.count() == 0 and Unit.objects.count() == 0


@pytest.mark.django_db
def test_the_command_refuses_in_process_too(settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="DEMO=1"):
        call_command("load_demo")
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_check_deploy_warns_about_an_account_with_the_demo_password_until_it_is_changed(tmp_path):
    hasher = PBKDF2PasswordHasher()  # what production stores (tests hash with MD5 for speed)
    user = get_user_model().objects.create(
        username="admin", is_superuser=True, is_staff=True, password=hasher.encode("demo-pass-2026", hasher.salt())
    )
    get_user_model().objects.create(username="clerk", password=hasher.encode("demo-pass-2026", hasher.salt()))
    command = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]

    result = run(command, production(tmp_path))
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "campaign.W001" in output and "still log in with the demo password: admin." in output
    assert "clerk" not in output  # neither a demo login nor an administrator: not checked

    user.password = hasher.encode("a-long-password-of-its-own", hasher.salt())
    user.save()
    result = run(command, production(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_the_check_is_silent_without_such_accounts():
    from campaign.checks import check_demo_passwords

    get_user_model().objects.create_user("leader", password="another-password-entirely")
    with override_settings(DEMO_PASSWORD="demo-pass-2026"):
        assert check_demo_passwords() == []


def test_the_check_knows_every_demo_login():
    from campaign.checks import DEMO_USERNAMES
    from demo import stories

    assert {user.username for user in stories.city().users} <= set(DEMO_USERNAMES)
