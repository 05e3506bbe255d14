"""Targets for metrics: status from the figure and its interval, periods, validation, the page and the API,
and workspaces kept apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxloop.core.exceptions import Conflict, ServiceError
from cxloop.customers.models import Customer
from cxloop.metrics import targets
from cxloop.metrics.models import MetricTarget
from cxloop.metrics.tests.test_engine import make

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)
IN_MAY = datetime(2026, 5, 10, 12, tzinfo=UTC)
IN_MARCH = datetime(2026, 3, 10, 12, tzinfo=UTC)


def nps_answers(ws, promoters, detractors, passives=0, at=IN_MAY, customer=None):
    for v, count in ((10, promoters), (0, detractors), (8, passives)):
        for _ in range(count):
            make(ws, ("nps", v), at=at, customer=customer)


def status_of(ws, goal, **kw):
    t = targets.target_save(workspace=ws, name=kw.pop("name", "NPS goal"), metric="nps", target=goal, **kw)
    return targets.target_status(target=t, now=NOW)


def test_status_follows_the_figure_and_its_interval(cast):
    ws = cast.workspace
    nps_answers(ws, promoters=24, detractors=8, passives=8)  # NPS 40 on 40 answers, CI about 17 to 58
    on = status_of(ws, 40, name="a")
    assert on.status == "on_track" and on.result.value == pytest.approx(40.0) and on.gap == pytest.approx(0.0)
    risk = status_of(ws, 50, name="b")
    assert risk.result.ci_high >= 50 and risk.status == "at_risk" and "not significantly" in risk.explanation
    off = status_of(ws, 70, name="c")
    assert off.result.ci_high < 70 and off.status == "off_track" and off.label == "Off track"


def test_too_few_and_no_data_give_no_verdict(cast):
    ws = cast.workspace
    assert status_of(ws, 10, name="empty").status == "no_data"
    nps_answers(ws, promoters=0, detractors=5)
    few = status_of(ws, 10, name="few")
    assert few.status == "too_few" and "5 answers" in few.explanation


def test_periods_and_slices(cast):
    ws = cast.workspace
    nw = Customer.objects.create(workspace=ws, region="North West")
    nps_answers(ws, promoters=0, detractors=40, at=IN_MARCH)  # last quarter: not in this quarter
    nps_answers(ws, promoters=40, detractors=0, at=IN_MAY, customer=nw)
    nps_answers(ws, promoters=0, detractors=40, at=IN_MAY)
    quarter = status_of(ws, 0, name="q", period="quarter")
    assert quarter.since == datetime(2026, 4, 1, tzinfo=UTC) and quarter.result.n == 80
    ninety = status_of(ws, 0, name="90", period="90d")
    assert ninety.since == NOW - timedelta(days=90) and ninety.result.n == 120
    month = status_of(ws, 0, name="m", period="month", filters={"region": "North West"})
    assert month.result.n == 40 and month.result.value == 100.0 and month.status == "on_track"


def test_bad_targets_are_refused_with_the_reason(cast):
    ws = cast.workspace
    for kwargs, field in [
        ({"metric": "volume", "target": 5}, "metric"),
        ({"metric": "nps", "target": 150}, "target"),
        ({"metric": "nps", "target": "lots"}, "target"),
        ({"metric": "nps", "target": float("nan")}, "target"),
        ({"metric": "nps", "target": 5, "period": "decade"}, "period"),
        ({"metric": "nps", "target": 5, "filters": {"colour": "red"}}, "filters"),
        ({"metric": "nps", "target": 5, "name": "  "}, "name"),
    ]:
        kwargs.setdefault("name", "x")
        with pytest.raises(ServiceError) as info:
            targets.target_save(workspace=ws, **kwargs)
        assert info.value.field == field
    targets.target_save(workspace=ws, name="Same", metric="csat", target=80)
    with pytest.raises(Conflict):
        targets.target_save(workspace=ws, name="Same", metric="csat", target=70)
    assert MetricTarget.objects.filter(workspace=ws).count() == 1


# -- the page ------------------------------------------------------------------------------------------------
def test_page_lists_targets_and_an_analyst_sets_one(cast, login):
    ws = cast.workspace
    nps_answers(ws, promoters=30, detractors=5, at=datetime.now(UTC) - timedelta(days=2))
    page = login(cast.analyst)
    assert "No targets yet" in page.get("/dashboards/targets/").content.decode()
    r = page.post(
        "/dashboards/targets/",
        {"name": "NPS this quarter", "metric": "nps", "target": "30", "period": "90d", "region": ""},
    )
    assert r.status_code == 302
    html = page.get("/dashboards/targets/").content.decode()
    assert "NPS this quarter" in html and "On track" in html
    bad = page.post(
        "/dashboards/targets/", {"name": "Too high", "metric": "nps", "target": "300", "period": "90d"}
    )
    assert bad.status_code == 422 and "between -100 and 100" in bad.content.decode()
    assert 'value="Too high"' in bad.content.decode()  # what was typed stays in the form


def test_a_viewer_sees_targets_but_cannot_set_or_remove_them(cast, login):
    t = targets.target_save(workspace=cast.workspace, name="CSAT", metric="csat", target=80)
    page = login(cast.viewer)
    html = page.get("/dashboards/targets/").content.decode()
    assert "CSAT" in html and "Set a target" not in html
    assert page.post("/dashboards/targets/", {"name": "x", "metric": "nps", "target": "1"}).status_code == 403
    assert page.post(f"/dashboards/targets/{t.pk}/delete/").status_code == 403
    assert MetricTarget.objects.filter(workspace=cast.workspace).count() == 1


def test_outsider_sees_and_removes_none_of_acme_targets(cast, login):
    t = targets.target_save(workspace=cast.workspace, name="Acme secret goal", metric="nps", target=30)
    page = login(cast.outsider)
    assert "Acme secret goal" not in page.get("/dashboards/targets/").content.decode()
    assert page.post(f"/dashboards/targets/{t.pk}/delete/").status_code == 404
    assert MetricTarget.objects.filter(pk=t.pk).exists()


# -- the API -------------------------------------------------------------------------------------------------
def test_api_create_list_change_delete(cast, api, acme_key):
    body = {
        "name": "NPS",
        "metric": "nps",
        "target": 20,
        "period": "quarter",
        "filters": {"channel": "email"},
    }
    r = api("post", "/api/v1/targets", key=acme_key, json=body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["status"] == "no_data" and created["filters"] == {"channel": "email"}
    assert api("post", "/api/v1/targets", key=acme_key, json=body).status_code == 409
    assert (
        api("post", "/api/v1/targets", key=acme_key, json={**body, "name": "x", "target": 999}).status_code
        == 400
    )
    changed = api("put", f"/api/v1/targets/{created['id']}", key=acme_key, json={**body, "target": 25}).json()
    assert changed["target"] == 25.0
    assert [t["name"] for t in api("get", "/api/v1/targets", key=acme_key).json()] == ["NPS"]
    assert api("delete", f"/api/v1/targets/{created['id']}", key=acme_key).status_code == 204
    assert api("get", "/api/v1/targets", key=acme_key).json() == []


def test_api_keys_of_another_workspace_see_and_change_nothing(cast, api, other_key):
    t = targets.target_save(workspace=cast.workspace, name="Acme goal", metric="nps", target=30)
    body = {"name": "Hijack", "metric": "nps", "target": 0}
    assert api("get", "/api/v1/targets", key=other_key).json() == []
    assert api("put", f"/api/v1/targets/{t.pk}", key=other_key, json=body).status_code == 404
    assert api("delete", f"/api/v1/targets/{t.pk}", key=other_key).status_code == 404
    assert (
        api("post", "/api/v1/targets", key=other_key, json={**body, "name": "Acme goal"}).status_code == 201
    )
    t.refresh_from_db()
    assert t.name == "Acme goal" and t.target == 30.0
    assert list(MetricTarget.objects.filter(workspace=cast.workspace).values_list("name", flat=True)) == [
        "Acme goal"
    ]
