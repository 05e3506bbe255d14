"""The web shell in a real browser: Debian's Chromium, headless, driven by Playwright against live_server.

Run with `pytest -m browser` (scripts/test runs them as their own step). Without a `chromium` on PATH these
tests skip, except when CI=true: there they fail, so CI cannot go green without running them.

Screenshots go to $CXLOOP_ARTIFACTS (default ./artifacts): home-desktop.png (1280x800), home-phone.png
and home-phone-menu.png (390x844).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
WORKSPACE = "Acme Browser Co"
NAV = ["Inbox", "Customers", "Surveys", "Analytics", "Dashboards", "Cases", "Journeys", "Settings"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# As root and on a machine whose network is closed: no sandbox, and none of Chromium's own traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A page that links no icon makes Chromium ask for /favicon.ico, and the 404 is logged as a console error.
# Tolerated only on a page without <link rel="icon">: once the template links one, any error fails.
NO_ICON_ERRORS = ("/favicon.ico)",)
TOPBAR_BACKGROUND = "rgb(16, 42, 67)"  # .topbar in cxloop/web/static/cxloop/app.css: proves the CSS applied


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{reason}; CI=true requires the browser tests to run.")
        pytest.skip(reason)
    return path


@pytest.fixture
def owner(transactional_db):
    from cxloop.accounts.services import user_create, workspace_create

    user = user_create(email="owner@browser.example", password=PASSWORD, name="Olive Owner")
    workspace_create(name=WORKSPACE, owner=user)
    return user


@pytest.fixture
def browser(owner):
    """Headless Chromium, started after the test data exists and closed before the database is flushed:
    Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls while one runs
    (SynchronousOnlyOperation). Tests must not touch the database while the browser is open."""
    path = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts() -> Path:
    path = Path(os.environ.get("CXLOOP_ARTIFACTS") or "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Watched:
    """A page with what went wrong on it: console errors (CSP violations among them), uncaught
    exceptions, failed requests, and every response by URL."""

    page: object
    errors: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)

    def static_statuses(self) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        for url, status in self.responses:
            if "/static/" in url:
                found.setdefault(url, set()).add(status)
        return found


@pytest.fixture
def open_page(browser):
    contexts = []

    def _open(viewport: dict) -> Watched:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watched = Watched(page=page)
        page.on(
            "console",
            lambda msg: (
                watched.errors.append(f"console {msg.type}: {msg.text} ({msg.location.get('url', '')})")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: watched.errors.append(f"uncaught: {exc}"))
        page.on(
            "requestfailed", lambda req: watched.errors.append(f"request failed: {req.url} {req.failure}")
        )
        page.on("response", lambda resp: watched.responses.append((resp.url, resp.status)))
        return watched

    yield _open
    for context in contexts:
        context.close()


def _log_in(w: Watched, base_url: str, email: str, password: str) -> None:
    page = w.page
    page.goto(f"{base_url}/login/")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def _assert_healthy(w: Watched) -> None:
    tolerated = () if w.page.locator('link[rel~="icon"]').count() else NO_ICON_ERRORS
    errors = [e for e in w.errors if not e.endswith(tolerated)] if tolerated else w.errors
    assert errors == [], "the page reported errors:\n" + "\n".join(errors)
    static = w.static_statuses()
    css = [statuses for url, statuses in static.items() if url.endswith("/static/cxloop/app.css")]
    assert css, f"the stylesheet was never requested; static requests: {static}"
    assert 200 in css[0], f"the stylesheet never answered 200: {css[0]}"
    # A later page may revalidate what an earlier one fetched: 304 Not Modified is a load too.
    bad = {url: statuses for url, statuses in static.items() if statuses - {200, 304}}
    assert bad == {}, f"static files did not load: {bad}"
    # app.css sets body { margin: 0 } (the browser default is 8px): proof the stylesheet applied.
    margin = w.page.evaluate("() => getComputedStyle(document.body).margin")
    assert margin == "0px", f"app.css was not applied: body margin is {margin}"
    if w.page.locator(".topbar").count():
        background = w.page.evaluate(
            "() => getComputedStyle(document.querySelector('.topbar')).backgroundColor"
        )
        assert background == TOPBAR_BACKGROUND, f"app.css was not applied: topbar background is {background}"


def _assert_no_horizontal_scroll(w: Watched) -> None:
    sizes = w.page.evaluate("() => ({scroll: document.documentElement.scrollWidth, view: window.innerWidth})")
    assert sizes["scroll"] <= sizes["view"], f"the page scrolls sideways: {sizes}"


def test_owner_logs_in_and_sees_home_on_desktop(live_server, open_page, artifacts):
    w = open_page(DESKTOP)
    _log_in(w, live_server.url, "owner@browser.example", PASSWORD)
    page = w.page

    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", level=1).inner_text() == WORKSPACE
    nav = page.get_by_role("navigation", name="Main")
    for label in NAV:
        assert nav.get_by_role("link", name=label, exact=True).is_visible(), f"{label} not in the navigation"
    assert not page.get_by_role("button", name="Menu").is_visible()
    page.screenshot(path=str(artifacts / "home-desktop.png"), full_page=True)
    _assert_healthy(w)
    _assert_no_horizontal_scroll(w)


def test_phone_width_has_menu_button_that_reveals_navigation(live_server, open_page, artifacts):
    w = open_page(PHONE)
    _log_in(w, live_server.url, "owner@browser.example", PASSWORD)
    page = w.page

    assert page.get_by_role("heading", level=1).inner_text() == WORKSPACE
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible()
    assert menu.get_attribute("aria-expanded") == "false"
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.get_by_role("link", name="Inbox", exact=True).is_visible()
    _assert_no_horizontal_scroll(w)
    page.screenshot(path=str(artifacts / "home-phone.png"), full_page=True)

    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    for label in NAV:
        assert nav.get_by_role("link", name=label, exact=True).is_visible(), f"{label} not revealed by Menu"
    _assert_no_horizontal_scroll(w)
    page.screenshot(path=str(artifacts / "home-phone-menu.png"), full_page=True)
    _assert_healthy(w)


def test_wrong_password_shows_the_generic_error(live_server, open_page):
    from cxloop.accounts.services import GENERIC_LOGIN_ERROR

    w = open_page(DESKTOP)
    _log_in(w, live_server.url, "owner@browser.example", "not the password at all")
    page = w.page

    assert page.url.startswith(f"{live_server.url}/login/")
    assert page.get_by_role("alert").inner_text() == GENERIC_LOGIN_ERROR
    assert page.get_by_role("navigation", name="Main").count() == 0
    # The same words for an address that has no account: the error never says which.
    _log_in(w, live_server.url, "nobody@browser.example", PASSWORD)
    assert page.get_by_role("alert").inner_text() == GENERIC_LOGIN_ERROR
    _assert_healthy(w)
