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


# Accessibility (GB/T 37668, issue 11): every page a browser test loads is audited with
# axe-core (axe-playwright-python); a serious or critical violation fails the test.
AXE_IMPACTS = {"serious", "critical"}
AXE_SKIPPED_PATHS = ("/logout/", "/admin/")


def axe_audit(page):
    """The serious and critical axe-core violations of the page now shown, as text lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in AXE_IMPACTS:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{page.url}: {violation['id']} ({violation['impact']}, {len(violation['nodes'])}): {violation['help']} — {targets}")
    return found


def audit_visited(page, visited):
    """Load again each page the test loaded (same cookies) and audit it: the pages as
    the test left them are not waited on mid-journey, so the audit never races a click."""
    from urllib.parse import urlsplit

    found = []
    seen = set()
    for url in visited:
        parts = urlsplit(url)
        key = (parts.path, parts.query)
        if key in seen or parts.path.startswith(AXE_SKIPPED_PATHS):
            continue
        seen.add(key)
        response = page.goto(url)
        if response is None or response.status >= 400 or "html" not in (response.headers.get("content-type") or ""):
            continue
        found += axe_audit(page)
    return found


@pytest.fixture
def page(browser, request, transactional_db, live_server):
    """A fresh browser context (no cookies) per test; a screenshot is kept when a test fails.

    Every page a test visits is watched for Content-Security-Policy violations
    (the console messages Chromium writes for them): a test whose pages had any
    fails at teardown, naming the page and what was blocked. Every page it loaded
    is then audited with axe-core (:func:`audit_visited`): a serious or critical
    violation fails the test too."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = []
    visited = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}") if is_csp_violation(message.text) else None)
    page.on("load", lambda loaded: visited.append(loaded.url))
    page.csp_violations = violations
    page.visited = visited
    yield page
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    inaccessible = [] if failed else audit_visited(page, list(visited))  # while the database still holds the pages' data
    context.close()
    if violations and not failed:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))
    if inaccessible:
        pytest.fail("Serious or critical accessibility violations (axe-core):\n" + "\n".join(inaccessible))


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
