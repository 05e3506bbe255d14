"""The demo seed's steps, in order. Later features append theirs to STEPS."""

from __future__ import annotations

from cxloop.accounts.models import Membership, User, Workspace
from cxloop.accounts.roles import Role
from cxloop.accounts.services import user_create, workspace_create

from .seed import DemoContext
from .shoppers import seed_customers, seed_events
from .survey_responses import seed_surveys
from .voices import seed_feedback

COMPANY_NAME = "Hearth & Thread"
COMPANY_SLUG = "hearth-and-thread"
DOMAIN = "hearthandthread.example"

# One person per role, so every role can be tried from the login page.
PEOPLE = [
    (Role.OWNER, "maya", "Maya Chen"),
    (Role.ADMIN, "tom", "Tom Berger"),
    (Role.ANALYST, "priya", "Priya Nair"),
    (Role.AGENT, "luis", "Luis Romero"),
    (Role.VIEWER, "ella", "Ella Stone"),
]


def company(ctx: DemoContext) -> None:
    """The demo company, an online retailer of fashion and home goods, and one user for each role.

    Runs every time (cheaply) so that later steps get the workspace and users in their context.
    """
    users: dict[str, User] = {}
    for role, local, name in PEOPLE:
        email = f"{local}@{DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(email=email, password=ctx.password, name=name)
        elif ctx.password_is_new:
            user.set_password(ctx.password)
            user.save(update_fields=["password"])
        users[role] = user
    workspace = Workspace.objects.filter(slug=COMPANY_SLUG).first()
    if workspace is None:
        workspace = workspace_create(name=COMPANY_NAME, owner=users[Role.OWNER], slug=COMPANY_SLUG)
    for role, _, _ in PEOPLE:
        Membership.objects.get_or_create(workspace=workspace, user=users[role], defaults={"role": role})
    ctx.workspace = workspace
    ctx.users = users


def customers(ctx: DemoContext) -> None:
    """~2,000 customers with identities, segments, plans, regions and consent (cxloop/demo/shoppers.py)."""
    seed_customers(ctx)


def customer_events(ctx: DemoContext) -> None:
    """~50,000 shop, support and app events over the past 12 months, with the North West delivery incident."""
    seed_events(ctx)


def feedback(ctx: DemoContext) -> None:
    """~10,000 feedback items over the past 12 months from every channel, carrying the three stories told in
    cxloop/demo/retail.py."""
    seed_feedback(ctx)


def surveys(ctx: DemoContext) -> None:
    """The live surveys (relationship NPS, post-delivery CSAT, post-support CES, exit survey, eNPS) and a year
    of their responses: the feedback step's survey items as completed responses, partial responses for
    drop-off, exit answers after cancellations, and quarterly staff rounds
    (cxloop/demo/survey_responses.py)."""
    seed_surveys(ctx)


def reading(ctx: DemoContext) -> None:
    """Give the shop the online-retail taxonomy and queue every demo text for the local models: the worker
    that `cxloop demo` starts reads them in the background (language, sentiment, emotions, themes, flags,
    personal data; the Inbox says "not read yet" until then)."""
    from cxloop.analysis.services import enrich_stale, taxonomy_from_template

    taxonomy_from_template(workspace=ctx.workspace, template="online_retail")
    enrich_stale(workspace=ctx.workspace, limit=1_000_000)


def emerging_themes(ctx: DemoContext) -> None:
    """Look for emerging themes once the texts are read, so that a new user finds proposals on Analytics ›
    Emerging themes: texts the retail taxonomy has no theme for (the chatbot that goes round in circles,
    parcels that arrived without a scratch, social posts about a new buy). The weekly look reads 7 days;
    this first one reads 90, as a week of the demo holds only a handful of texts that fit no theme. Queued
    behind the reading (a lower priority), the worker runs it once every demo text is read."""
    from cxloop.analysis.emerging import emerging_request

    emerging_request(workspace=ctx.workspace, priority=-10, days=90)


def intents(ctx: DemoContext) -> None:
    """The support team's intents with the examples it labelled (cxloop/demo/intents.py); the worker trains
    the workspace's intent model and reads every support ticket, chat and email with it (Analytics ›
    Intents, and the intent in the Inbox drawer)."""
    from cxloop.analysis.intents import intent_create

    from .intents import INTENTS

    for name, description, examples in INTENTS:
        intent_create(
            workspace=ctx.workspace, name=name, description=description, examples="\n".join(examples)
        )  # each addition queues the training (once the step's transaction commits)


def dashboards(ctx: DemoContext) -> None:
    """Targets, an alert on the North West's NPS that fired after the incident month, and a weekly report
    (cxloop/demo/dashboards.py)."""
    from .dashboards import seed_dashboards

    seed_dashboards(ctx)


STEPS = [
    company,
    customers,
    customer_events,
    feedback,
    surveys,
    reading,
    emerging_themes,
    intents,
    dashboards,
]
