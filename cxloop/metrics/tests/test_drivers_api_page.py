"""GET /api/v1/drivers and the Dashboards › Key drivers page: the service's figures in JSON and on the page,
clear errors, the empty and too-few messages, workspace isolation and a query count that stays put."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cxloop.analysis.models import Theme, ThemeMention
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.feedback.tests.helpers import assert_problem
from cxloop.metrics import drivers
from cxloop.metrics.tests.test_drivers import add_items, synthetic

pytestmark = pytest.mark.django_db

URL = "/dashboards/drivers/"
# the shell (session, user, membership, the workspace switcher, unread notifications: about 5) and the
# analysis (outcome answers, their customers, other numeric answers, themes, theme mentions: 5, pinned in
# test_drivers.py), with room for one more query of the shell
PAGE_QUERIES = 11


def recent(cast, n=400):
    return synthetic(cast.workspace, n=n, at=timezone.now() - timedelta(days=2))


# -- the API -------------------------------------------------------------------------------------------------
def test_api_answers_the_services_figures(cast, api, acme_key):
    recent(cast)
    body = api("get", "/api/v1/drivers?outcome=nps", key=acme_key).json()
    result = drivers.key_drivers(workspace=cast.workspace, outcome="nps")
    assert (body["outcome"], body["n"], body["k"], body["too_few"]) == ("nps", 400, 2, False)
    assert body["r2"] == pytest.approx(result.r2) and body["adjusted_r2"] == pytest.approx(result.adjusted_r2)
    assert body["method"] == result.method
    assert [d["name"] for d in body["drivers"]] == ["Delivery", "Price"]
    delivery = body["drivers"][0]
    assert delivery["theme_id"] == Theme.objects.get(workspace=cast.workspace, name="Delivery").pk
    assert delivery["quadrant"] == "Fix now" and delivery["direction"] == "down"
    assert sum(d["share"] for d in body["drivers"]) == pytest.approx(100.0)
    assert body["revenue_known"] is False and delivery["revenue_at_risk"] is None


def test_api_filters_by_period_channel_and_customer_columns(cast, api, acme_key):
    recent(cast)
    gold = Customer.objects.create(workspace=cast.workspace, plan="gold", lifetime_value=Decimal("10"))
    add_items(cast.workspace, [{"nps": 3.0, "customer": gold} for _ in range(5)], channel="email")
    assert api("get", "/api/v1/drivers", key=acme_key).json()["n"] == 405  # outcome defaults to nps
    assert api("get", "/api/v1/drivers?channel=email", key=acme_key).json()["n"] == 5
    assert api("get", "/api/v1/drivers?plan=gold", key=acme_key).json()["n"] == 5
    future = (timezone.now() + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    body = api("get", f"/api/v1/drivers?since={future}", key=acme_key).json()
    assert (body["n"], body["drivers"], body["reason"]) == (0, [], "No NPS answers in this selection.")


def test_api_unknown_outcome_is_a_400_problem_naming_the_choices(cast, api, acme_key):
    body = assert_problem(api("get", "/api/v1/drivers?outcome=ces", key=acme_key), 400)
    assert body["field"] == "outcome" and "nps, csat" in body["detail"]
    assert_problem(api("get", "/api/v1/drivers?sentiment=angry", key=acme_key), 400)
    assert api("get", "/api/v1/drivers").status_code == 401


def test_api_is_documented_in_the_schema(api):
    schema = api("get", "/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/drivers"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert {"outcome", "since", "until", "channel", "segment", "region", "plan", "theme_id"} <= params.keys()
    assert "nps, csat" in params["outcome"]["description"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    out = schema["components"]["schemas"][ref]["properties"]
    assert "Shapley" in json.dumps(schema["components"]["schemas"]["DriverOut"])
    assert {"n", "r2", "adjusted_r2", "method", "drivers", "too_few"} <= out.keys()


# -- isolation -----------------------------------------------------------------------------------------------
def test_other_workspace_never_sees_acme_drivers(cast, api, acme_key, other_key, login):
    recent(cast)
    delivery = Theme.objects.get(workspace=cast.workspace, name="Delivery")
    stores = (FeedbackItem.objects.count(), Answer.objects.count(), ThemeMention.objects.count())
    for query in ("", "?outcome=csat", f"?theme_id={delivery.pk}", "?channel=survey"):
        body = api("get", f"/api/v1/drivers{query}", key=other_key).json()
        assert (body["n"], body["drivers"], body["r2"]) == (0, [], None), query
    assert api("get", f"/api/v1/drivers?theme_id={delivery.pk}", key=acme_key).json()["n"] > 0
    page = login(cast.outsider)
    for params in ({}, {"period": "all"}, {"outcome": "csat"}, {"theme": str(delivery.pk)}):
        response = page.get(URL, params)
        assert response.status_code == 200 and response.context["result"].n == 0
        html = response.content.decode()
        assert "Delivery" not in html and "Price" not in html and f"?theme={delivery.pk}" not in html
    assert (FeedbackItem.objects.count(), Answer.objects.count(), ThemeMention.objects.count()) == stores


# -- the page ------------------------------------------------------------------------------------------------
def test_page_shows_the_matrix_and_the_table_for_a_member(cast, login):
    recent(cast)
    delivery = Theme.objects.get(workspace=cast.workspace, name="Delivery")
    response = login(cast.viewer).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    result = response.context["result"]
    assert "<title>Key drivers" in html and result.n == 400 and result.k == 2
    assert f'<a href="/inbox/?theme={delivery.pk}">Delivery</a>' in html
    assert "Shapley decomposition of R² (LMG)" in html
    assert f"{result.r2:.3f}" in html and f"{result.adjusted_r2:.3f}" in html
    assert "<svg" in html and "Driver matrix of NPS" in html and "Data table: Driver matrix" in html
    for quadrant in ("Fix now", "Keep", "Maintain", "Low priority"):
        assert quadrant in html
    assert "too few answers" not in html
    assert 'style="' not in html and "<script>" not in html


def test_page_choices_and_junk_in_the_query(cast, login):
    recent(cast)
    old = timezone.now() - timedelta(days=200)
    add_items(cast.workspace, [{"nps": 0.0} for _ in range(20)], at=old, channel="email")
    page = login(cast.agent)
    assert page.get(URL).context["result"].n == 400  # last 90 days by default
    assert page.get(URL, {"period": "12m"}).context["result"].n == 420
    assert page.get(URL, {"period": "all", "channel": "email"}).context["result"].n == 20
    response = page.get(URL, {"outcome": "<b>", "period": "x", "channel": "nope"})
    assert response.status_code == 200
    assert (response.context["outcome"], response.context["period"], response.context["channel"]) == (
        "nps",
        "90",
        "",
    )
    csat = page.get(URL, {"outcome": "csat"})
    assert "No CSAT answers in this selection." in csat.content.decode()


def test_empty_workspace_says_so(cast, login):
    response = login(cast.owner).get(URL)
    html = response.content.decode()
    assert response.status_code == 200 and "No drivers to show" in html
    assert "No NPS answers in this selection." in html and "<svg" not in html


def test_too_few_answers_are_flagged_on_the_page(cast, login):
    recent(cast, n=80)
    html = login(cast.analyst).get(URL).content.decode()
    assert "too few answers" in html and "Only 80 items answering NPS" in html
    assert "<svg" in html  # still computed and shown


def test_revenue_at_risk_is_shown(cast, login):
    delivery = Theme.objects.create(workspace=cast.workspace, name="Delivery")
    rich = Customer.objects.create(workspace=cast.workspace, lifetime_value=Decimal("12345"))
    now = timezone.now() - timedelta(days=1)
    rows = [{"nps": 2.0, "customer": rich, "themes": [(delivery, "accepted")]}]
    rows += [
        {"nps": 9.0 if i % 2 else 4.0, "themes": [(delivery, "accepted")] if i % 3 else []} for i in range(99)
    ]
    add_items(cast.workspace, rows, at=now)
    html = login(cast.viewer).get(URL).content.decode()
    assert "12,345" in html and "(1 customer)" in html


def test_outsider_without_membership_and_anonymous(cast, client):
    assert client.get(URL).status_code == 302  # to the login page


def test_query_count_does_not_grow_with_themes_or_items(cast, login, django_assert_max_num_queries):
    recent(cast, n=120)
    page = login(cast.viewer)
    with django_assert_max_num_queries(PAGE_QUERIES) as few:
        assert page.get(URL).status_code == 200
    for i in range(10):
        Theme.objects.create(workspace=cast.workspace, name=f"More {i}")
    recent_more = [{"nps": 5.0, "answers": {"ease": ("ces", 4.0)}} for _ in range(100)]
    add_items(cast.workspace, recent_more, at=timezone.now() - timedelta(days=1))
    with django_assert_max_num_queries(PAGE_QUERIES) as many:
        assert page.get(URL).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
