"""Surveys in a real browser (Debian's Chromium, headless): a respondent answers on a phone-sized screen, and
a shop's own page (another origin) loads the widget and sends a response through it.

The answers are checked through the API afterwards, as an integration would read them: tests may not touch
the database while the browser is open (see cxloop/web/tests/test_browser.py).
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from cxloop.web.tests.test_browser import PHONE, Watched, _chromium, artifacts, open_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def shop_data(transactional_db):
    """A workspace with a live relationship NPS survey shown in the widget, and an API key to read back."""
    from cxloop.accounts.services import api_key_create, user_create, workspace_create
    from cxloop.surveys.tests.helpers import live_survey
    from cxloop.widget import services as widget

    owner = user_create(email="owner@shop.example", password="correct horse battery staple")
    workspace = workspace_create(name="Shop", owner=owner)
    survey = live_survey(workspace, template="relationship_nps", name="Shop NPS")
    widget.placement_save(
        survey=survey,
        enabled=True,
        mode="popover",
        url_op="any",
        url_value="",
        delay_seconds=0,
        exit_intent=False,
        events="",
        sample_rate=100,
        targeting="",
        cooldown_days=30,
        tab_label="Feedback",
    )
    site = widget.site_for(workspace)
    key = api_key_create(workspace=workspace, name="read", scopes=["read"], actor=owner).raw
    return {"slug": survey.slug, "site_key": site.site_key, "key": key}


@pytest.fixture
def browser(shop_data):
    path = _chromium()
    from playwright.sync_api import sync_playwright

    from cxloop.web.tests.test_browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def no_timer(monkeypatch):
    """The bot timer wants 2 s before a first page is sent; a test clicks faster than a person."""
    from cxloop.surveys import public_views

    monkeypatch.setattr(public_views, "MIN_SECONDS", 0.0)


def _feedback(page, base: str, key: str, channel: str) -> list[dict]:
    resp = page.request.get(
        f"{base}/api/v1/feedback?channel={channel}", headers={"Authorization": f"Bearer {key}"}
    )
    assert resp.status == 200, resp.text()
    return resp.json()["items"]


def _healthy(w: Watched) -> None:
    errors = [e for e in w.errors if not e.endswith("/favicon.ico)")]
    assert errors == [], "the page reported errors:\n" + "\n".join(errors)


def test_respondent_answers_on_a_phone(live_server, open_page, shop_data, artifacts, no_timer):  # noqa: F811
    w = open_page(PHONE)
    page = w.page
    page.goto(f"{live_server.url}/s/{shop_data['slug']}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Two minutes for us?"
    page.get_by_role("button", name="Start").click()
    page.get_by_text("3", exact=True).click()
    sizes = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, view: window.innerWidth})")
    assert sizes["scroll"] <= sizes["view"], f"the survey scrolls sideways on a phone: {sizes}"
    page.screenshot(path=str(artifacts / "survey-phone.png"), full_page=True)
    page.get_by_role("button", name="Next").click()
    assert "your score of 3" in page.get_by_role("group").first.inner_text()
    page.get_by_role("textbox").fill("The parcel was a week late.")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Delivery speed").check()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Next").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you!"
    _healthy(w)

    (item,) = _feedback(page, live_server.url, shop_data["key"], "survey")
    answers = {a["key"]: a for a in item["answers"]}
    assert answers["nps"]["value"] == 3 and answers["fix_first"]["choices"] == ["delivery"]
    assert item["text"] == "The parcel was a week late."
    assert item["metadata"]["response_status"] == "completed"


@pytest.fixture
def shop_page(live_server, shop_data, tmp_path):
    """The shop's own web page, on another origin, with the widget's one <script> tag."""
    (tmp_path / "index.html").write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Shop</title></head><body>"
        "<h1>Thanks for your order</h1>"
        f"<script src='{live_server.url}/widget.js' data-site='{shop_data['site_key']}' async></script>"
        "</body></html>"
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def test_widget_on_a_shop_page_collects_a_response(live_server, open_page, shop_data, shop_page, artifacts):  # noqa: F811
    w = open_page(DESKTOP)
    page = w.page
    page.goto(shop_page)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "How likely are you to recommend us" in dialog.inner_text()
    dialog.get_by_role("radio", name="9").click()  # one score question: choosing sends the page
    dialog.get_by_role("textbox").fill("Quick delivery, nice linen.")
    page.screenshot(path=str(artifacts / "widget-desktop.png"))
    dialog.get_by_role("button", name="Send").click()
    page.get_by_text("We read every answer.").wait_for()
    _healthy(w)

    (item,) = _feedback(page, live_server.url, shop_data["key"], "web_widget")
    answers = {a["key"]: a for a in item["answers"]}
    assert answers["nps"]["value"] == 9 and answers["reason"]["text"] == "Quick delivery, nice linen."
    assert item["text"] == "Quick delivery, nice linen."
    assert item["metadata"]["via"] == "widget" and item["metadata"]["response_status"] == "completed"
