"""The demo's live surveys and a year of their responses (issue #5).

Five surveys made from the templates of cxloop/surveys/library.py, created and published about a year before
"today" (see cxloop/demo/retail.py for the calendar):

    Relationship NPS      relationship_nps, customised: its open question is "comment" (not "reason"), it
                          speaks French too, and its welcome screen calls it the quarterly check-in
    Post-delivery CSAT    delivery_csat (hidden field order_id), touchpoint delivery
    Post-support CES      support_ces plus a closing, optional "comment" question (hidden field ticket_id)
    Exit survey           exit, touchpoint churn: sent a day or two after a Hearth+ membership is cancelled
    Employee NPS (eNPS)   enps plus a hidden field "round" (e.g. 2026-Q3): one round a quarter

Their responses (volumes at scale 1.0; `ctx.scale` multiplies those not tied to earlier data):

- Every survey item of the feedback step (sources "Relationship NPS", "Post-delivery CSAT", "Post-support
  CES", ~5,900) becomes a completed Response of version 1 sent by email invitation, whose state holds the
  item's answers. The template questions the feedback step left out are answered too, from a generator seeded
  by the item's external id (no generator of an earlier step is touched, so their data stays as it was):
  NPS detractors say what to fix first (the theme of their comment) and whether they may be contacted (the
  ~150 won back by the support team said yes); delivery CSAT says whether the parcel came on the promised
  day (the order's days_late) and rates speed, packaging, courier and tracking (low speed when late, low
  tracking in the North West incident); CES says whether the issue is resolved (less often after a long
  ticket) and sometimes what is still open.
- Drop-off: partial responses with their own items. About 12% of the relationship NPS starts stop after the
  score (~440), about 8% of the delivery CSAT starts (~170), and a few CES respondents (~25) leave before the
  last page.
- Exit survey: about three in four members who cancel answer a day or two later (~40, a few of them
  partial). Their reasons follow their story: those whose parcels the North West incident held up cite
  delivery, Linen Edit buyers cite quality (and returns), the others price, a better shop, or no need.
- eNPS: four quarterly rounds of ~40 anonymous staff answers (no customer, via link), opening on the 5th of
  each quarter's middle month; the peak quarter (October–December) scores lower, most of all in the
  warehouse and support teams.

Everything is written with bulk inserts (items, answers, responses) and one bulk update of the items'
metadata (survey_id, survey_version, response_id, response_status, via, hidden: what
cxloop/surveys/services.py::_sync_feedback writes); only the five surveys go through the surveys services.
"""

from __future__ import annotations

import bisect
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from cxloop.accounts.roles import Role
from cxloop.customers.models import Event
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.feedback.schemas import AnswerIn, FeedbackIn
from cxloop.surveys import engine, services
from cxloop.surveys.definition import SurveyDefinition, parse_definition
from cxloop.surveys.library import template_definition
from cxloop.surveys.models import Response, Survey, SurveyVersion

from . import retail as R
from . import texts_surveys as T
from .retail import Calendar, weighted
from .shoppers import Shopper, load_shoppers
from .texts import MIXED_JOIN
from .voices import LAG, nps_odds

NPS, CSAT, CES, EXIT, ENPS = (
    "Relationship NPS",
    "Post-delivery CSAT",
    "Post-support CES",
    "Exit survey",
    "Employee NPS (eNPS)",
)
LINKED = (NPS, CSAT, CES)  # the survey sources of the feedback step
NPS_PARTIAL_SHARE = 0.12  # of the relationship NPS starts: stop after the score
CSAT_PARTIAL_SHARE = 0.08  # of the delivery CSAT starts: stop after the score
CES_PARTIAL_SHARE = 0.04  # of the CES starts: leave before the last page
EXIT_ANSWER_RATE = 0.75
EXIT_PARTIAL_SHARE = 0.15
COME_BACK = {"delivery": (1, 3), "quality": (2, 4), "returns": (2, 4), "competitor": (1, 3)}  # stars
ENPS_STAFF = 40  # answers per round at scale 1.0
ENPS_TEAMS = (("warehouse", 38), ("support", 24), ("shop", 18), ("office", 20))
ENPS_LEAN = {"warehouse": -0.25, "support": -0.1, "shop": 0.1, "office": 0.2}  # who scores lower or higher
ENPS_SHARES = {False: (0.45, 0.20), True: (0.36, 0.30)}  # (promoters, detractors) by peak round, ±3 points


# ---- the surveys -------------------------------------------------------------------------------------------
def _question(d: dict, key: str) -> dict:
    return next(q for b in d["blocks"] for q in b["questions"] if q["key"] == key)


def _relationship_nps(d: dict) -> dict:
    """The template as Hearth & Thread runs it: the reason question is keyed "comment" (as its feedback
    items are), French is offered next to English and German, and the welcome says it is quarterly."""
    d["languages"] = ["en", "de", "fr"]
    d["welcome"]["title"] = {
        "en": "Our quarterly check-in: two minutes for us?",
        "de": "Unser vierteljährlicher Check-in: zwei Minuten für uns?",
        "fr": "Notre point trimestriel : deux minutes pour nous ?",
    }
    d["welcome"]["text"]["fr"] = (
        "Dites-nous comment nous nous en sortons. Vos réponses vont directement à l'équipe qui peut agir."
    )
    score = _question(d, "nps")
    score["label"]["fr"] = "Quelle est la probabilité que vous nous recommandiez à un ami ou à un collègue ?"
    score["min_label"]["fr"] = "Pas du tout probable"
    score["max_label"]["fr"] = "Très probable"
    comment = _question(d, "reason")
    comment["key"] = "comment"
    comment["label"]["fr"] = "Quelle est la raison principale de votre note de {{answer:nps}} ?"
    fix = _question(d, "fix_first")
    fix["label"] = {
        "en": "What should we fix first?",
        "de": "Was sollten wir zuerst verbessern?",
        "fr": "Que devrions-nous améliorer en premier ?",
    }
    french = {
        "delivery": "Rapidité de livraison",
        "quality": "Qualité des produits",
        "returns": "Retours et remboursements",
        "support": "Service client",
        "price": "Prix",
    }
    for option in fix["options"]:
        option["label"]["fr"] = french[option["key"]]
    _question(d, "contact_ok")["label"]["fr"] = "Pouvons-nous vous contacter au sujet de votre réponse ?"
    for ending in d["endings"]:
        ending["title"]["fr"] = "Merci !"
        ending["text"]["fr"] = "Nous lisons chaque réponse."
    return d


def _support_ces(d: dict) -> dict:
    """The template plus a closing open question, as the support team asks it."""
    d["blocks"].append(
        {
            "key": "more",
            "questions": [
                {
                    "key": "comment",
                    "type": "text",
                    "multiline": True,
                    "label": "Anything else you would like to tell us about your experience?",
                }
            ],
        }
    )
    return d


def _enps(d: dict) -> dict:
    """The template with the round (e.g. 2026-Q3) in the staff link, so results can be split by quarter."""
    d["hidden_fields"] = ["round"]
    return d


@dataclass(frozen=True)
class SurveySpec:
    name: str
    template: str
    customise: Callable[[dict], dict] | None
    days_before: int  # created this many days before the calendar's first day
    author: str


SURVEYS = (
    SurveySpec(NPS, "relationship_nps", _relationship_nps, 41, Role.ANALYST),
    SurveySpec(CSAT, "delivery_csat", None, 33, Role.ANALYST),
    SurveySpec(CES, "support_ces", _support_ces, 30, Role.ANALYST),
    SurveySpec(EXIT, "exit", None, 24, Role.ANALYST),
    SurveySpec(ENPS, "enps", _enps, 52, Role.OWNER),
)


def demo_definition(spec: SurveySpec) -> dict:
    """The survey's definition: its template's, edited as the demo company runs it, and checked."""
    data = template_definition(spec.template)
    if spec.customise is not None:
        data = spec.customise(data)
    return parse_definition(data).dump()


@dataclass
class Live:
    survey: Survey
    version: SurveyVersion
    defn: SurveyDefinition


def create_surveys(ctx, cal: Calendar) -> dict[str, Live]:
    """The five surveys, live with version 1, dated as if built and published about a year ago."""
    out = {}
    for spec in SURVEYS:
        actor = ctx.users[spec.author]
        survey = services.survey_create(
            workspace=ctx.workspace, actor=actor, name=spec.name, template=spec.template
        )
        if spec.customise is not None:
            services.survey_update(survey=survey, actor=actor, definition=demo_definition(spec))
        survey = services.survey_publish(survey=survey, actor=actor)
        created = cal.start - timedelta(days=spec.days_before) + timedelta(hours=10, minutes=12)
        published = created + timedelta(days=3, hours=4, minutes=40)
        Survey.objects.filter(pk=survey.pk).update(created_at=created, updated_at=published)
        SurveyVersion.objects.filter(pk=survey.current_version_id).update(created_at=published)
        survey.refresh_from_db()
        version = survey.current_version
        out[spec.name] = Live(survey, version, version.parsed())
    return out


# ---- what the earlier steps left in the database ----------------------------------------------------------
class World:
    """The customers and events the responses follow, read back in a fixed order."""

    def __init__(self, ctx, cal: Calendar):
        self.cal = cal
        self.shoppers = load_shoppers(ctx.workspace)
        self.by_pk = {s.pk: s for s in self.shoppers}
        self.by_signup = sorted(self.shoppers, key=lambda s: (s.signup_at, s.email))
        self.signups = [s.signup_at for s in self.by_signup]
        self.incident = cal.month_bounds(R.INCIDENT_MONTHS_BACK)
        rows = Event.objects.filter(
            workspace=ctx.workspace, name__in=("order_delivered", "ticket_solved", "subscription_cancelled")
        ).values("name", "external_id", "occurred_at", "customer_id", "properties")
        rows = sorted(rows, key=lambda e: (e["occurred_at"], e["external_id"]))
        self.delivered = [e for e in rows if e["name"] == "order_delivered"]
        self.solved = [e for e in rows if e["name"] == "ticket_solved"]
        self.cancelled = [e for e in rows if e["name"] == "subscription_cancelled"]
        self.delivery_of = {e["properties"]["order_id"]: e for e in self.delivered}
        self.ticket_of = {e["properties"]["ticket_id"]: e for e in self.solved}
        # customers whose parcel the North West incident held up
        self.incident_hit = {
            e["customer_id"]
            for e in self.delivered
            if self.hit(self.by_pk.get(e["customer_id"]), e["occurred_at"], e["properties"])
        }
        # when each customer who cancelled bought from the Linen Edit
        self.linen_bought: dict[int, list[datetime]] = {}
        placed = Event.objects.filter(
            workspace=ctx.workspace,
            name="order_placed",
            customer_id__in=[e["customer_id"] for e in self.cancelled],
        ).values_list("customer_id", "occurred_at", "properties")
        for customer_id, when, props in placed:
            if str(props.get("product", "")).startswith("Linen Edit"):
                self.linen_bought.setdefault(customer_id, []).append(when)

    def in_incident(self, shopper: Shopper | None, moment: datetime) -> bool:
        start, end = self.incident
        return shopper is not None and shopper.region == R.INCIDENT_REGION and start <= moment < end

    def hit(self, shopper: Shopper | None, moment: datetime, props: dict) -> bool:
        """A late SwiftParcel delivery of the North West incident."""
        return (
            props.get("carrier") == R.INCIDENT_CARRIER
            and props.get("days_late", 0) >= 3
            and self.in_incident(shopper, moment)
        )

    def shopper_at(self, rng: Random, moment: datetime) -> Shopper | None:
        """A customer signed up and reachable at that moment (a few tries)."""
        count = bisect.bisect_right(self.signups, moment)
        for _ in range(4):
            if count == 0:
                return None
            s = self.by_signup[rng.randrange(count)]
            if s.reachable(moment):
                return s
        return None


# ---- responses, planned before they are written ------------------------------------------------------------
@dataclass
class Planned:
    """One response and its feedback item: an item of the feedback step (`item`), or a new one."""

    survey: str
    started: datetime
    finished: datetime  # the last page sent (updated_at; completed_at when completed)
    answers: dict[str, Any]
    status: str = Response.Status.COMPLETED
    via: str = Response.Via.EMAIL
    customer_id: int | None = None
    language: str = "en"
    other: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    item: FeedbackItem | None = None
    known: frozenset[str] = frozenset()  # answer keys the existing item has already
    # a new item's own fields
    external_id: str = ""
    touchpoint: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    stored: list[AnswerIn] = field(default_factory=list)  # the answers to insert


def _finished(rng: Random, cal: Calendar, started: datetime, answers: dict[str, Any], pages: int) -> datetime:
    """When the last page was sent: some seconds a page, more for typed answers; before the calendar's
    today, like everything else."""
    seconds = sum(rng.uniform(8, 40) for _ in range(pages))
    seconds += sum(len(v) / 4 for v in answers.values() if isinstance(v, str) and len(v) > 20)
    end = started + timedelta(seconds=round(seconds, 3))
    return max(started, min(end, cal.today - timedelta(microseconds=1)))


def _state_value(kind: str, value: float | None, text: str, choices: list | None) -> Any:
    """An Answer row's value in the engine's state format (see cxloop/surveys/engine.py)."""
    if kind in ("nps", "csat", "ces", "rating", "number"):
        return int(value) if float(value).is_integer() else value
    if kind == "yes_no":
        return value == 1.0
    if kind == "choice":
        return choices[0]
    if kind == "multi_choice":
        return list(choices)
    return text


def _fix_first(rng: Random, text: str, touchpoint: str) -> tuple[str, str]:
    """What a detractor wants fixed first, from their comment: (option key, "other" text)."""
    complaint = text
    for join in MIXED_JOIN:
        if join in text:
            complaint = text.split(join, 1)[1]
    low = complaint.lower()
    topic = None
    if text:
        for option, other_topic, pattern in T.FIX_FIRST_PATTERNS:
            if pattern.search(low):
                if option is not None:
                    return option, ""
                topic = other_topic
                break
        if topic is None and touchpoint in T.TOUCHPOINT_FIX:
            return T.TOUCHPOINT_FIX[touchpoint], ""
        topic = topic or T.TOUCHPOINT_OTHER.get(touchpoint)
    if topic is not None:
        return engine.OTHER, rng.choice(T.OTHER_FIX[topic])
    return weighted(rng, T.FIX_FIRST_SILENT), ""


def _clamp(value: int) -> int:
    return max(1, min(5, value))


def _aspects(rng: Random, csat: int, late: int, hit: bool) -> dict[str, int]:
    """The delivery CSAT's matrix: speed follows the lateness, tracking failed in the incident."""
    if late >= 3:
        speed = rng.choice((1, 1, 2))
    elif late >= 1:
        speed = rng.choice((2, 3, 3))
    else:
        speed = _clamp(max(csat, 3) + rng.choice((0, 0, 1)))
    tracking = 1 if hit else rng.choice((1, 2, 2)) if late >= 3 else _clamp(csat + rng.choice((-1, 0, 0, 1)))
    rows = {
        "speed": speed,
        "packaging": _clamp(csat + rng.choice((-1, 0, 1, 1))),
        "courier": _clamp(csat + rng.choice((-1, 0, 0, 1)) - (1 if late >= 3 else 0)),
        "tracking": tracking,
    }
    return {k: v for k, v in rows.items() if k == "speed" or rng.random() < 0.9}


class Planner:
    def __init__(self, ctx, cal: Calendar, live: dict[str, Live], world: World):
        self.ctx, self.cal, self.live, self.world = ctx, cal, live, world
        self.rng: Random = ctx.rng
        self.salt = self.rng.getrandbits(64)  # for the generators of the feedback step's items
        self.plan: list[Planned] = []

    def item_rng(self, item: FeedbackItem) -> Random:
        return Random(f"{self.salt}:{item.source}:{item.external_id}")

    # -- the feedback step's survey items ------------------------------------------------------------------
    def link_feedback(self) -> None:
        items = FeedbackItem.objects.filter(
            workspace=self.ctx.workspace, channel="survey", source__in=LINKED, survey_response__isnull=True
        )
        rows: dict[int, dict[str, Any]] = {}
        for item_id, key, kind, value, text, choices in Answer.objects.filter(item__in=items).values_list(
            "item_id", "key", "type", "value", "text", "choices"
        ):
            rows.setdefault(item_id, {})[key] = _state_value(kind, value, text, choices)
        items = sorted(items, key=lambda i: (i.source, i.external_id or "", i.pk))
        recovered = {i.metadata["follow_up_of"] for i in items if "follow_up_of" in i.metadata}
        for item in items:
            rng = self.item_rng(item)
            answers = dict(rows.get(item.pk, {}))
            known = frozenset(answers)
            plan = Planned(
                survey=item.source,
                started=item.occurred_at,
                finished=item.occurred_at,
                answers=answers,
                via=Response.Via.EMAIL if item.customer_id else Response.Via.LINK,
                customer_id=item.customer_id,
                language=item.language or "en",
                item=item,
                known=known,
            )
            if item.source == NPS:
                pages = self.enrich_nps(rng, plan, item, item.external_id in recovered)
            elif item.source == CSAT:
                pages = self.enrich_csat(rng, plan, item)
            else:
                pages = self.enrich_ces(rng, plan, item)
            plan.finished = _finished(rng, self.cal, plan.started, plan.answers, pages)
            self.plan.append(plan)

    def enrich_nps(self, rng: Random, plan: Planned, item: FeedbackItem, recovered: bool) -> int:
        score = plan.answers.get("nps")
        if score is None or score > 6:
            return 2
        if recovered or rng.random() < 0.8:
            option, other = _fix_first(rng, item.text, item.touchpoint)
            plan.answers["fix_first"] = option
            if other:
                plan.other["fix_first"] = other
        if recovered or rng.random() < 0.75:
            plan.answers["contact_ok"] = True if recovered else rng.random() < 0.55
        return 3

    def enrich_csat(self, rng: Random, plan: Planned, item: FeedbackItem) -> int:
        order_id = item.metadata.get("order_id")
        if order_id:
            plan.hidden["order_id"] = str(order_id)
        delivered = self.world.delivery_of.get(order_id)
        csat = plan.answers.get("csat")
        if delivered is None or csat is None:
            return 2
        props = delivered["properties"]
        late = props.get("days_late", 0)
        hit = self.world.hit(self.world.by_pk.get(item.customer_id), delivered["occurred_at"], props)
        if rng.random() < 0.9:
            plan.answers["on_time"] = late == 0
        if rng.random() < 0.45:
            plan.answers["aspects"] = _aspects(rng, csat, late, hit)
        return 2

    def enrich_ces(self, rng: Random, plan: Planned, item: FeedbackItem) -> int:
        ticket_id = item.metadata.get("ticket_id")
        if ticket_id is not None:
            plan.hidden["ticket_id"] = str(ticket_id)
        solved = self.world.ticket_of.get(ticket_id)
        hours = solved["properties"]["hours_to_solve"] if solved else 24.0
        topic = solved["properties"]["topic"] if solved else ""
        p_open = 0.05 if hours < 8 else 0.15 if hours < 48 else 0.35
        if plan.answers.get("ces", 7) <= 3:
            p_open += 0.2
        plan.answers["resolved"] = rng.random() >= p_open
        pages = 2
        if not plan.answers["resolved"]:
            pages = 3
            if rng.random() < 0.45:
                plan.answers["what_left"] = rng.choice(T.WHAT_LEFT.get(topic, T.WHAT_LEFT_ANY))
        return pages

    # -- drop-off: starts that stopped early -----------------------------------------------------------------
    def partial(self, survey: str, started: datetime, answers: dict, **fields) -> Planned:
        return Planned(
            survey=survey,
            started=started,
            finished=_finished(self.rng, self.cal, started, answers, 1),
            answers=answers,
            status=Response.Status.PARTIAL,
            **fields,
        )

    def nps_partials(self) -> None:
        """Respondents who give the score and leave: NPS_PARTIAL_SHARE of all starts."""
        rng, cal, world = self.rng, self.cal, self.world
        done = sum(1 for p in self.plan if p.survey == NPS)
        planned = []
        for _ in range(round(done * NPS_PARTIAL_SHARE / (1 - NPS_PARTIAL_SHARE))):
            moment = cal.moment(rng, cal.pick_day(rng))
            shopper = world.shopper_at(rng, moment)
            if shopper is None:
                continue
            promoter, passive = nps_odds(shopper.segment, moment, world.in_incident(shopper, moment))
            r = rng.random()
            if r < promoter:
                score = rng.choice((9, 10))
            elif r < promoter + passive:
                score = rng.choice((7, 8))
            else:
                score = rng.choice((0, 1, 2, 3, 4, 5, 5, 6, 6, 6))
            planned.append((moment, shopper, score))
        planned.sort(key=lambda p: (p[0], p[1].email))
        for number, (moment, shopper, score) in enumerate(planned, start=1):
            self.plan.append(
                self.partial(
                    NPS,
                    moment,
                    {"nps": score},
                    customer_id=shopper.pk,
                    external_id=f"nps-partial-{number:06d}",
                    touchpoint="overall",
                )
            )

    def csat_partials(self) -> None:
        """Delivery CSAT respondents who rate the delivery and leave: CSAT_PARTIAL_SHARE of all starts."""
        rng, world = self.rng, self.world
        done = sum(1 for p in self.plan if p.survey == CSAT)
        answered = {p.hidden.get("order_id") for p in self.plan if p.survey == CSAT}
        candidates = [e for e in world.delivered if e["properties"]["order_id"] not in answered]
        wanted = round(done * CSAT_PARTIAL_SHARE / (1 - CSAT_PARTIAL_SHARE))
        end = world.incident[1]
        for e in rng.sample(candidates, min(wanted, len(candidates))):
            shopper, props = world.by_pk.get(e["customer_id"]), e["properties"]
            late = props.get("days_late", 0)
            hit = world.hit(shopper, e["occurred_at"], props)
            moment = e["occurred_at"] + timedelta(minutes=rng.randint(120, 60 * 60))
            if hit:
                moment = min(moment, end - timedelta(minutes=1))
            if shopper is None or moment >= self.cal.today or not shopper.reachable(moment):
                continue
            if hit:
                score = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
            elif late >= 3:
                score = rng.choices((1, 2, 3, 4), weights=(45, 30, 18, 7))[0]
            elif late >= 1:
                score = rng.choices((1, 2, 3, 4, 5), weights=(15, 15, 25, 25, 20))[0]
            else:
                score = rng.choices((1, 2, 3, 4, 5), weights=(6, 5, 9, 25, 55))[0]
            order_id = props["order_id"]
            self.plan.append(
                self.partial(
                    CSAT,
                    moment,
                    {"csat": score},
                    customer_id=shopper.pk,
                    hidden={"order_id": order_id},
                    external_id=f"csat-{order_id}",
                    touchpoint="delivery",
                    metadata={"order_id": order_id, "carrier": props["carrier"]},
                )
            )

    def ces_partials(self) -> None:
        """CES respondents who answer the first page and leave: most of them not helped yet."""
        rng, world = self.rng, self.world
        done = sum(1 for p in self.plan if p.survey == CES)
        answered = {p.hidden.get("ticket_id") for p in self.plan if p.survey == CES}
        candidates = [e for e in world.solved if str(e["properties"]["ticket_id"]) not in answered]
        wanted = round(done * CES_PARTIAL_SHARE / (1 - CES_PARTIAL_SHARE))
        for e in rng.sample(candidates, min(wanted, len(candidates))):
            shopper, props = world.by_pk.get(e["customer_id"]), e["properties"]
            moment = e["occurred_at"] + timedelta(minutes=rng.randint(60, 30 * 60))
            if shopper is None or moment >= self.cal.today or not shopper.reachable(moment):
                continue
            resolved = rng.random() < 0.4
            score = rng.choice((5, 6, 6, 7)) if resolved else rng.choice((1, 2, 2, 3, 3, 4))
            ticket_id = props["ticket_id"]
            self.plan.append(
                self.partial(
                    CES,
                    moment,
                    {"ces": score, "resolved": resolved},
                    customer_id=shopper.pk,
                    hidden={"ticket_id": str(ticket_id)},
                    external_id=f"ces-{ticket_id}",
                    touchpoint="support",
                    metadata={"ticket_id": ticket_id},
                )
            )

    # -- the exit survey -------------------------------------------------------------------------------------
    def exits(self) -> None:
        """Members who cancelled answer a day or two later, for the reasons their story gives them."""
        rng, world, cal = self.rng, self.world, self.cal
        for e in world.cancelled:
            shopper = world.by_pk.get(e["customer_id"])
            if shopper is None or rng.random() >= EXIT_ANSWER_RATE:
                continue
            moment = e["occurred_at"] + timedelta(hours=rng.randint(20, 52), minutes=rng.randint(0, 59))
            if moment >= cal.today or not shopper.reachable(moment):
                continue
            reasons, main, comment_key = self.exit_reasons(rng, shopper, e)
            answers: dict[str, Any] = {"leave_reasons": reasons}
            other = {}
            if rng.random() < 0.06:
                answers["leave_reasons"] = [*reasons, engine.OTHER]
                other["leave_reasons"] = rng.choice(T.EXIT_OTHER)
            fields = {
                "customer_id": shopper.pk,
                "other": other,
                "external_id": f"exit-{e['external_id']}",
                "touchpoint": "churn",
            }
            if rng.random() < EXIT_PARTIAL_SHARE:
                self.plan.append(self.partial(EXIT, moment, answers, **fields))
                continue
            answers["main_reason"] = main
            if rng.random() < 0.8:
                low, high = COME_BACK.get(main, (2, 5))
                answers["come_back"] = rng.randint(low, high)
            if rng.random() < 0.45:
                answers["comment"] = rng.choice(T.EXIT_COMMENTS[comment_key])
            self.plan.append(
                Planned(
                    survey=EXIT,
                    started=moment,
                    finished=_finished(rng, cal, moment, answers, 2),
                    answers=answers,
                    **fields,
                )
            )

    def exit_reasons(self, rng: Random, shopper: Shopper, cancelled: dict) -> tuple[list[str], str, str]:
        """(reasons in the survey's option order, the main one, the comment bank to draw from)."""
        order = ("price", "delivery", "quality", "returns", "competitor", "no_need")
        when = cancelled["occurred_at"]
        linen = any(t < when for t in self.world.linen_bought.get(shopper.pk, []))
        if shopper.pk in self.world.incident_hit:
            reasons = {"delivery"}
            if rng.random() < 0.2:
                reasons.add("returns")
            if rng.random() < 0.15:
                reasons.add("competitor")
            others = sorted(reasons - {"delivery"})
            main = others[0] if others and rng.random() >= 0.9 else "delivery"
            bank = main
        elif linen:
            reasons = {"quality"}
            if rng.random() < 0.5:
                reasons.add("returns")
            main = "quality" if rng.random() < 0.75 or len(reasons) == 1 else "returns"
            bank = "linen" if main == "quality" else "returns"
        else:
            first = {
                "Too expensive": "price",
                "Found a better offer elsewhere": "competitor",
                "Not ordering enough": "no_need",
                "Delivery problems": "delivery",
            }.get(cancelled["properties"].get("reason"), "no_need")
            reasons = {first}
            extra = "no_need" if first == "price" else "price"
            if rng.random() < 0.3:
                reasons.add(extra)
            main = first if rng.random() < 0.85 or len(reasons) == 1 else extra
            bank = main
        return [k for k in order if k in reasons], main, bank

    # -- eNPS ------------------------------------------------------------------------------------------------
    def enps_rounds(self) -> list[tuple[str, datetime, bool]]:
        """The four latest quarterly rounds (label, opening, peak quarter) opened at least a day ago: the
        latest may still be collecting answers."""
        cal = self.cal
        year, quarter = cal.today.year, (cal.today.month - 1) // 3 + 1
        rounds = []
        while len(rounds) < 4:
            opens = datetime(year, 3 * quarter - 1, 5, 9, tzinfo=UTC)
            if opens <= cal.today - timedelta(days=1):
                rounds.append((f"{year}-Q{quarter}", opens, quarter == 4))
            year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        return rounds[::-1]

    def enps(self) -> None:
        """Anonymous staff answers, most within days of the round's email; shares of promoters and
        detractors set per round (lower in the peak quarter), lower in the warehouse and support."""
        rng, cal = self.rng, self.cal
        for label, opens, peak in self.enps_rounds():
            people = []
            for _ in range(max(8, round(ENPS_STAFF * self.ctx.scale))):
                moment = opens + timedelta(hours=min(13 * 24, rng.expovariate(1 / 36)))
                team = weighted(rng, ENPS_TEAMS)
                lean = ENPS_LEAN[team] * (1.6 if peak else 1.0) + rng.random()
                if cal.start <= moment < cal.today:
                    people.append((lean, moment, team))
            promoters, detractors = (share + rng.uniform(-0.03, 0.03) for share in ENPS_SHARES[peak])
            n_promoters, n_detractors = round(len(people) * promoters), round(len(people) * detractors)
            people.sort()  # the lowest leaning are the detractors, the highest the promoters
            answered = []
            for rank, (_, moment, team) in enumerate(people):
                if rank < n_detractors:
                    score = rng.choice((2, 3, 4, 4, 5, 5, 6, 6, 6))
                elif rank >= len(people) - n_promoters:
                    score = rng.choice((9, 9, 10))
                else:
                    score = rng.choice((7, 8, 8))
                answers: dict[str, Any] = {"enps": score}
                if rng.random() < 0.92:
                    answers["team"] = team
                if rng.random() < (0.35 if score <= 6 else 0.2):
                    bank = T.ENPS_PEAK_CHANGES.get(team) if peak and rng.random() < 0.7 else None
                    answers["one_change"] = rng.choice(bank or T.ENPS_CHANGES[team])
                answered.append((moment, answers))
            answered.sort(key=lambda a: a[0])
            for number, (moment, answers) in enumerate(answered, start=1):
                self.plan.append(
                    Planned(
                        survey=ENPS,
                        started=moment,
                        finished=_finished(rng, cal, moment, answers, 1),
                        answers=answers,
                        via=Response.Via.LINK,
                        hidden={"round": label},
                        external_id=f"enps-{label}-{number:03d}",
                    )
                )


# ---- writing ---------------------------------------------------------------------------------------------
def _position(defn: SurveyDefinition, state: engine.State) -> tuple[int | str, str]:
    """Where a respondent who stopped now is (the next page), and the last question they answered."""
    pages = engine.pages(defn, state)
    last = max(p.index for p in pages if any(q.key in state.answers for _, q in p.questions))
    order = [q.key for q in defn.questions() if q.key in state.answers]
    return engine.next_page(defn, state, last), order[-1]


def write(ctx, live: dict[str, Live], plan: list[Planned]) -> None:
    workspace = ctx.workspace
    states = []
    new_items, changed_text = [], []
    for p in plan:
        defn = live[p.survey].defn
        state = engine.State(answers=p.answers, other=p.other, hidden=p.hidden)
        states.append(state)
        stored = engine.stored_answers(defn, state)
        text = engine.response_text(defn, state)
        if p.item is None:
            data = FeedbackIn(
                external_id=p.external_id,
                channel="survey",
                source=p.survey,
                touchpoint=p.touchpoint,
                occurred_at=p.started,
                language=p.language,
                text=text,
                metadata=p.metadata,
                answers=stored,
            )
            p.item = FeedbackItem(
                workspace=workspace,
                customer_id=p.customer_id,
                channel=data.channel,
                source=data.source,
                touchpoint=data.touchpoint,
                external_id=data.external_id,
                occurred_at=data.occurred_at,
                received_at=min(data.occurred_at + timedelta(minutes=LAG["survey"]), ctx.now),
                language=data.language,
                text=data.text,
                metadata=data.metadata,
            )
            p.stored = data.answers
            new_items.append(p.item)
        else:
            p.stored = [AnswerIn.model_validate(a) for a in stored if a["key"] not in p.known]
            if text != p.item.text:
                p.item.text = text
                changed_text.append(p.item)
    FeedbackItem.objects.bulk_create(new_items, batch_size=500)
    Answer.objects.bulk_create(
        [
            Answer(
                workspace=workspace,
                item=p.item,
                key=a.key,
                type=a.type,
                occurred_at=p.item.occurred_at,
                channel=p.item.channel,
                **a.normalized,
            )
            for p in plan
            for a in p.stored
        ],
        batch_size=2000,
    )
    responses = []
    for p, state in zip(plan, states, strict=True):
        target = live[p.survey]
        page, last_question = _position(target.defn, state)
        completed = p.status == Response.Status.COMPLETED
        responses.append(
            Response(
                workspace=workspace,
                survey=target.survey,
                version=target.version,
                token=secrets.token_urlsafe(24),  # a resume link's secret: never derived from the seed
                via=p.via,
                language=p.language,
                state=state.dump({"customer_id": p.customer_id} if p.customer_id else None),
                page=None if completed else page,
                last_question=last_question,
                answered=sum(1 for v in state.answers.values() if v not in (None, "", [], {})),
                status=p.status,
                ending=target.defn.endings[0].key if completed else "",
                feedback_item=p.item,
                started_at=p.started,
                updated_at=p.finished,
                completed_at=p.finished if completed else None,
            )
        )
    Response.objects.bulk_create(responses, batch_size=500)
    for p, response in zip(plan, responses, strict=True):
        metadata = {
            **p.item.metadata,
            "survey_id": response.survey_id,
            "survey_version": live[p.survey].version.number,
            "response_id": response.pk,
            "response_status": response.status,
            "via": response.via,
        }
        if p.hidden:
            metadata["hidden"] = p.hidden
        p.item.metadata = metadata
    FeedbackItem.objects.bulk_update([p.item for p in plan], ["metadata"], batch_size=500)
    FeedbackItem.objects.bulk_update(changed_text, ["text"], batch_size=500)


def seed_surveys(ctx) -> None:
    cal = Calendar.from_now(ctx.now)
    live = create_surveys(ctx, cal)
    planner = Planner(ctx, cal, live, World(ctx, cal))
    planner.link_feedback()
    planner.nps_partials()
    planner.csat_partials()
    planner.ces_partials()
    planner.exits()
    planner.enps()
    write(ctx, live, planner.plan)
