"""The demo's feedback: ~10,000 items over the past 12 months (× ctx.scale) from surveys, reviews, tickets,
social posts, chats and interviews, with scores that agree with their texts.

Surveys and tickets follow the events of the previous step (a CSAT after a delivery, a CES after a solved
ticket, a Zendesk item per ticket). Stories and calendar: see the docstring of cxloop/demo/retail.py.

Items are written with bulk inserts after checking each one with the API's own schema (`FeedbackIn`):
`feedback_ingest` re-saves every resolved customer on each batch, which makes 10,000 items take about a
minute on SQLite (and a batch of 997 or more items fails there: "Expression tree is too large").
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta
from random import Random

from cxloop.customers.models import Event
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.feedback.schemas import FeedbackIn

from . import retail as R
from .retail import Calendar, weighted
from .shoppers import Shopper, load_shoppers
from .texts import INCIDENT_TITLES, LINEN_PRAISE, TOUCHPOINT
from .texts_channels import TOPIC_THEME, ChannelWriter

# Volumes at scale 1.0 (surveys after deliveries and tickets follow the events instead).
VOLUME = {
    "nps": 3000,
    "trustpilot": 1100,
    "app_store": 350,
    "google_play": 350,
    "x": 300,
    "instagram": 250,
    "chat": 450,
    "interviews": 10,
    "foreign": 25,  # per language
}
COMPLAINT_WEIGHT = {
    "delivery_speed": 16,
    "delivery_damage": 7,
    "courier": 8,
    "product_quality": 11,
    "sizing_fit": 9,
    "returns_refunds": 12,
    "support": 10,
    "usability_web": 4,
    "usability_app": 4,
    "checkout_payment": 5,
    "price_value": 7,
    "packaging": 4,
    "stock": 5,
}
PRAISE_WEIGHT = {
    "delivery_speed": 18,
    "delivery_damage": 3,
    "courier": 6,
    "product_quality": 22,
    "sizing_fit": 6,
    "returns_refunds": 8,
    "support": 10,
    "usability_web": 4,
    "usability_app": 4,
    "checkout_payment": 4,
    "price_value": 9,
    "packaging": 7,
    "stock": 2,
}
APP_THEMES = {
    "usability_app": 40,
    "checkout_payment": 15,
    "stock": 12,
    "delivery_speed": 15,
    "returns_refunds": 10,
}
DELIVERY_PRAISE = ("delivery_speed", "courier", "packaging", "product_quality", "delivery_damage")
DELIVERY_COMPLAINT = ("delivery_damage", "courier", "packaging", "product_quality", "sizing_fit")
NPS_MIX = {"vip": (0.70, 0.20), "loyal": (0.55, 0.27), "new": (0.50, 0.30), "at_risk": (0.30, 0.30)}


def nps_odds(segment: str, moment: datetime, incident_hit: bool) -> tuple[float, float]:
    """(promoter, passive) shares for a relationship NPS answer: by segment, lower in the peak season
    (November to January), and mostly detractors for shoppers the North West incident hit."""
    promoter, passive = NPS_MIX[segment]
    if moment.month in (11, 12, 1):
        promoter -= 0.06
    if incident_hit:
        promoter, passive = 0.1, 0.15
    return promoter, passive


LAG = {"survey": 1, "ticket": 1, "chat": 1, "review": 120, "social": 30, "call": 1440}  # minutes to arrive


def _seasonal(weights: dict[str, int], moment: datetime) -> list[tuple[str, float]]:
    out = []
    for theme, w in weights.items():
        if moment.month in (11, 12) and theme in ("delivery_speed", "stock", "courier"):
            w *= 1.8
        elif moment.month == 1 and theme == "returns_refunds":
            w *= 2.5
        out.append((theme, w))
    return out


# The tone of the text that goes with a score: (tone, weight) choices per score, per scale.
_PRAISE, _MIXED, _MILD, _COMPLAINT = "praise", "mixed", "mild", "complaint"
TONES = {
    10: {
        **dict.fromkeys((0, 1, 2, 3, 4), ((_COMPLAINT, 1),)),
        **dict.fromkeys((5, 6), ((_MILD, 3), (_MIXED, 1))),
        **dict.fromkeys((7, 8), ((_MIXED, 7), (_PRAISE, 3))),
        **dict.fromkeys((9, 10), ((_PRAISE, 1),)),
    },
    5: {
        1: ((_COMPLAINT, 1),),
        2: ((_MILD, 3), (_COMPLAINT, 1)),
        3: ((_MIXED, 3), (_MILD, 2)),
        4: ((_PRAISE, 1), (_MIXED, 1)),
        5: ((_PRAISE, 1),),
    },
    7: {
        1: ((_COMPLAINT, 1),),
        2: ((_COMPLAINT, 1),),
        3: ((_MILD, 1),),
        4: ((_MIXED, 1), (_MILD, 1)),
        5: ((_MIXED, 1),),
        6: ((_PRAISE, 3), (_MIXED, 2)),
        7: ((_PRAISE, 1),),
    },
}


def tone_for(score: int, top: int, rng: Random) -> str:
    """The tone of a text for a score on a scale topping at `top` (10: NPS, 5: CSAT and ratings, 7: CES)."""
    return weighted(rng, TONES[top][score])


class Voices:
    """Collects the feedback of the step as plain dicts (specs), which `store` checks and writes."""

    def __init__(self, ctx):
        self.rng: Random = ctx.rng
        self.cal = Calendar.from_now(ctx.now)
        self.scale = ctx.scale
        self.w = ChannelWriter(self.rng)
        self.shoppers = load_shoppers(ctx.workspace)
        self.by_pk = {s.pk: s for s in self.shoppers}
        self.by_signup = sorted(self.shoppers, key=lambda s: (s.signup_at, s.email))
        self.signups = [s.signup_at for s in self.by_signup]
        self.items: list[dict] = []
        self.incident = self.cal.month_bounds(R.INCIDENT_MONTHS_BACK)
        self.launch = self.cal.month_start(R.LINEN_LAUNCH_MONTHS_BACK)

    # ---- helpers -------------------------------------------------------------------------------------------
    def n(self, key: str) -> int:
        return max(1, round(VOLUME[key] * self.scale))

    def when(self) -> datetime:
        return self.cal.moment(self.rng, self.cal.pick_day(self.rng))

    def shopper_at(self, moment: datetime, *, surveyed: bool = True) -> Shopper | None:
        count = bisect.bisect_right(self.signups, moment)
        for _ in range(4):
            if count == 0:
                return None
            s = self.by_signup[self.rng.randrange(count)]
            if not surveyed or s.reachable(moment):
                return s
        return None

    def theme(self, tone: str, moment: datetime, pool: dict[str, int] | None = None) -> str:
        weights = pool or (PRAISE_WEIGHT if tone == "praise" else COMPLAINT_WEIGHT)
        return weighted(self.rng, _seasonal(weights, moment))

    def in_incident(self, shopper: Shopper | None, moment: datetime) -> bool:
        """A North West customer, during the incident month."""
        start, end = self.incident
        return shopper is not None and shopper.region == R.INCIDENT_REGION and start <= moment < end

    def text(self, tone: str, moment: datetime, pool=None) -> tuple[str, str]:
        """(theme, text) for a tone; mixed texts praise one theme and complain about another."""
        if tone == "praise":
            theme = self.theme("praise", moment, pool)
            if theme == "product_quality" and moment >= self.launch and self.rng.random() < 0.15:
                return theme, self.w.pick(LINEN_PRAISE)
            return theme, self.w.compose("praise", theme, self.theme("praise", moment))
        theme = self.theme("complaint", moment, pool)
        other = self.theme("praise", moment) if tone == "mixed" else self.theme("complaint", moment)
        return theme, self.w.compose(tone, theme, other)

    def add(self, **spec) -> dict:
        spec.setdefault("language", "en")
        spec.setdefault("title", "")
        spec.setdefault("metadata", {})
        spec.setdefault("answers", [])
        spec.setdefault("external_id", None)
        self.items.append(spec)
        return spec

    @staticmethod
    def score_answers(key: str, kind: str, score: int, comment: str) -> list[dict]:
        answers = [{"key": key, "type": kind, "value": score}]
        if comment:
            answers.append({"key": "comment", "type": "text", "value": comment})
        return answers

    # ---- surveys -------------------------------------------------------------------------------------------
    def nps_item(
        self, moment: datetime, shopper: Shopper, score: int, text: str, theme: str, **extra
    ) -> dict:
        return self.add(
            channel="survey",
            source="Relationship NPS",
            touchpoint=TOUCHPOINT.get(theme, "delivery") if text else "overall",
            occurred_at=moment,
            shopper=shopper,
            text=text,
            answers=self.score_answers("nps", "nps", score, text),
            theme=theme,
            **extra,
        )

    def nps(self) -> None:
        rng = self.rng
        for _ in range(self.n("nps")):
            moment = self.when()
            shopper = self.shopper_at(moment)
            if shopper is None:
                continue
            promoter, passive = nps_odds(shopper.segment, moment, self.in_incident(shopper, moment))
            r = rng.random()
            if r < promoter:
                score = 9 if rng.random() < 0.45 else 10
            elif r < promoter + passive:
                score = rng.choice((7, 8))
            elif rng.random() < 0.55:
                score = rng.choices((0, 1, 2, 3, 4), weights=(2, 1, 2, 3, 4))[0]
            else:
                score = rng.choice((5, 6))
            wants_comment = rng.random() < (0.85 if score <= 6 else 0.6 if score <= 8 else 0.65)
            theme, text = "", ""
            if self.in_incident(shopper, moment) and score <= 6 and rng.random() < 0.85:
                theme, text = "incident", self.w.incident()
            elif wants_comment:
                theme, text = self.text(tone_for(score, 10, rng), moment)
            self.nps_item(moment, shopper, score, text, theme)

    def after_deliveries(self, delivered: list[dict]) -> None:
        """Post-delivery CSAT: a few days after some deliveries, more often after late ones."""
        rng, end = self.rng, self.incident[1]
        for e in delivered:
            shopper, props = self.by_pk.get(e["customer_id"]), e["properties"]
            late = props.get("days_late", 0)
            hit = shopper is not None and self.in_incident(shopper, e["occurred_at"]) and late >= 3
            p = 0.65 if hit else 0.45 if late >= 3 else 0.25
            if shopper is None or rng.random() >= p:
                continue
            moment = e["occurred_at"] + timedelta(minutes=rng.randint(120, 60 * 60))
            if hit:
                moment = min(moment, end - timedelta(minutes=1))
            if moment >= self.cal.today or not shopper.reachable(moment):
                continue
            if hit:
                score = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
            elif late >= 3:
                score = rng.choices((1, 2, 3, 4), weights=(45, 30, 18, 7))[0]
            elif late >= 1:
                score = rng.choices((1, 2, 3, 4, 5), weights=(15, 15, 25, 25, 20))[0]
            else:
                score = rng.choices((1, 2, 3, 4, 5), weights=(6, 5, 9, 25, 55))[0]
            tone = tone_for(score, 5, rng)
            text, theme = "", ""
            if rng.random() < (0.9 if hit else 0.6):
                if hit:
                    theme, text = "incident", self.w.incident(late)
                elif tone != "praise" and late >= 1:
                    theme = "delivery_speed"
                    other = rng.choice(DELIVERY_PRAISE) if tone == "mixed" else None
                    text = self.w.compose(
                        tone, theme, other, days=str(max(late, 2)), carrier=props["carrier"]
                    )
                else:
                    pool = dict.fromkeys(DELIVERY_PRAISE if tone == "praise" else DELIVERY_COMPLAINT, 1)
                    theme, text = self.text(tone, moment, pool)
            self.add(
                channel="survey",
                source="Post-delivery CSAT",
                touchpoint="delivery",
                external_id=f"csat-{props['order_id']}",
                occurred_at=moment,
                shopper=shopper,
                text=text,
                answers=self.score_answers("csat", "csat", score, text),
                metadata={"order_id": props["order_id"], "carrier": props["carrier"]},
            )

    def tickets(self, opened: list[dict], solved: dict[int, dict], products: dict[str, str]) -> None:
        """A Zendesk item per ticket, a satisfaction score on some, and a Post-support CES after some."""
        rng = self.rng
        for e in opened:
            shopper, props = self.by_pk.get(e["customer_id"]), e["properties"]
            if shopper is None:
                continue
            number, topic = props["ticket_id"], props["topic"]
            done = solved.get(number)
            hours = done["properties"]["hours_to_solve"] if done else None
            fixed = {"first": shopper.first_name}
            if props.get("order_id"):
                fixed["order"] = props["order_id"]
                product = products.get(props["order_id"], "")
                if product and not product.startswith("Linen Edit"):
                    fixed["product"] = product
            if topic in ("late_delivery", "no_tracking") and self.in_incident(shopper, e["occurred_at"]):
                subject = self.w.pick(INCIDENT_TITLES)
                body = "\n\n".join([self.w.incident(), self.w.fill("Thanks, {first}", **fixed)])
            else:
                question = topic in ("sizing_advice", "stock_question", "promo_code", "account_login")
                tone = (
                    rng.choice(("question", "mild"))
                    if question
                    else rng.choice(("complaint", "complaint", "mild"))
                )
                subject, body = self.w.ticket(topic, tone, **fixed)
            answers = []
            if done and rng.random() < 0.4:
                if hours < 8:
                    score = rng.choices((3, 4, 5), weights=(1, 3, 6))[0]
                elif hours < 48:
                    score = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 3, 3))[0]
                else:
                    score = rng.choices((1, 2, 3, 4), weights=(4, 3, 2, 1))[0]
                remark = ""
                if rng.random() < 0.5 and score != 3:
                    remark = self.w.compose("praise" if score >= 4 else "mild", "support")
                answers.append({"key": "satisfaction", "type": "csat", "value": score, "text": remark})
            self.add(
                channel="ticket",
                source="Zendesk",
                touchpoint=TOUCHPOINT[TOPIC_THEME[topic]],
                external_id=str(number),
                occurred_at=e["occurred_at"],
                shopper=shopper,
                title=subject,
                text=body,
                answers=answers,
                metadata={"ticket_id": number, "status": "solved" if done else "open", "tags": [topic]},
            )
            if done and rng.random() < 0.55:
                self.ces(shopper, done, topic, hours)

    def ces(self, shopper: Shopper, solved: dict, topic: str, hours: float) -> None:
        rng = self.rng
        moment = solved["occurred_at"] + timedelta(minutes=rng.randint(60, 30 * 60))
        if moment >= self.cal.today or not shopper.reachable(moment):
            return
        if hours < 8:
            score = rng.choices((7, 6, 5, 4, 3), weights=(45, 35, 12, 5, 3))[0]
        elif hours < 48:
            score = rng.choices((7, 6, 5, 4, 3, 2), weights=(20, 30, 20, 15, 10, 5))[0]
        else:
            score = rng.choices((1, 2, 3, 4, 5, 6), weights=(20, 25, 25, 15, 10, 5))[0]
        text = ""
        if rng.random() < 0.5:
            tone = tone_for(score, 7, rng)
            if tone == "mixed":
                text = self.w.compose("mixed", TOPIC_THEME[topic], "support")
            else:
                text = self.w.compose(tone, "support")
        self.add(
            channel="survey",
            source="Post-support CES",
            touchpoint="support",
            external_id=f"ces-{solved['properties']['ticket_id']}",
            occurred_at=moment,
            shopper=shopper,
            text=text,
            answers=self.score_answers("ces", "ces", score, text),
            metadata={"ticket_id": solved["properties"]["ticket_id"]},
        )


def seed_feedback(ctx) -> None:
    # imported here: these modules build on the Voices class above
    from .stories import follow_ups, incident_extras, linen_complaints
    from .voices_public import app_reviews, chats, foreign, interviews, social, trustpilot

    v = Voices(ctx)
    events: dict[str, list[dict]] = {
        "order_placed": [],
        "order_delivered": [],
        "ticket_opened": [],
        "ticket_solved": [],
    }
    rows = Event.objects.filter(workspace=ctx.workspace, name__in=list(events)).values(
        "name", "external_id", "occurred_at", "customer_id", "properties"
    )
    for e in sorted(
        rows, key=lambda e: (e["occurred_at"], e["external_id"])
    ):  # the same order on any database
        events[e["name"]].append(e)
    products = {e["properties"]["order_id"]: e["properties"]["product"] for e in events["order_placed"]}
    solved = {e["properties"]["ticket_id"]: e for e in events["ticket_solved"]}
    v.nps()
    v.after_deliveries(events["order_delivered"])
    v.tickets(events["ticket_opened"], solved, products)
    trustpilot(v)
    app_reviews(v)
    social(v)
    chats(v)
    interviews(v)
    foreign(v)
    linen_complaints(v, events["order_placed"])
    incident_extras(v, events["order_delivered"])
    follow_ups(v)
    store(ctx, v.items)


ID_PREFIX = {
    "Relationship NPS": "nps-",
    "Trustpilot": "tp-",
    "App Store": "as-",
    "Google Play": "gp-",
    "X": "x-",
    "Instagram": "ig-",
    "Live chat": "chat-",
    "Customer interviews": "int-",
}


def store(ctx, specs: list[dict]) -> None:
    """Number each source's items in time order, check each against `FeedbackIn`, and bulk insert them."""
    specs.sort(key=lambda s: (s["occurred_at"], s["source"], s["external_id"] or "", s["text"]))
    counters: dict[str, int] = {}
    for spec in specs:
        if spec["external_id"] is None:
            counters[spec["source"]] = counters.get(spec["source"], 0) + 1
            spec["external_id"] = f"{ID_PREFIX[spec['source']]}{counters[spec['source']]:06d}"
    for spec in specs:
        earlier = spec.get("follow_up_of")
        if earlier is not None:
            spec["metadata"] = {**spec["metadata"], "follow_up_of": earlier["external_id"]}
    workspace, now = ctx.workspace, ctx.now
    for start in range(0, len(specs), 1000):
        batch = specs[start : start + 1000]
        rows = []
        for spec in batch:
            data = FeedbackIn(
                external_id=spec["external_id"],
                channel=spec["channel"],
                source=spec["source"],
                touchpoint=spec["touchpoint"],
                occurred_at=spec["occurred_at"],
                language=spec["language"],
                title=spec["title"],
                text=spec["text"],
                metadata=spec["metadata"],
                answers=spec["answers"],
            )
            item = FeedbackItem(
                workspace=workspace,
                customer_id=spec["shopper"].pk if spec.get("shopper") else None,
                channel=data.channel,
                source=data.source,
                touchpoint=data.touchpoint,
                external_id=data.external_id,
                occurred_at=data.occurred_at,
                received_at=min(data.occurred_at + timedelta(minutes=LAG[data.channel]), now),
                language=data.language,
                title=data.title,
                text=data.text,
                metadata=data.metadata,
            )
            rows.append((item, data))
        FeedbackItem.objects.bulk_create([item for item, _ in rows])
        Answer.objects.bulk_create(
            [
                Answer(
                    workspace=workspace,
                    item=item,
                    key=a.key,
                    type=a.type,
                    occurred_at=item.occurred_at,
                    channel=item.channel,
                    **a.normalized,
                )
                for item, data in rows
                for a in data.answers
            ],
            batch_size=2000,
        )
