"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

They run when /usr/bin/chromium is installed and are skipped, with a message saying so,
when it is not; in CI (CI=true) a missing chromium is a failure, never a silent skip. On a
failure the page's screenshot and HTML are kept in test-artifacts/ for whoever reads the log.
"""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(config, items):
    browser_tests = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser_tests:
        item.add_marker(pytest.mark.browser)
    if CHROMIUM.exists() or not browser_tests:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the browser tests, but {CHROMIUM} is missing.")
    skip = pytest.mark.skip(reason=f"browser tests need Debian's chromium at {CHROMIUM}")
    for item in browser_tests:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def playwright_browser():
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls that tests
    # make between page actions are still synchronous, so Django's guard is relaxed here only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, request, viewport, javascript=True):
    """A page in a browser context of its own, kept on the test for the screenshot taken when
    it fails (below), and closed afterwards."""
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    request.node.browser_page = page
    yield page
    context.close()


@pytest.fixture
def phone(playwright_browser, request):
    yield from _page(playwright_browser, request, PHONE)


@pytest.fixture
def phone_without_js(playwright_browser, request):
    yield from _page(playwright_browser, request, PHONE, javascript=False)


@pytest.fixture
def desktop(playwright_browser, request):
    yield from _page(playwright_browser, request, DESKTOP)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "browser_page", None)
    if report.when == "call" and report.failed and page is not None and not page.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", item.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
        report.sections.append(
            ("browser", f"Kept {ARTIFACTS / name}.png and .html (page was {page.url})")
        )
