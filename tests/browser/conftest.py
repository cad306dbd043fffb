"""Browser tests: Playwright drives Debian's Chromium (headless) against a live server.

Playwright's own browser downloads are not available on these machines, so the
harness launches /usr/bin/chromium (override with CHROMIUM_PATH).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session.

    Playwright's sync API runs an event loop in this thread, while the test's
    own ORM calls (fixtures, assertions) stay synchronous: Django is told so
    for as long as the browser runs, and only then.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: run `make setup` (it installs Debian's chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def is_csp_violation(text):
    """Chromium reports every blocked script, style, image or frame in the console."""
    return "Content Security Policy" in text or "Content-Security-Policy" in text


@pytest.fixture
def page(browser, request):
    """A fresh browser context (no cookies) per test; a screenshot is kept when a test fails.

    Every page a test visits is watched for Content-Security-Policy violations
    (the console messages Chromium writes for them): a test whose pages had any
    fails at teardown, naming the page and what was blocked."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}") if is_csp_violation(message.text) else None)
    page.csp_violations = violations
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    if violations and not (report is not None and report.failed):
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def demo(transactional_db, demo_snapshot):
    """The demo city, committed where the live server reads it: copied back from
    the session's snapshot (tests/demo_snapshot.py), emptied after the test."""
    demo_snapshot.restore()


@pytest.fixture
def login(page, live_server):
    def log_in(username, password=None):
        from django.conf import settings

        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password or settings.DEMO_PASSWORD)
        page.click("form button[type=submit].primary")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return log_in
