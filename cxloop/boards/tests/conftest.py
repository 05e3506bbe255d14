"""A small hand-counted shop for the dashboards' tests (Acme), July 2026 against June 2026.

July: 40 NPS answers: 20 promoters (10) and 10 passives (8) from Sam East (South East, segment regular,
country FR, plan basic) on the product touchpoint by survey, and 10 detractors (3) from Nora West (North
West, vip, UK, pro) on the delivery touchpoint by ticket, each with a negative text: NPS +25. June: 40
promoters (NPS +100). 12 CSAT answers in July (8 top-2): too few. 25 texts in July mention "Sizing runs
small" (read, neutral); 30 read texts in June mention nothing. One item in May."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxloop.analysis.models import Enrichment, Theme, ThemeMention
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem

JULY = {"period": "custom", "since": "2026-07-01", "until": "2026-07-31"}
JUNE_JULY = {"period": "custom", "since": "2026-06-01", "until": "2026-07-31"}


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def make(workspace, when, *answers, channel="survey", touchpoint="", customer=None, text="", sentiment="",
         themes=()):  # fmt: skip
    item = FeedbackItem.objects.create(
        workspace=workspace, channel=channel, touchpoint=touchpoint, occurred_at=when, customer=customer,
        text=text,
    )  # fmt: skip
    for i, (kind, value) in enumerate(answers):
        scale = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kind]
        Answer.objects.create(
            workspace=workspace, item=item, key=f"{kind}{i}", type=kind, value=value, scale_min=scale[0],
            scale_max=scale[1], occurred_at=when, channel=channel,
        )  # fmt: skip
    if sentiment:
        Enrichment.objects.create(workspace=workspace, item=item, status="done", sentiment=sentiment)
    for theme in themes:
        ThemeMention.objects.create(workspace=workspace, item=item, theme=theme, status="suggested")
    return item


@pytest.fixture
def shop(cast):
    ws = cast.workspace
    nw = Customer.objects.create(
        workspace=ws, region="North West", segment="vip", country="UK", plan="pro", name="Nora West"
    )
    se = Customer.objects.create(
        workspace=ws, region="South East", segment="regular", country="FR", plan="basic", name="Sam East"
    )
    sizing = Theme.objects.create(workspace=ws, name="Sizing runs small")
    make(ws, at("2026-05-10"), text="An early word")
    for i in range(20):
        make(ws, at("2026-07-03") + timedelta(hours=i), ("nps", 10), customer=se, touchpoint="product")
    for i in range(10):
        make(ws, at("2026-07-10") + timedelta(hours=i), ("nps", 8), customer=se, touchpoint="product")
    for i in range(10):
        make(
            ws, at("2026-07-20") + timedelta(hours=i), ("nps", 3), channel="ticket", customer=nw,
            touchpoint="delivery", text=f"Parcel {i} arrived a week late", sentiment="negative",
        )  # fmt: skip
    for i in range(40):
        make(ws, at("2026-06-05") + timedelta(hours=i), ("nps", 10), customer=se)
    for i in range(12):
        make(ws, at("2026-07-05") + timedelta(hours=i), ("csat", 5 if i % 3 else 2))
    for i in range(25):
        make(
            ws, at("2026-07-15") + timedelta(hours=i), text=f"The linen shirt {i} runs small",
            sentiment="neutral", themes=[sizing],
        )  # fmt: skip
    for i in range(30):
        make(ws, at("2026-06-12") + timedelta(hours=i), text=f"Lovely jumper {i}", sentiment="positive")
    return {"nw": nw, "se": se, "sizing": sizing}


@pytest.fixture
def member_of(cast):
    """member_of(role) -> the Membership of that role in Acme (the outsider: in Other Co)."""
    from cxloop.accounts.models import Membership

    def _member(role: str):
        user = cast.user(role)
        workspace = cast.other_workspace if role == "outsider" else cast.workspace
        return Membership.objects.select_related("workspace", "user").get(workspace=workspace, user=user)

    return _member


@pytest.fixture
def board_with(member_of):
    """board_with(*widget specs, role="analyst", shared=True, **board fields) -> a dashboard with them."""
    from cxloop.boards import services

    def _board(*specs, role="analyst", shared=True, name="Ops", filters=None):
        member = member_of(role)
        board = services.dashboard_create(member=member, name=name, shared=shared, filters=filters)
        for spec in specs:
            services.widget_add(member=member, dashboard=board, **spec)
        return board

    return _board
