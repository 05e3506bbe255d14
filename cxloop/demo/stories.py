"""The three stories of the demo's feedback (see cxloop/demo/retail.py): the North West incident's extra
voices, the rising "Linen Edit runs small" complaints, and detractors won back by the support team."""

from __future__ import annotations

from datetime import timedelta

from . import retail as R
from .texts import LINEN_TITLES
from .texts_channels import SOCIAL_HANDLES
from .voices import Voices


def linen_complaints(v: Voices, placed: list[dict]) -> None:
    """About 14, 30, 52, 84 complaints in months −4 … −1 (× scale), the current month at the month −1 pace."""
    rng, cal = v.rng, v.cal
    buyers: dict[int, list] = {}
    for e in placed:
        if e["properties"].get("product", "").startswith("Linen Edit"):
            shopper = v.by_pk.get(e["customer_id"])
            if shopper is not None:
                buyers.setdefault(cal.months_back(e["occurred_at"]), []).append((e["occurred_at"], shopper))
    fashion = [s for s in v.shoppers if s.attributes.get("favourite_category") == "fashion"]
    plan = dict(R.LINEN_COMPLAINTS_PER_MONTH)
    start, end = cal.month_bounds(0)
    plan[0] = R.LINEN_COMPLAINTS_PER_MONTH[1] * 1.1 * (cal.today - start).days / (end - start).days
    for back, per_month in plan.items():
        month_start, month_end = cal.month_bounds(back)
        month_end = min(month_end, cal.today)
        first, last = cal.index(month_start), cal.index(month_end)
        for _ in range(round(per_month * v.scale)):
            moment = cal.moment(rng, first + rng.randrange(max(1, last - first)))
            bought = [s for when, s in buyers.get(back, []) if when < moment]
            shopper = rng.choice(bought) if bought else rng.choice(fashion)
            channel = R.weighted(
                rng, (("Trustpilot", 40), ("Relationship NPS", 30), ("Live chat", 15), ("Instagram", 15))
            )
            text = v.w.linen()
            if channel == "Trustpilot":
                stars = rng.choice((1, 2, 2, 3))
                v.add(
                    channel="review",
                    source="Trustpilot",
                    touchpoint="product",
                    occurred_at=moment,
                    shopper=shopper,
                    title=rng.choice(LINEN_TITLES),
                    text=text,
                    answers=[{"key": "rating", "type": "rating", "value": stars, "scale": [1, 5]}],
                    metadata={"author": f"{shopper.first_name} {shopper.name.partition(' ')[2][:1]}."},
                )
            elif channel == "Relationship NPS" and shopper.reachable(moment):
                v.nps_item(moment, shopper, rng.choice((3, 4, 5, 6, 6, 7)), text, "sizing_fit")
            elif channel == "Instagram":
                v.add(
                    channel="social",
                    source="Instagram",
                    touchpoint="product",
                    occurred_at=moment,
                    shopper=None,
                    text=f"@hearthandthread {text} #linenedit",
                    metadata={"handle": rng.choice(SOCIAL_HANDLES)},
                )
            else:
                agent = rng.choice(R.AGENTS)
                transcript = "\n".join(
                    [
                        f"Customer: {text}",
                        f"Agent ({agent}): I'm sorry about that. I can exchange it for the next size up, "
                        "free of charge.",
                        f"Customer: {rng.choice(('OK, thanks.', 'Fine, but the size guide should say so.'))}",
                    ]
                )
                v.add(
                    channel="chat",
                    source="Live chat",
                    touchpoint="product",
                    occurred_at=moment,
                    shopper=shopper,
                    text=transcript,
                    metadata={"agent": agent},
                )


def incident_extras(v: Voices, delivered: list[dict]) -> None:
    """Half the North West customers whose parcel was late in the incident month answer the NPS in anger."""
    rng = v.rng
    end = v.incident[1]
    seen = set()
    for e in delivered:
        shopper = v.by_pk.get(e["customer_id"])
        props = e["properties"]
        if (
            shopper is None
            or shopper.pk in seen
            or props.get("carrier") != R.INCIDENT_CARRIER
            or props.get("days_late", 0) < 3
            or not v.in_incident(shopper, e["occurred_at"])
        ):
            continue
        seen.add(shopper.pk)
        if rng.random() >= 0.5:
            continue
        moment = min(
            e["occurred_at"] + timedelta(minutes=rng.randint(60, 5 * 24 * 60)), end - timedelta(minutes=1)
        )
        if not shopper.reachable(moment):
            continue
        score = rng.choices((0, 1, 2, 3, 4, 5, 6, 7), weights=(4, 3, 5, 5, 4, 3, 2, 1))[0]
        text = v.w.incident(props["days_late"]) if rng.random() < 0.95 else ""
        v.nps_item(moment, shopper, score, text, "incident" if text else "")


def follow_ups(v: Voices) -> None:
    """~150 detractors (× scale) answer a follow-up NPS 30–90 days later as passives or promoters."""
    rng, today = v.rng, v.cal.today
    eligible = [
        s
        for s in v.items
        if s["source"] == "Relationship NPS"
        and s["language"] == "en"
        and s.get("shopper") is not None
        and s["text"]
        and s["answers"][0]["value"] <= 6
        and (today - s["occurred_at"]).days > 31
    ]
    incident = [s for s in eligible if s.get("theme") == "incident"]
    others = [s for s in eligible if s.get("theme") != "incident"]
    total = round(R.FOLLOW_UPS * v.scale)
    chosen = rng.sample(incident, min(len(incident), round(40 * v.scale)))
    chosen += rng.sample(others, min(len(others), total - len(chosen)))
    taken = set()
    for earlier in chosen:
        shopper = earlier["shopper"]
        if shopper.pk in taken:
            continue
        room = (today - earlier["occurred_at"]).days - 1
        moment = earlier["occurred_at"] + timedelta(
            days=rng.randint(30, min(90, room)), minutes=rng.randint(0, 600)
        )
        if moment >= today or not shopper.reachable(moment):
            continue
        taken.add(shopper.pk)
        score = rng.choices((7, 8, 9, 10), weights=(15, 20, 30, 35))[0]
        text = v.w.recovery(earlier.get("theme") or "support")
        v.nps_item(
            moment, shopper, score, text, "support", follow_up_of=earlier, metadata={"wave": "follow-up"}
        )
