"""Real-browser fixtures: Playwright (sync API) driving Debian's Chromium against pytest-django's
live_server, so what a user clicks is what the product serves.

Playwright's own browser download does not work here, so we launch /usr/bin/chromium, which
`make browser` (a dependency of `make test`) installs from Debian. Tests that use these fixtures
need `@pytest.mark.django_db(transaction=True, serialized_rollback=True)`: live_server runs in
another thread, and the plans are seeded by a data migration that a plain flush would wipe.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.tests.cluster import Cluster

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium floods the closed network with connections that are refused.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[3] / "screenshots"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def playwright() -> Iterator[object]:
    """Sync Playwright, for the tests in this package only.

    While the sync API is started it keeps an asyncio loop running in the main thread, and Django
    then treats the thread as async:
    - it would raise SynchronousOnlyOperation for every ORM call the tests make (make_user,
      asserting on models). DJANGO_ALLOW_ASYNC_UNSAFE switches that check off; no async code of
      ours shares the thread.
    - `connections` (an asgiref Local) would hand out new connection objects kept in a context
      variable, without the test set-up's state: `serialized_rollback` would restore nothing and
      the plans seeded by migration would be gone after any earlier transactional test, and the
      extra connections would stay open. So the thread's own connection objects are put into the
      async-mode storage too, and the main thread keeps using one connection per database.
    Both last only while Playwright runs, and the scope is the package, not the session, so the
    rest of the suite runs with the check on and without a running loop.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    own = {alias: connections[alias] for alias in connections}
    pw = sync_playwright().start()
    for alias, connection in own.items():
        connections[alias] = connection
    try:
        yield pw
    finally:
        pw.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright):
    """Headless Chromium, launched once (Playwright gives it a fresh temporary profile)."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


# Runs in every document before its own scripts: each Content Security Policy violation (an inline
# script or style, eval, a source the policy does not allow) becomes a console error we can see.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.effectiveDirective} refused ${e.blockedURI || "inline"}`
    + ` in ${e.sourceFile || e.documentURI}:${e.lineNumber} ${e.sample || ""}`);
}, true);
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """The page's Content Security Policy violations so far (the `page` fixture fails the test on
    any); a test that provokes one on purpose checks it here, then clears the list."""
    return []


@pytest.fixture
def page(browser, csp_violations, live_server):
    """A page in a fresh context (no cookies) at a desktop viewport of 1280×800.

    Uncaught JavaScript errors and Content Security Policy violations on the page fail the test:
    the event of each violation (REPORT_CSP_VIOLATIONS) and Chromium's own "Refused to ..."
    console message both count.

    It asks for live_server so that it is set up after the test database and closed before the
    database is emptied: a page left open polls the server while PostgreSQL's TRUNCATE runs, and a
    request's transaction then deadlocked with it (the next test found the last one's rows).
    """
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message) -> None:
        if message.text.startswith("CSP violation") or "Content Security Policy" in message.text:
            csp_violations.append(message.text[:200])

    page.on("console", on_console)
    yield page
    context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"
    assert not csp_violations, f"Content Security Policy violations: {csp_violations}"


@pytest.fixture
def log_in(live_server) -> Callable[..., None]:
    """log_in(page, user, password="pw-123456"): log in through the real form, land on "/"."""

    def log_in_(page, user, password: str = "pw-123456") -> None:
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        if page.url != live_server.url + "/":
            raise AssertionError(f"log-in as {user.get_username()!r} ended at {page.url}")

    return log_in_


def screenshot(page, name: str) -> list[Path]:
    """Save screenshots/<name>-desktop.png (1280×800) and screenshots/<name>-phone.png (390×844),
    full page, then put the viewport back as it was."""
    SCREENSHOTS.mkdir(exist_ok=True)
    original = page.viewport_size
    paths = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    if original:
        page.set_viewport_size(original)
    return paths


@pytest.fixture
def shoot() -> Callable[..., list[Path]]:
    """shoot(page, name) -> [desktop path, phone path]; see screenshot()."""
    return screenshot


@pytest.fixture
def worker(providers_env, settings, tmp_path):
    """A real django-q2 cluster (a child process) on the emulator, sharing the test database and a
    media folder with the live server, so jobs run as in production while the page polls.

    Tests that use it need `django_db(transaction=True, ...)`, so the child sees the rows.
    Use studio.tests.cluster.wait_for_job(job_id) to wait for a job from the test.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    cluster = Cluster(providers_env, tmp_path)
    yield cluster
    cluster.stop()
