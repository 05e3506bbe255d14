"""The metrics engine and GET /api/v1/metrics: hand-computed values, a random fixture against scipy, groups,
filters, one query per call, workspace isolation, and the API's shape and errors."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime

import pytest
from scipy import stats as sp

from cxloop.analysis.models import Enrichment, Theme, ThemeMention
from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.feedback.tests.helpers import assert_problem
from cxloop.metrics import stats
from cxloop.metrics.engine import MIN_N, MetricFilter, metric

JAN = datetime(2026, 1, 15, 12, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 12, tzinfo=UTC)
APR = datetime(2026, 4, 2, 12, tzinfo=UTC)


def make(
    workspace,
    *answers,
    channel="survey",
    source="",
    touchpoint="",
    at=JAN,
    customer=None,
    sentiment="",
    themes=(),
):
    """One item with answers given as (type, value) or (type, value, scale_min, scale_max)."""
    item = FeedbackItem.objects.create(
        workspace=workspace,
        channel=channel,
        source=source,
        touchpoint=touchpoint,
        occurred_at=at,
        customer=customer,
    )
    for i, spec in enumerate(answers):
        kind, value, *scale = spec
        Answer.objects.create(
            workspace=workspace,
            item=item,
            key=f"{kind}{i}",
            type=kind,
            value=value,
            scale_min=scale[0] if scale else None,
            scale_max=scale[1] if scale else None,
            occurred_at=at,
            channel=channel,
        )
    if sentiment:
        Enrichment.objects.create(workspace=workspace, item=item, status="done", sentiment=sentiment)
    for theme, status in themes:
        ThemeMention.objects.create(workspace=workspace, item=item, theme=theme, status=status)
    return item


def one(workspace, name, filters=None, group_by=None):
    return metric(
        workspace=workspace, metric=name, filters=filters or MetricFilter(), group_by=group_by
    ).results


# -- hand-computed values ------------------------------------------------------------------------------------
def test_all_promoters_give_nps_100_with_the_adjusted_wald_interval(cast):
    for _ in range(5):
        make(cast.workspace, ("nps", 10))
    [row] = one(cast.workspace, "nps")
    # adjusted Wald by hand: pP = 5.75/8, pD = 0.75/8, var = (pP(1-pP) + pD(1-pD) + 2 pP pD) / 8
    p_pro, p_det = 5.75 / 8, 0.75 / 8
    var = (p_pro * (1 - p_pro) + p_det * (1 - p_det) + 2 * p_pro * p_det) / 8
    centre = p_pro - p_det
    assert row.value == 100.0 and row.n == 5 and row.too_few
    assert row.ci_low == pytest.approx(100 * (centre - 1.959964 * math.sqrt(var)), abs=1e-4)
    assert row.ci_high == 100.0  # clamped
    assert row.extra == {"promoters": 100.0, "detractors": 0.0}


def test_one_answer_and_no_answers(cast):
    assert one(cast.workspace, "nps") == []
    assert one(cast.workspace, "rating", group_by="month") == []
    assert one(cast.workspace, "volume") == []
    make(cast.workspace, ("nps", 3), ("rating", 4))
    [nps_row] = one(cast.workspace, "nps")
    assert (nps_row.value, nps_row.n, nps_row.too_few) == (-100.0, 1, True)
    [rating] = one(cast.workspace, "rating")
    assert (rating.value, rating.ci_low, rating.ci_high, rating.n) == (4.0, None, None, 1)


def test_csat_top_two_box_of_each_answers_scale_and_the_mean(cast):
    # 1–5 scale: 4 and 5 count; 1–7 scale: 6 and 7 count; no scale: 1–5
    for value, scale in [(5, (1, 5)), (4, (1, 5)), (3, (1, 5)), (6, (1, 7)), (5, (1, 7)), (4, ())]:
        make(cast.workspace, ("csat", value, *scale))
    [row] = one(cast.workspace, "csat")
    expected = stats.wilson(4, 6).scaled(100.0)  # 5, 4, 6 and the unscaled 4
    assert (row.value, row.ci_low, row.ci_high, row.n) == pytest.approx(
        (expected.value, expected.low, expected.high, 6)
    )
    mean = stats.mean_from_values([5, 4, 3, 6, 5, 4])
    assert row.extra["mean"] == pytest.approx(mean.value)
    assert row.extra["mean_ci_low"] == pytest.approx(mean.low)


def test_ces_mean_and_easy_share(cast):
    values = [7, 6, 5, 4, 2, 1]  # 1–7: 5..7 are easy
    for v in values:
        make(cast.workspace, ("ces", v, 1, 7))
    make(cast.workspace, ("ces", 4, 1, 5))  # 1–5: 4..5 easy
    [row] = one(cast.workspace, "ces")
    mean = stats.mean_from_values([*values, 4])
    assert (row.value, row.ci_low, row.ci_high) == pytest.approx((mean.value, mean.low, mean.high))
    easy = stats.wilson(4, 7).scaled(100.0)
    assert row.extra["easy"] == pytest.approx(easy.value)
    assert row.extra["easy_ci_high"] == pytest.approx(easy.high)


def test_volume_and_sentiment_index(cast):
    for s in ["positive"] * 3 + ["neutral"] * 2 + ["negative"]:
        make(cast.workspace, sentiment=s)
    make(cast.workspace)  # not read yet: counts in volume only
    [volume] = one(cast.workspace, "volume")
    assert (volume.value, volume.n, volume.ci_low, volume.too_few) == (7.0, 7, None, False)
    [row] = one(cast.workspace, "sentiment")
    expected = stats.nps(3, 2, 1)
    assert (row.value, row.ci_low, row.ci_high, row.n) == pytest.approx(
        (100 * 2 / 6, expected.low, expected.high, 6)
    )


def test_too_few_below_min_n(cast):
    for i in range(MIN_N):
        make(cast.workspace, ("rating", i % 5 + 1), channel="email" if i else "chat")
    rows = {r.group: r for r in one(cast.workspace, "rating", group_by="channel")}
    assert rows["email"].too_few and rows["email"].value is not None  # 29 answers: shown, flagged
    [total] = one(cast.workspace, "rating")
    assert total.n == MIN_N and not total.too_few


# -- a random fixture against scipy --------------------------------------------------------------------------
def test_random_fixture_matches_scipy_and_stats(cast):
    rng = random.Random(7)
    ratings, nps_scores = [], []
    for _ in range(120):
        r, s = rng.randint(1, 5), rng.randint(0, 10)
        ratings.append(r)
        nps_scores.append(s)
        make(cast.workspace, ("rating", r), ("nps", s))
    [row] = one(cast.workspace, "rating")
    mean = sum(ratings) / len(ratings)
    low, high = sp.t.interval(0.95, len(ratings) - 1, loc=mean, scale=sp.sem(ratings))
    assert row.value == pytest.approx(mean)
    assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-3)
    [nps_row] = one(cast.workspace, "nps")
    expected = stats.nps_from_scores({s: nps_scores.count(s) for s in set(nps_scores)})
    assert (nps_row.value, nps_row.ci_low, nps_row.ci_high, nps_row.n) == pytest.approx(
        (expected.value, expected.low, expected.high, 120)
    )


# -- groups --------------------------------------------------------------------------------------------------
def test_group_by_month_quarter_week_and_channel(cast):
    make(cast.workspace, ("nps", 10), at=JAN, channel="email")
    make(cast.workspace, ("nps", 0), at=JAN, channel="chat")
    make(cast.workspace, ("nps", 9), at=FEB, channel="email")
    make(cast.workspace, ("nps", 8), at=APR, channel="email")
    months = one(cast.workspace, "nps", group_by="month")
    assert [(r.group, r.value, r.n) for r in months] == [
        ("2026-01", 0.0, 2),
        ("2026-02", 100.0, 1),
        ("2026-04", 0.0, 1),
    ]
    quarters = one(cast.workspace, "nps", group_by="quarter")
    assert [(r.group, r.n) for r in quarters] == [("2026-Q1", 3), ("2026-Q2", 1)]
    weeks = one(cast.workspace, "nps", group_by="week")
    assert weeks[0].group == "2026-01-12"  # the Monday of 2026-01-15
    channels = one(cast.workspace, "nps", group_by="channel")
    assert [(r.group, r.n) for r in channels] == [("email", 3), ("chat", 1)]


def test_months_start_in_the_workspaces_time_zone(cast):
    cast.workspace.timezone = "Europe/Berlin"
    cast.workspace.save()
    make(cast.workspace, ("nps", 10), at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))  # 1 Feb in Berlin
    result = metric(workspace=cast.workspace, metric="nps", filters=MetricFilter(), group_by="month")
    assert result.time_zone == "Europe/Berlin"
    assert [r.group for r in result.results] == ["2026-02"]


def test_group_by_segment_source_touchpoint_and_theme(cast):
    ws = cast.workspace
    smb = Customer.objects.create(workspace=ws, segment="smb")
    delivery = Theme.objects.create(workspace=ws, name="Delivery")
    late = Theme.objects.create(workspace=ws, name="Late", parent=delivery)
    price = Theme.objects.create(workspace=ws, name="Price")
    make(ws, ("rating", 5), customer=smb, source="app", touchpoint="checkout", themes=[(late, "accepted")])
    make(ws, ("rating", 3), customer=smb, source="app", themes=[(late, "suggested"), (price, "accepted")])
    make(ws, ("rating", 1), source="web", themes=[(price, "rejected")])
    seg = {r.group: (r.value, r.n) for r in one(ws, "rating", group_by="segment")}
    assert seg == {"smb": (4.0, 2), "": (1.0, 1)}
    src = {r.group: r.n for r in one(ws, "rating", group_by="source")}
    assert src == {"app": 2, "web": 1}
    tp = {r.group: r.n for r in one(ws, "rating", group_by="touchpoint")}
    assert tp == {"checkout": 1, "": 2}
    themes = {r.group: (r.value, r.n) for r in one(ws, "rating", group_by="theme")}
    assert themes == {"Delivery › Late": (4.0, 2), "Price": (3.0, 1)}  # the rejected mention is not counted
    vol = {r.group: r.n for r in one(ws, "volume", group_by="theme")}
    assert vol == {"Delivery › Late": 2, "Price": 1}


# -- filters -------------------------------------------------------------------------------------------------
def test_filters_theme_with_sub_themes_sentiment_channel_time_segment(cast):
    ws = cast.workspace
    vip = Customer.objects.create(workspace=ws, segment="vip")
    delivery = Theme.objects.create(workspace=ws, name="Delivery")
    late = Theme.objects.create(workspace=ws, name="Late", parent=delivery)
    a = ("nps", 10)
    make(ws, a, channel="email", sentiment="positive", themes=[(late, "accepted")], customer=vip)
    make(ws, ("nps", 0), channel="chat", sentiment="negative", themes=[(delivery, "suggested")], at=FEB)
    make(ws, ("nps", 0), channel="chat", sentiment="negative", themes=[(late, "rejected")], source="x")

    def n(**kw):
        rows = one(ws, "nps", MetricFilter(**kw))
        return rows[0].n if rows else 0

    assert n() == 3
    assert n(theme_id=delivery.pk) == 2  # the theme and its sub-theme; the rejected mention does not count
    assert n(theme_id=late.pk) == 1
    assert n(sentiment="negative") == 2
    assert n(channel="chat") == 2
    assert n(source="x") == 1
    assert n(segment="vip") == 1
    assert n(since=FEB) == 1
    assert n(until=FEB) == 2
    assert n(channel="chat", theme_id=delivery.pk, sentiment="negative") == 1
    assert one(ws, "sentiment", MetricFilter(theme_id=delivery.pk))[0].n == 2


def test_unknown_choices_are_refused_with_the_list(cast):
    with pytest.raises(ServiceError, match="nps, csat, ces, rating, volume, sentiment"):
        one(cast.workspace, "eNPS")
    with pytest.raises(ServiceError, match="channel, source"):
        one(cast.workspace, "nps", group_by="hour")
    with pytest.raises(ServiceError, match="positive, neutral, negative"):
        one(cast.workspace, "nps", MetricFilter(sentiment="angry"))


# -- one query per call --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["nps", "csat", "ces", "rating", "volume", "sentiment"])
@pytest.mark.parametrize("group_by", [None, "channel", "segment", "theme", "week", "month", "quarter"])
def test_one_query_per_call_whatever_the_data(cast, django_assert_num_queries, name, group_by):
    ws = cast.workspace
    theme = Theme.objects.create(workspace=ws, name="Price")
    customer = Customer.objects.create(workspace=ws, segment="smb")
    for i in range(12):
        make(
            ws,
            (name if name in ("nps", "csat", "ces", "rating") else "rating", i % 5 + 1),
            channel=["email", "chat"][i % 2],
            at=[JAN, FEB, APR][i % 3],
            customer=customer if i % 3 else None,
            sentiment=["positive", "neutral", "negative"][i % 3],
            themes=[(theme, "accepted")],
        )
    filters = MetricFilter(since=JAN, theme_id=theme.pk, sentiment="positive", segment="smb", channel="email")
    with django_assert_num_queries(1):
        metric(workspace=ws, metric=name, filters=MetricFilter(), group_by=group_by)
    with django_assert_num_queries(1):
        metric(workspace=ws, metric=name, filters=filters, group_by=group_by)


# -- isolation -----------------------------------------------------------------------------------------------
def test_other_workspaces_rows_never_count_even_with_acme_theme_ids(cast, api, acme_key, other_key):
    acme, other = cast.workspace, cast.other_workspace
    theme = Theme.objects.create(workspace=acme, name="Price")
    smb = Customer.objects.create(workspace=acme, segment="smb")
    for _ in range(3):
        make(
            acme,
            ("nps", 0),
            ("csat", 1),
            ("ces", 1),
            ("rating", 1),
            customer=smb,
            sentiment="negative",
            themes=[(theme, "accepted")],
        )
    make(other, ("nps", 10), ("rating", 5), sentiment="positive")
    stores = (FeedbackItem.objects.count(), Answer.objects.count(), ThemeMention.objects.count())
    for name in ("nps", "csat", "ces", "rating", "volume", "sentiment"):
        for group_by in ("", "theme", "segment", "month"):
            query = f"/api/v1/metrics?metric={name}&group_by={group_by}"
            body = json.loads(api("get", query, key=other_key).content)
            assert all(r["n"] <= 1 for r in body["results"]), (name, group_by, body)
            theme_query = f"{query}&theme_id={theme.pk}&segment=smb"
            assert json.loads(api("get", theme_query, key=other_key).content)["results"] == []
            acme_rows = json.loads(api("get", query, key=acme_key).content)["results"]
            assert acme_rows and all(r["n"] == 3 for r in acme_rows), (name, group_by, acme_rows)
    [acme_nps] = one(acme, "nps")
    assert acme_nps.value == -100.0
    [other_nps] = one(other, "nps", MetricFilter(theme_id=None))
    assert (other_nps.value, other_nps.n) == (100.0, 1)
    assert (FeedbackItem.objects.count(), Answer.objects.count(), ThemeMention.objects.count()) == stores


# -- the API -------------------------------------------------------------------------------------------------
def test_api_shape(cast, api, acme_key):
    make(cast.workspace, ("nps", 10), at=JAN, channel="email")
    make(cast.workspace, ("nps", 0), at=FEB, channel="email")
    make(cast.workspace, ("nps", 9), at=FEB, channel="chat")
    r = api(
        "get",
        "/api/v1/metrics?metric=nps&group_by=month&since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z"
        "&channel=email",
        key=acme_key,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["metric"] == "nps" and body["group_by"] == "month" and body["time_zone"] == "UTC"
    assert [(x["group"], x["value"], x["n"], x["too_few"]) for x in body["results"]] == [
        ("2026-01", 100.0, 1, True),
        ("2026-02", -100.0, 1, True),
    ]
    assert set(body["results"][0]) == {
        "group",
        "value",
        "ci_low",
        "ci_high",
        "n",
        "too_few",
        "extra",
        "group2",
    }
    assert body["results"][0]["group2"] is None and body["then_by"] is None
    assert api("get", "/api/v1/metrics?metric=volume", key=acme_key).json()["results"][0]["value"] == 3.0


def test_api_errors(cast, api, acme_key, make_key):
    problem = assert_problem(api("get", "/api/v1/metrics?metric=happiness", key=acme_key), 400)
    assert "nps, csat, ces, rating, volume, sentiment" in problem["detail"]
    problem = assert_problem(api("get", "/api/v1/metrics?metric=nps&group_by=hour", key=acme_key), 400)
    assert "week, month, quarter" in problem["detail"]
    assert_problem(api("get", "/api/v1/metrics", key=acme_key), 422)
    assert_problem(api("get", "/api/v1/metrics?metric=nps&since=yesterday", key=acme_key), 422)
    assert_problem(api("get", "/api/v1/metrics?metric=nps"), 401)
    read_only = make_key(cast.workspace, ["read"])
    assert api("get", "/api/v1/metrics?metric=nps", key=read_only).status_code == 200


def test_api_query_count_does_not_grow_with_the_answers(cast, api, acme_key):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/api/v1/metrics?metric=csat&group_by=month&channel=email"
    make(cast.workspace, ("csat", 5), channel="email")
    api("get", url, key=acme_key)  # the key's first use is recorded once; count the calls after it
    with CaptureQueriesContext(connection) as few:
        assert api("get", url, key=acme_key).status_code == 200
    for i in range(40):
        make(cast.workspace, ("csat", i % 5 + 1), channel="email", at=[JAN, FEB, APR][i % 3])
    with CaptureQueriesContext(connection) as many:
        assert api("get", url, key=acme_key).json()["results"][-1]["n"] > 1
    metric_queries = [q for q in many.captured_queries if "feedback_answer" in q["sql"]]
    assert len(many) == len(few) and len(metric_queries) == 1
