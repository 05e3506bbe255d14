"""The product's areas, in navigation order, with what each will do. Areas whose issue has not landed yet
render a page that says so plainly: no placeholder numbers, no fake content."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    slug: str
    label: str
    purpose: str
    built_by: str  # the issue that builds it
    ready: bool = False  # True once the area's own app serves its URL (it shadows the "not built yet" page)


AREAS = [
    Area(
        "inbox",
        "Inbox",
        "Every piece of feedback from every channel, newest first, with filters and search.",
        "issue #4",
        ready=True,
    ),
    Area(
        "customers",
        "Customers",
        "One profile per customer across channels: identities, attributes, timeline.",
        "issue #4",
        ready=True,
    ),
    Area(
        "surveys",
        "Surveys",
        "NPS, CSAT and CES surveys on links, in a website widget and by email.",
        "issue #5",
        ready=True,
    ),
    Area(
        "analytics",
        "Analytics",
        "Themes, sentiment and emotion of every text, read by local models.",
        "issues #6 and #7",
        ready=True,
    ),
    Area(
        "dashboards",
        "Dashboards",
        "The CX overview: NPS, CSAT and CES with confidence intervals and their changes, volume by channel, "
        "sentiment by touchpoint, NPS by region, rising themes and the latest verbatims, each linked to the "
        "feedback behind it.",
        "issue #7",
        ready=True,
    ),
    Area("cases", "Cases", "Rules that turn signals into cases with an owner and a deadline.", "issue #8"),
    Area(
        "journeys",
        "Journeys",
        "Journey maps that show where the experience breaks and what it costs.",
        "a later issue",
    ),
]
