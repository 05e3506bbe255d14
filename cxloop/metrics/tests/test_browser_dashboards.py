"""Dashboards in a real browser (Debian's Chromium, headless): the overview, its drill-down to the Inbox, the
Explorer and Key drivers load without a console error or CSP violation, and a click on a card's
"Detractors" link lands on exactly those answers in the Inbox.

Screenshots in $CXLOOP_ARTIFACTS: dashboards-overview.png, dashboards-drilldown.png, dashboards-explorer.png,
dashboards-drivers.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cxloop.web.tests.test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PASSWORD,
    _assert_healthy,
    _log_in,
    artifacts,
    browser,
    open_page,
    owner,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(owner):  # noqa: F811
    """40 NPS answers of the last two weeks: North West customers are the 12 detractors."""
    from cxloop.accounts.models import Workspace
    from cxloop.customers.models import Customer
    from cxloop.feedback.models import Answer, FeedbackItem

    ws = Workspace.objects.get(name="Acme Browser Co")
    north = Customer.objects.create(workspace=ws, name="Nora North", region="North West", segment="retail")
    south = Customer.objects.create(workspace=ws, name="Sam South", region="South East", segment="retail")
    now = timezone.now()
    for i in range(40):
        detractor = i < 12
        at = now - timedelta(days=1 + i % 13, hours=i)
        item = FeedbackItem.objects.create(
            workspace=ws,
            channel="survey",
            source="Relationship NPS",
            touchpoint="overall",
            occurred_at=at,
            customer=north if detractor else south,
            text=f"Parcel {i} was late again" if detractor else f"Lovely service, order {i}",
        )
        Answer.objects.create(
            workspace=ws,
            item=item,
            key="nps",
            type="nps",
            value=2 if detractor else 10,
            scale_min=0,
            scale_max=10,
            occurred_at=at,
            channel="survey",
        )
    return ws


def test_overview_drills_down_to_the_detractors_in_the_inbox(live_server, shop, open_page, artifacts):  # noqa: F811
    w = open_page(DESKTOP)
    _log_in(w, live_server.url, "owner@browser.example", PASSWORD)
    page = w.page
    page.goto(f"{live_server.url}/dashboards/?period=30")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboards · Overview"
    card = page.locator(".ov-card").filter(has_text="NPS").first
    assert "+40" in card.inner_text()  # 28 promoters, 12 detractors of 40: NPS +40
    assert "n=40" in card.inner_text()
    page.wait_for_load_state("networkidle")  # nothing in flight when the click navigates away
    page.screenshot(path=str(artifacts / "dashboards-overview.png"), full_page=True)
    _assert_healthy(w)

    card.get_by_role("link", name="Detractors (0–6)").click()
    page.wait_for_load_state("load")
    assert "/inbox/" in page.url
    chips = page.get_by_role("list", name="Active filters").inner_text()
    assert "6" in chips  # the score range the card's link carries
    body = page.locator("main").inner_text()
    assert "late again" in body and "Lovely service" not in body
    assert body.count("NPS 2") == 12  # each row shows its score
    page.screenshot(path=str(artifacts / "dashboards-drilldown.png"), full_page=True)
    _assert_healthy(w)


def test_explorer_and_key_drivers_render_their_charts(live_server, shop, open_page, artifacts):  # noqa: F811
    w = open_page(DESKTOP)
    _log_in(w, live_server.url, "owner@browser.example", PASSWORD)
    page = w.page
    page.goto(f"{live_server.url}/dashboards/explorer/?metric=nps&group_by=region&period=30")
    assert page.locator("figure.chart svg").count() >= 1
    table = page.locator("table.explorer-table").inner_text()
    assert "North West" in table and "South East" in table
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "dashboards-explorer.png"), full_page=True)
    _assert_healthy(w)

    page.goto(f"{live_server.url}/dashboards/drivers/?outcome=nps&period=90")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboards · Key drivers"
    page.screenshot(path=str(artifacts / "dashboards-drivers.png"), full_page=True)
    _assert_healthy(w)
