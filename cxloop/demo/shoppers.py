"""The demo's customers and what they did: profiles with identities, then a year of shop, support and app
events.

Stories and calendar: see the docstring of cxloop/demo/retail.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from random import Random

from cxloop.customers.models import Customer, Event, Identity
from cxloop.customers.schemas import CustomerIn
from cxloop.customers.services import customers_resolve

from . import retail as R
from .retail import Calendar, poisson, weighted

BATCH = 1000


@dataclass
class Shopper:
    """A customer as the later steps see it, read back from the database in a fixed order."""

    pk: int
    email: str
    name: str
    crm_id: str | None
    social: str | None
    segment: str
    plan: str
    country: str
    region: str
    signup_at: datetime
    unsubscribed_at: datetime | None
    attributes: dict = field(default_factory=dict)

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]

    def reachable(self, moment: datetime) -> bool:
        """Signed up, and not unsubscribed from surveys, at that moment."""
        return self.signup_at <= moment and (self.unsubscribed_at is None or moment < self.unsubscribed_at)


def load_shoppers(workspace) -> list[Shopper]:
    """Every (unmerged) customer of the workspace, sorted by email in Python (databases collate apart)."""
    ids: dict[int, dict[str, str]] = {}
    for customer_id, kind, value in Identity.objects.filter(
        workspace=workspace, kind__in=("external_id", "social")
    ).values_list("customer_id", "kind", "value"):
        ids.setdefault(customer_id, {})[kind] = value
    out = []
    customers = Customer.objects.filter(workspace=workspace, merged_into__isnull=True)
    for c in sorted(customers, key=lambda c: (c.email, c.pk)):
        own = ids.get(c.pk, {})
        out.append(
            Shopper(
                pk=c.pk,
                email=c.email,
                name=c.name,
                crm_id=own.get("external_id"),
                social=own.get("social"),
                segment=c.segment,
                plan=c.plan,
                country=c.country,
                region=c.region,
                signup_at=c.signup_at,
                unsubscribed_at=c.unsubscribed_at,
                attributes=c.attributes,
            )
        )
    return out


# ---- customers ---------------------------------------------------------------------------------------------
SEGMENT_MIX = (("loyal", 79), ("at_risk", 18), ("vip", 3))  # of customers older than 120 days
LTV = {"new": (3.9, 0.7), "loyal": (5.3, 0.7), "at_risk": (4.8, 0.8), "vip": (7.7, 0.35)}
MEMBER_SHARE = {"new": 0.15, "loyal": 0.35, "at_risk": 0.25, "vip": 0.85}


def seed_customers(ctx) -> None:
    """~2,000 customers (× ctx.scale) with emails, some phones, CRM ids and social handles."""
    rng, cal = ctx.rng, Calendar.from_now(ctx.now)
    count = max(20, round(2000 * ctx.scale))
    people = []
    emails: set[str] = set()
    phones: set[str] = set()
    for _ in range(count):
        country = weighted(rng, R.COUNTRIES)
        first, last = rng.choice(R.FIRST_NAMES[country]), rng.choice(R.LAST_NAMES[country])
        signup = cal.today - timedelta(seconds=rng.randint(86400, 3 * 365 * 86400))
        local_first, local_last = (
            R.ascii_fold(first).lower(),
            R.ascii_fold(last).lower().replace(" ", "").replace("'", ""),
        )
        local = rng.choice(
            (
                f"{local_first}.{local_last}",
                f"{local_first}{local_last}{rng.randint(1, 99)}",
                f"{local_first[0]}{local_last}",
                f"{local_first}_{local_last}{rng.randint(70, 99)}",
            )
        )
        email = f"{local}@{rng.choice(R.EMAIL_DOMAINS)}"
        while email in emails:
            email = f"{local}{rng.randint(2, 999)}@{email.split('@')[1]}"
        emails.add(email)
        people.append({"country": country, "name": f"{first} {last}", "email": email, "signup": signup})
    people.sort(key=lambda p: (p["signup"], p["email"]))  # CRM ids grow with the signup date

    refs, withdrawn, handles = [], {}, set()
    for number, p in enumerate(people, start=1):
        country = p["country"]
        age_days = (cal.today - p["signup"]).days
        segment = "new" if age_days < 120 else weighted(rng, SEGMENT_MIX)
        plan = R.MEMBER_PLAN if rng.random() < MEMBER_SHARE[segment] else R.FREE_PLAN
        mu, sigma = LTV[segment]
        ltv = Decimal(f"{math.exp(rng.gauss(mu, sigma)):.2f}")
        consent = weighted(rng, (("granted", 86), ("withdrawn", 6), ("unknown", 8)))
        guest = rng.random() < 0.08
        phone = None
        if rng.random() < 0.4:
            phone = f"{R.PHONE_PREFIX[country]}{rng.randint(0, 999):03d}"
            if phone in phones:
                phone = None
            else:
                phones.add(phone)
        social = None
        if rng.random() < 0.1:
            handle = p["email"].split("@")[0].replace(".", "_")
            social = f"{rng.choice(('instagram', 'x'))}:@{handle}"
            if social in handles:
                social = None
            else:
                handles.add(social)
        app_user = rng.random() < (0.65 if segment == "vip" else 0.45)
        attributes = {"favourite_category": rng.choice(("fashion", "fashion", "home")), "app_user": app_user}
        if app_user:
            attributes["app_platform"] = rng.choice(("ios", "ios", "android"))
        if guest:
            attributes["guest_checkout"] = True
        refs.append(
            CustomerIn(
                external_id=None if guest else f"HT-{number:06d}",
                email=p["email"],
                phone=phone,
                social=social,
                name=p["name"],
                plan=plan,
                segment=segment,
                country=country,
                region=weighted(rng, R.REGIONS[country]),
                lifetime_value=ltv,
                signup_at=p["signup"],
                attributes=attributes,
                consent=consent,
            )
        )
        if consent == "withdrawn":
            withdrawn[p["email"]] = p["signup"] + (cal.today - p["signup"]) * rng.uniform(0.2, 0.95)
    for start in range(0, len(refs), BATCH):
        customers_resolve(workspace=ctx.workspace, refs=refs[start : start + BATCH])
    # The service stamps an unsubscription with the current time; the demo dates it within the customer's
    # life.
    rows = list(Customer.objects.filter(workspace=ctx.workspace, email__in=list(withdrawn)))
    for customer in rows:
        customer.unsubscribed_at = withdrawn[customer.email]
    Customer.objects.bulk_update(rows, ["unsubscribed_at"], batch_size=500)


# ---- events ------------------------------------------------------------------------------------------------
ORDER_RATE = {"new": 3.0, "loyal": 5.0, "vip": 14.0, "at_risk": 3.5}  # orders a year while active
APP_RATE = {"new": 20.0, "loyal": 30.0, "vip": 60.0, "at_risk": 6.0}  # app sessions a year
TICKET_TOPICS = (
    ("damaged_item", 20),
    ("product_fault", 15),
    ("courier_complaint", 15),
    ("sizing_advice", 12),
    ("payment_issue", 8),
    ("promo_code", 8),
    ("stock_question", 8),
)
GENERAL_TOPICS = (
    ("account_login", 30),
    ("promo_code", 20),
    ("stock_question", 20),
    ("payment_issue", 15),
    ("sizing_advice", 15),
)
RETURN_REASONS = (
    ("Too small", 22),
    ("Too big", 20),
    ("Not as described", 15),
    ("Changed my mind", 20),
    ("Faulty", 8),
    ("Arrived damaged", 7),
    ("Colour different to photos", 8),
)
CANCEL_REASONS = (
    "Not ordering enough",
    "Too expensive",
    "Delivery problems",
    "Found a better offer elsewhere",
)


def _linen_share(cal: Calendar, moment: datetime) -> float:
    if moment < cal.month_start(R.LINEN_LAUNCH_MONTHS_BACK):
        return 0.0
    months = R.LINEN_LAUNCH_MONTHS_BACK - cal.months_back(moment)
    return min(0.12 + 0.08 * months, 0.4)


def _product(rng: Random, cal: Calendar, shopper: Shopper, placed: datetime) -> tuple[str, str]:
    favourite = shopper.attributes.get("favourite_category", "fashion")
    category = favourite if rng.random() < 0.7 else ("home" if favourite == "fashion" else "fashion")
    if category == "home":
        return "home", rng.choice(R.HOMEWARE + R.FRAGILE)
    if rng.random() < _linen_share(cal, placed):
        return "fashion", f"Linen Edit {rng.choice(R.LINEN_ITEMS)}"
    return "fashion", rng.choice(R.GARMENTS)


def _carrier(rng: Random, shopper: Shopper) -> str:
    if shopper.country != "GB":
        return weighted(rng, R.CARRIERS_EU)
    if shopper.region in (R.INCIDENT_REGION, "Scotland"):
        return weighted(rng, R.CARRIERS_NORTH)
    return weighted(rng, R.CARRIERS_GB)


def _days_late(rng: Random, peak: bool) -> int:
    r = rng.random()
    if peak:
        return 0 if r < 0.65 else 1 if r < 0.85 else 2 if r < 0.95 else rng.randint(3, 6)
    return 0 if r < 0.80 else 1 if r < 0.92 else 2 if r < 0.97 else rng.randint(3, 5)


class _Events:
    """Collects the events of the step, then numbers orders and tickets in time order and writes them."""

    def __init__(self, cal: Calendar):
        self.cal = cal
        self.rows: list[
            tuple
        ] = []  # (occurred_at, name, source, external_id-or-callable key, shopper, props)
        self.orders: list[dict] = []
        self.tickets: list[dict] = []

    def add(self, when, name, source, shopper, props, key=None):
        if when < self.cal.today:
            self.rows.append([when, name, source, key, shopper, props])


def seed_events(ctx) -> None:
    """~50,000 events over the past 12 months (× ctx.scale): orders, deliveries, returns, tickets, app use."""
    rng, cal = ctx.rng, Calendar.from_now(ctx.now)
    shoppers = load_shoppers(ctx.workspace)
    ev = _Events(cal)
    incident_start, incident_end = cal.month_bounds(R.INCIDENT_MONTHS_BACK)
    for shopper in shoppers:
        lo = max(0, cal.index(shopper.signup_at) + 1)
        hi = 365 - 100 if shopper.segment == "at_risk" else 365
        days = max(0, hi - lo)
        n_orders = poisson(rng, ORDER_RATE[shopper.segment] * days / 365)
        if shopper.segment == "new" and days > 0:
            n_orders += 1
        orders = []
        for _ in range(n_orders if days > 0 else 0):
            placed = cal.moment(rng, cal.pick_day(rng, lo, hi))
            category, product = _product(rng, cal, shopper, placed)
            member = shopper.plan == R.MEMBER_PLAN
            promise_days = (2 if member else 3) if shopper.country == "GB" else 5
            promised = (placed + timedelta(days=promise_days)).date()
            carrier = _carrier(rng, shopper)
            late = _days_late(rng, cal.is_peak(placed))
            hit = False
            if (
                shopper.region == R.INCIDENT_REGION
                and incident_start.date() <= promised < incident_end.date()
                and rng.random() < 0.85
            ):
                room = (incident_end.date() - promised).days - 1  # delivered within the incident month
                if room >= 3:
                    carrier, late, hit = R.INCIDENT_CARRIER, rng.randint(3, min(9, room)), True
            orders.append(
                {
                    "placed": placed,
                    "category": category,
                    "product": product,
                    "promised": promised,
                    "carrier": carrier,
                    "late": late,
                    "hit": hit,
                    "total": round(math.exp(rng.gauss(4.0 if category == "fashion" else 3.8, 0.5)), 2),
                    "channel": "app" if shopper.attributes.get("app_user") and rng.random() < 0.5 else "web",
                    "shopper": shopper,
                }
            )
        orders.sort(key=lambda o: o["placed"])
        # Hearth+ members cancel; more among the at-risk and those the incident hit.
        cancel_at = None
        if shopper.plan == R.MEMBER_PLAN:
            hits = [o for o in orders if o["hit"]]
            p = 0.30 if shopper.segment == "at_risk" else 0.04
            if hits:
                p += 0.35
            if rng.random() < p:
                if hits:
                    delivered = datetime.combine(
                        hits[0]["promised"], datetime.min.time(), tzinfo=cal.today.tzinfo
                    ) + timedelta(days=hits[0]["late"])
                    cancel_at = delivered + timedelta(hours=rng.randint(24, 40 * 24))
                    reason = "Delivery problems"
                else:
                    cancel_at = cal.moment(rng, cal.pick_day(rng, lo, 365))
                    reason = rng.choice(CANCEL_REASONS)
                ev.add(
                    cancel_at,
                    "subscription_cancelled",
                    "shop",
                    shopper,
                    {"plan": R.MEMBER_PLAN, "reason": reason},
                )
        if cancel_at is not None:
            orders = [o for o in orders if o["placed"] < cancel_at or rng.random() < 0.4]
        ev.orders.extend(orders)
        # app sessions
        if shopper.attributes.get("app_user"):
            app_lo = lo
            for _ in range(poisson(rng, APP_RATE[shopper.segment] * max(0, 365 - app_lo) / 365)):
                when = cal.moment(rng, cal.pick_day(rng, app_lo, 365), 6, 24)
                ev.add(
                    when,
                    "app_opened",
                    "app",
                    shopper,
                    {
                        "platform": shopper.attributes.get("app_platform", "ios"),
                        "app_version": R.app_version(cal, when),
                    },
                )
        # questions that are not about an order
        for _ in range(poisson(rng, 0.2 * max(0, 365 - lo) / 365)):
            opened = cal.moment(rng, cal.pick_day(rng, lo, 365), 8, 22)
            ev.tickets.append({"opened": opened, "topic": weighted(rng, GENERAL_TOPICS), "shopper": shopper})

    ev.orders.sort(key=lambda o: (o["placed"], o["shopper"].email))
    for number, order in enumerate(ev.orders):
        _order_events(rng, cal, ev, order, f"O-{3104217 + number}")
    ev.tickets.sort(key=lambda t: (t["opened"], t["shopper"].email))
    for number, ticket in enumerate(ev.tickets):
        _ticket_events(rng, cal, ev, ticket, 48000 + number)
    _write(ctx.workspace, ev)


def _order_events(rng: Random, cal: Calendar, ev: _Events, order: dict, order_id: str) -> None:
    shopper = order["shopper"]
    placed = order["placed"]
    currency = "GBP" if shopper.country == "GB" else "EUR"
    ev.add(
        placed,
        "order_placed",
        "shop",
        shopper,
        {
            "order_id": order_id,
            "total": order["total"],
            "currency": currency,
            "category": order["category"],
            "product": order["product"],
            "channel": order["channel"],
        },
        key=f"{order_id}:placed",
    )
    shipped = placed + timedelta(hours=rng.randint(3, 40))
    ev.add(
        shipped,
        "order_shipped",
        "shop",
        shopper,
        {"order_id": order_id, "carrier": order["carrier"]},
        key=f"{order_id}:shipped",
    )
    promised, late = order["promised"], order["late"]
    delivered_date = (
        promised + timedelta(days=late) if late else promised - timedelta(days=rng.random() < 0.2)
    )
    delivered = datetime.combine(delivered_date, datetime.min.time(), tzinfo=cal.today.tzinfo) + timedelta(
        seconds=rng.randint(8 * 3600, 20 * 3600)
    )
    delivered = max(delivered, shipped + timedelta(hours=6))
    if delivered >= cal.today:
        return  # still on its way
    ev.add(
        delivered,
        "order_delivered",
        "shop",
        shopper,
        {
            "order_id": order_id,
            "carrier": order["carrier"],
            "promised_date": promised.isoformat(),
            "delivered_date": delivered.date().isoformat(),
            "days_late": late,
            "product": order["product"],
        },
        key=f"{order_id}:delivered",
    )
    order["delivered"] = delivered
    # returns: fashion more than home, the Linen Edit most (it runs small), Christmas gifts in January
    linen = order["product"].startswith("Linen Edit")
    p_return = 0.45 if linen else 0.25 if order["category"] == "fashion" else 0.08
    gift = placed.month in (11, 12) and rng.random() < 0.12
    refund_delay_extra = 0
    ticket_topic, ticket_when = None, None
    if late >= 3 and ((order["hit"] and rng.random() < 0.45) or rng.random() < 0.25):
        ticket_topic = rng.choice(("late_delivery", "late_delivery", "no_tracking"))
        ticket_when = datetime.combine(promised, datetime.min.time(), tzinfo=cal.today.tzinfo) + timedelta(
            hours=rng.randint(26, 24 * late - 4)
        )
    if gift or rng.random() < p_return:
        if gift:
            reason, requested = "Unwanted gift", delivered + timedelta(days=rng.randint(10, 35))
        else:
            reason = "Too small" if linen and rng.random() < 0.85 else weighted(rng, RETURN_REASONS)
            requested = delivered + timedelta(hours=rng.randint(10, 14 * 24))
        if requested.month == 1:
            refund_delay_extra = 6  # the January returns backlog
        ev.add(
            requested,
            "return_requested",
            "shop",
            shopper,
            {"order_id": order_id, "reason": reason, "product": order["product"]},
            key=f"{order_id}:return",
        )
        if rng.random() < 0.93:
            refund_days = rng.randint(3, 12) + refund_delay_extra
            refunded = requested + timedelta(days=refund_days, hours=rng.randint(0, 10))
            ev.add(
                refunded,
                "return_refunded",
                "shop",
                shopper,
                {
                    "order_id": order_id,
                    "amount": order["total"],
                    "currency": "GBP" if shopper.country == "GB" else "EUR",
                },
                key=f"{order_id}:refund",
            )
            if refund_days > 10 and ticket_topic is None and rng.random() < 0.35:
                ticket_topic, ticket_when = "refund_status", requested + timedelta(days=rng.randint(8, 10))
        if reason == "Too small" and ticket_topic is None and rng.random() < 0.1:
            ticket_topic, ticket_when = "sizing_advice", requested - timedelta(hours=rng.randint(1, 8))
    if ticket_topic is None and rng.random() < 0.06:
        ticket_topic = weighted(rng, TICKET_TOPICS)
        ticket_when = delivered + timedelta(hours=rng.randint(2, 96))
    if ticket_topic is not None:
        ev.tickets.append(
            {
                "opened": ticket_when,
                "topic": ticket_topic,
                "shopper": shopper,
                "order_id": order_id,
                "product": order["product"],
                "carrier": order["carrier"],
                "late": late,
            }
        )


def _ticket_events(rng: Random, cal: Calendar, ev: _Events, ticket: dict, number: int) -> None:
    shopper = ticket["shopper"]
    opened = ticket["opened"]
    props = {"ticket_id": number, "topic": ticket["topic"], "via": rng.choice(("email", "email", "web form"))}
    if "order_id" in ticket:
        props["order_id"] = ticket["order_id"]
    ev.add(opened, "ticket_opened", "zendesk", shopper, props, key=f"{number}:opened")
    hours = math.exp(rng.gauss(2.6, 1.1)) * (1.8 if cal.is_peak(opened) else 1.0)
    hours = round(min(hours, 24 * 20), 1)
    if rng.random() < 0.95:
        ev.add(
            opened + timedelta(hours=hours),
            "ticket_solved",
            "zendesk",
            shopper,
            {"ticket_id": number, "topic": ticket["topic"], "hours_to_solve": hours},
            key=f"{number}:solved",
        )
    # what the feedback step needs to write the ticket itself
    ticket["number"] = number
    ticket["hours"] = hours


def _write(workspace, ev: _Events) -> None:
    rows = [r for r in ev.rows if r[0] < ev.cal.today]
    rows.sort(key=lambda r: (r[0], r[1], r[4].email))
    numbers: dict[str, int] = {}  # events without an id of their own: app sessions, cancellations
    events = []
    for when, name, source, key, shopper, props in rows:
        if key is None:
            numbers[name] = numbers.get(name, 0) + 1
            key = f"{'session' if source == 'app' else 'cancel'}-{numbers[name]:07d}"
        events.append(
            Event(
                workspace=workspace,
                customer_id=shopper.pk,
                name=name,
                source=source,
                external_id=key,
                occurred_at=when,
                received_at=when,
                properties=props,
            )
        )
    Event.objects.bulk_create(events, batch_size=2000)
