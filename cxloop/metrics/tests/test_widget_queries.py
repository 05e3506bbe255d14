"""The query count of each widget of the default CX overview, pinned: every engine call is one query, the
latest verbatims (the overview's selector, with customer and reading) one query, the whole overview ten.
bench/metrics.py times the same widgets at 1,000,000 answers; a change of these counts changes its figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxloop.analysis.models import Enrichment, Theme, ThemeMention
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.metrics import engine
from cxloop.metrics.engine import MetricFilter, metric
from cxloop.metrics.selectors import latest_verbatims

SINCE = datetime(2025, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = MetricFilter(since=SINCE, until=UNTIL)

# (name, metric, group_by) of the overview's engine widgets
WIDGETS = [
    ("NPS overall", "nps", None),
    ("NPS by month", "nps", "month"),
    ("CSAT by month", "csat", "month"),
    ("CES by month", "ces", "month"),
    ("volume by channel", "volume", "channel"),
    ("sentiment by touchpoint", "sentiment", "touchpoint"),
    ("volume by theme", "volume", "theme"),
    ("NPS by segment", "nps", "segment"),
    pytest.param(
        "NPS by region",
        "nps",
        "region",
        marks=pytest.mark.skipif("region" not in engine.GROUPS, reason="the engine has no region group yet"),
    ),
]


def add_item(workspace, at, *, channel, touchpoint, customer, text="", sentiment="", scores=(), themes=()):
    item = FeedbackItem.objects.create(
        workspace=workspace,
        channel=channel,
        touchpoint=touchpoint,
        occurred_at=at,
        customer=customer,
        text=text,
    )
    for kind, value, high in scores:
        Answer.objects.create(
            workspace=workspace,
            item=item,
            key=kind,
            type=kind,
            value=value,
            scale_min=0 if kind == "nps" else 1,
            scale_max=high,
            occurred_at=at,
            channel=channel,
        )
    if text:
        Enrichment.objects.create(
            workspace=workspace, item=item, status="done" if sentiment else "pending", sentiment=sentiment
        )
    for theme, status in themes:
        ThemeMention.objects.create(workspace=workspace, item=item, theme=theme, status=status)
    return item


@pytest.fixture
def overview_data(cast):
    """Twelve items over two months in Acme (customers in two segments and regions, one anonymous; texts
    read or waiting; mentions of two-level themes, one rejected), and one item in Other Co."""
    ws = cast.workspace
    delivery = Theme.objects.create(workspace=ws, name="Delivery")
    late = Theme.objects.create(workspace=ws, name="Late delivery", parent=delivery)
    sizing = Theme.objects.create(workspace=ws, name="Sizing")
    smb = Customer.objects.create(workspace=ws, name="Ann", segment="SMB", region="North West")
    big = Customer.objects.create(workspace=ws, name="Bob", segment="Enterprise", region="DACH")
    start = datetime(2026, 3, 20, 12, tzinfo=UTC)
    items = []
    for i in range(12):
        items.append(
            add_item(
                ws,
                start + timedelta(days=2 * i),
                channel=("survey", "review", "chat")[i % 3],
                touchpoint=("delivery", "returns")[i % 2],
                customer=(smb, big, None)[i % 3],
                text="" if i % 4 == 3 else f"text {i}",
                sentiment=("positive", "negative", "neutral", "")[i % 4] if i != 6 else "",
                scores=[("nps", i % 11, 10), ("csat", 1 + i % 5, 5), ("ces", 1 + i % 7, 7)],
                themes=[(late, "suggested"), (sizing, "rejected" if i == 1 else "accepted")] if i % 2 else [],
            )
        )
    other = Customer.objects.create(workspace=cast.other_workspace, name="Eve", segment="SMB")
    add_item(
        cast.other_workspace,
        start + timedelta(days=40),
        channel="survey",
        touchpoint="delivery",
        customer=other,
        text="other tenant's newest text",
        sentiment="positive",
        scores=[("nps", 0, 10)],
    )
    return ws, items


@pytest.mark.parametrize(("name", "kind", "group_by"), WIDGETS)
def test_each_engine_widget_is_one_query(overview_data, django_assert_num_queries, name, kind, group_by):
    ws, _ = overview_data
    with django_assert_num_queries(1):
        result = metric(workspace=ws, metric=kind, filters=WINDOW, group_by=group_by)
    assert result.results, f"{name} found no data in the fixture"
    if kind == "volume" and group_by == "channel":
        assert sum(r.n for r in result.results) == 12  # the other workspace's item is not counted
    if kind == "nps" and group_by is None:
        assert result.results[0].n == 12


def test_the_theme_widget_labels_with_the_path_and_skips_rejected_mentions(overview_data):
    ws, _ = overview_data
    result = metric(workspace=ws, metric="volume", filters=WINDOW, group_by="theme")
    assert [(r.group, r.n) for r in result.results] == [("Delivery › Late delivery", 6), ("Sizing", 5)]


def test_latest_verbatims_are_one_query_with_customer_and_reading(overview_data, django_assert_num_queries):
    ws, items = overview_data
    with django_assert_num_queries(1):
        rows = latest_verbatims(workspace=ws, filters=WINDOW)
        shown = [(v.pk, v.customer.name if v.customer else "", v.reading_sentiment or "") for v in rows]
    with_text = [i for i in items if i.text]
    expected = sorted(with_text, key=lambda i: (i.occurred_at, i.pk), reverse=True)[:10]
    assert [pk for pk, _, _ in shown] == [i.pk for i in expected]
    assert shown[0] == (items[10].pk, "Bob", "neutral")  # item 11 has no text; Other Co's is not shown
    assert {pk: (c, s) for pk, c, s in shown}[items[6].pk] == ("Ann", "")  # waiting: no sentiment yet


def test_the_whole_overview_is_ten_queries(overview_data, django_assert_num_queries):
    ws, _ = overview_data
    widgets = [("nps", None), ("nps", "month"), ("csat", "month"), ("ces", "month"), ("volume", "channel")]
    widgets += [("sentiment", "touchpoint"), ("volume", "theme"), ("nps", "segment")]
    if "region" in engine.GROUPS:
        widgets.append(("nps", "region"))
    with django_assert_num_queries(len(widgets) + 1):
        for kind, group_by in widgets:
            metric(workspace=ws, metric=kind, filters=WINDOW, group_by=group_by)
        latest_verbatims(workspace=ws, filters=WINDOW)
