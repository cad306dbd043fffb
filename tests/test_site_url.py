"""SITE_URL: the site's address, from which every link in a message is made.

In the production shape (DATABASE_URL set) a missing or malformed SITE_URL stops
every manage.py command (migrate at start-up included) with campaign.E001; the
embedded shape defaults to the address `make run` serves.
"""

import json

import pytest
from django.test import override_settings

from campaign.checks import check_site_url
from campaign.links import absolute, site_url_problem
from tests.test_deployment import environment, production_environment, run

PRINT_SITE_URL = "import django, json; django.setup(); from django.conf import settings; print(json.dumps(settings.SITE_URL))"


@pytest.mark.parametrize(
    "value",
    ["", "campaign.intranet", "ftp://campaign.intranet", "https://", "https://campaign.intranet/app/",
     "https://campaign.intranet/?a=1", "https://user:pw@campaign.intranet", "https://campaign.intranet:port",
     "https://campaign .intranet"],
)  # fmt: skip
def test_a_site_url_that_cannot_make_links_is_refused(value):
    assert site_url_problem(value) is not None
    with override_settings(DATABASE_URL="postgres://db/campaign", SITE_URL=value):
        assert [error.id for error in check_site_url()] == ["campaign.E001"]


@pytest.mark.parametrize("value", ["https://campaign.intranet", "http://10.1.2.3:8000", "https://[::1]:8443", "https://x.org/"])
def test_a_site_address_passes(value):
    assert site_url_problem(value) is None
    with override_settings(DATABASE_URL="postgres://db/campaign", SITE_URL=value):
        assert check_site_url() == []


def test_the_embedded_shape_needs_no_site_url():
    with override_settings(DATABASE_URL="", SITE_URL=""):
        assert check_site_url() == []


@override_settings(SITE_URL="https://campaign.intranet")
def test_absolute_puts_a_path_on_the_site_address():
    assert absolute("/rectification/tasks/31/") == "https://campaign.intranet/rectification/tasks/31/"
    assert absolute("https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert absolute("") == ""


@pytest.mark.slow
def test_start_up_in_the_production_shape_stops_without_a_site_url(tmp_path):
    env = production_environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.pop("SITE_URL")
    result = run(["manage.py", "migrate", "--plan"], env)
    assert result.returncode != 0
    assert "campaign.E001" in result.stderr and "SITE_URL is not set" in result.stderr

    result = run(["manage.py", "check"], {**env, "SITE_URL": "campaign.intranet"})
    assert result.returncode != 0 and "campaign.E001" in result.stderr

    result = run(["manage.py", "check"], {**env, "SITE_URL": "https://campaign.intranet"})
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_embedded_shape_links_to_what_make_run_serves(tmp_path):
    assert json.loads(run(["-c", PRINT_SITE_URL], environment(tmp_path)).stdout) == "http://127.0.0.1:8000"
    served = environment(tmp_path, HOST="0.0.0.0", PORT="8123")
    assert json.loads(run(["-c", PRINT_SITE_URL], served).stdout) == "http://127.0.0.1:8123"
    chosen = environment(tmp_path, SITE_URL="https://campaign.intranet/")
    assert json.loads(run(["-c", PRINT_SITE_URL], chosen).stdout) == "https://campaign.intranet"


@pytest.mark.slow
def test_the_web_process_does_not_start_in_the_production_shape_without_a_site_url(tmp_path):
    env = production_environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.pop("SITE_URL")
    result = run(["-c", "import config.wsgi"], env)  # what gunicorn config.wsgi does first
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "campaign.E001" in result.stderr
    assert run(["-c", "import config.wsgi"], {**env, "SITE_URL": "https://campaign.intranet"}).returncode == 0
