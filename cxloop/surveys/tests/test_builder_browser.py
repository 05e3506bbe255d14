"""The survey builder in a real browser (Debian's Chromium, headless, through Playwright; run with
`pytest -m browser`): htmx saves without reloading the page, a refused edit shows its errors in place, and the
preview tab shows the survey in two same-origin frames without a single CSP or framing error.

Screenshots go to $CXLOOP_ARTIFACTS (default ./artifacts): builder-desktop.png, builder-preview.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cxloop.web.tests.test_browser import CHROMIUM_ARGS, DESKTOP, PASSWORD, Watched, _chromium, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def artifacts() -> Path:
    path = Path(os.environ.get("CXLOOP_ARTIFACTS") or "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def survey(transactional_db):
    from cxloop.accounts.services import user_create, workspace_create
    from cxloop.surveys import services

    user = user_create(email="analyst@browser.example", password=PASSWORD, name="Ana Lyst")
    workspace = workspace_create(name="Builder Co", owner=user)
    return services.survey_create(
        workspace=workspace, actor=user, name="Delivery check", template="delivery_csat"
    )


@pytest.fixture
def page(survey, live_server):
    """A logged-in page in headless Chromium; the database is not touched while it is open."""
    path = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP)
        watched = Watched(page=context.new_page())
        watched.page.set_default_timeout(15_000)
        watched.page.on(
            "console", lambda m: watched.errors.append(f"{m.type}: {m.text}") if m.type == "error" else None
        )
        watched.page.on("pageerror", lambda exc: watched.errors.append(f"uncaught: {exc}"))
        _log_in(watched, live_server.url, "analyst@browser.example", PASSWORD)
        try:
            yield watched
        finally:
            context.close()
            browser.close()


def test_builder_adds_a_question_in_place_and_shows_a_refused_edit(page, survey, live_server, artifacts):
    p = page.page
    p.goto(f"{live_server.url}/surveys/{survey.pk}/edit/")
    assert p.get_by_role("heading", level=1).inner_text().startswith("Edit “Delivery check”")
    p.evaluate("() => { window.notReloaded = true; }")

    p.select_option("#f-blocks\\.1\\.add_type", "ranking")
    p.fill("#f-blocks\\.1\\.add_label", "Rank what matters most")
    p.get_by_role("button", name="Add question", exact=True).nth(1).click()
    p.locator(".builder-qtitle", has_text="Rank what matters most").wait_for()
    assert p.evaluate("() => window.notReloaded === true"), "htmx swaps the page in place, no reload"
    assert p.locator(".builder-q code", has_text="rank_what_matters_most").count() == 1

    key = p.locator("#f-blocks\\.0\\.questions\\.0\\.key")
    p.locator("#at-blocks-0-questions-0 summary").click()
    key.fill("Not A Key")
    p.get_by_role("button", name="Save").first.click()
    p.wait_for_selector(".builder-summary")
    assert "Not saved" in p.locator(".builder-summary").inner_text()
    assert "lower-case letters" in p.locator("#at-blocks-0-questions-0 .builder-errors").inner_text()
    assert p.locator("#f-blocks\\.0\\.questions\\.0\\.key").input_value() == "Not A Key"
    p.screenshot(path=str(artifacts / "builder-desktop.png"), full_page=True)
    refused = "the server responded with a status of 422"  # Chromium logs the refused save itself
    assert [e for e in page.errors if refused not in e] == []


def test_preview_tab_frames_the_survey_on_phone_and_desktop_widths(page, survey, live_server, artifacts):
    p = page.page
    p.goto(f"{live_server.url}/surveys/{survey.pk}/edit/preview/")
    frames = p.locator("iframe")
    assert frames.count() == 2
    widths = [frames.nth(i).evaluate("el => el.getBoundingClientRect().width") for i in range(2)]
    assert widths == [375, 1024]
    for i in range(2):
        inner = p.frame_locator("iframe").nth(i)
        assert "How satisfied are you with the delivery" in inner.locator("legend").first.inner_text()
        assert inner.locator(".sv-preview").is_visible()
    p.screenshot(path=str(artifacts / "builder-preview.png"), full_page=True)
    assert page.errors == [], page.errors
