"""Feedback the shop does not ask for: reviews, social posts, chats, interviews, some in French and German."""

from __future__ import annotations

from . import retail as R
from .texts import INCIDENT, INCIDENT_TITLES, TOUCHPOINT
from .texts_channels import SOCIAL_HANDLES
from .voices import APP_THEMES, Voices, tone_for

REVIEW_STARS = (1, 2, 3, 4, 5)
TRUSTPILOT_WEIGHTS = (18, 7, 7, 16, 52)
APP_WEIGHTS = (24, 8, 8, 15, 45)
NICKNAMES = (
    "Kaz",
    "shopaholic_88",
    "JD",
    "busy mum",
    "Rob W",
    "linen lover",
    "Gemma",
    "happyhome",
    "T. Ellis",
    "Zed",
)


def _author(v: Voices, shopper) -> str:
    if shopper is not None:
        first, _, last = shopper.name.partition(" ")
        return f"{first} {last[:1]}." if last else first
    country = R.weighted(v.rng, R.COUNTRIES)
    return f"{v.rng.choice(R.FIRST_NAMES[country])} {v.rng.choice(R.LAST_NAMES[country])[:1]}."


def trustpilot(v: Voices) -> None:
    rng = v.rng
    for _ in range(v.n("trustpilot")):
        moment = v.when()
        shopper = v.shopper_at(moment, surveyed=False) if rng.random() < 0.75 else None
        stars = rng.choices(REVIEW_STARS, weights=TRUSTPILOT_WEIGHTS)[0]
        tone = tone_for(stars, 5, rng)
        if v.in_incident(shopper, moment) and stars <= 3:
            theme, text, title = "delivery_speed", v.w.incident(), v.w.pick(INCIDENT_TITLES)
        else:
            theme, text = v.text(tone, moment)
            title = v.w.title(tone, theme)
        v.add(
            channel="review",
            source="Trustpilot",
            touchpoint=TOUCHPOINT[theme],
            occurred_at=moment,
            shopper=shopper,
            title=title,
            text=text,
            answers=[{"key": "rating", "type": "rating", "value": stars, "scale": [1, 5]}],
            metadata={"author": _author(v, shopper)},
        )


def app_reviews(v: Voices) -> None:
    rng = v.rng
    for source, key in (("App Store", "app_store"), ("Google Play", "google_play")):
        for _ in range(v.n(key)):
            moment = v.when()
            stars = rng.choices(REVIEW_STARS, weights=APP_WEIGHTS)[0]
            tone = tone_for(stars, 5, rng)
            theme, text = v.text(tone, moment, APP_THEMES)
            v.add(
                channel="review",
                source=source,
                touchpoint=TOUCHPOINT[theme],
                occurred_at=moment,
                shopper=None,
                title=v.w.title(tone, theme) if source == "App Store" else "",
                text=text,
                answers=[{"key": "rating", "type": "rating", "value": stars, "scale": [1, 5]}],
                metadata={"author": rng.choice(NICKNAMES), "app_version": R.app_version(v.cal, moment)},
            )


def social(v: Voices) -> None:
    rng = v.rng
    for platform, key, tones in (
        ("X", "x", (("complaint", 55), ("praise", 30), ("question", 15))),
        ("Instagram", "instagram", (("praise", 70), ("complaint", 20), ("question", 10))),
    ):
        prefix = "x:" if platform == "X" else "instagram:"
        known = [s for s in v.shoppers if s.social and s.social.startswith(prefix)]
        for _ in range(v.n(key)):
            moment = v.when()
            tone = R.weighted(rng, tones)
            shopper = rng.choice(known) if known and rng.random() < 0.3 else None
            if shopper is not None and shopper.signup_at > moment:
                shopper = None
            if tone == "question":
                theme = rng.choice(("delivery_speed", "stock", "sizing_fit", "returns_refunds"))
            else:
                theme = v.theme(tone, moment)
            if v.in_incident(shopper, moment) and tone == "complaint":
                theme, text = "delivery_speed", f"@hearthandthread {v.w.pick(INCIDENT)}"
            else:
                theme, text = v.w.social(platform, tone, theme)
            handle = shopper.social.split(":", 1)[1] if shopper is not None else rng.choice(SOCIAL_HANDLES)
            v.add(
                channel="social",
                source=platform,
                touchpoint=TOUCHPOINT[theme],
                occurred_at=moment,
                shopper=shopper,
                text=text,
                metadata={"handle": handle},
            )


def chats(v: Voices) -> None:
    rng = v.rng
    for _ in range(v.n("chat")):
        moment = v.cal.moment(rng, v.cal.pick_day(rng), 8, 22)
        shopper = v.shopper_at(moment, surveyed=False) if rng.random() < 0.9 else None
        tone = R.weighted(rng, (("praise", 55), ("neutral", 20), ("complaint", 25)))
        theme = v.theme("complaint", moment)
        agent = rng.choice(R.AGENTS)
        v.add(
            channel="chat",
            source="Live chat",
            touchpoint=TOUCHPOINT[theme],
            occurred_at=moment,
            shopper=shopper,
            text=v.w.chat(tone, theme, agent=agent),
            metadata={"agent": agent},
        )


def interviews(v: Voices) -> None:
    rng = v.rng
    count = max(2, round(10 * v.scale))
    candidates = [
        s for s in v.shoppers if s.segment in ("loyal", "vip", "at_risk") and s.unsubscribed_at is None
    ]
    for shopper in rng.sample(candidates, min(count, len(candidates))):
        day = v.cal.pick_day(rng, 30, 360)
        moment = v.cal.moment(rng, day, 10, 17)
        good = tuple(
            rng.sample(("product_quality", "delivery_speed", "support", "packaging", "price_value"), 2)
        )
        bad = tuple(
            rng.sample(("returns_refunds", "sizing_fit", "stock", "usability_app", "delivery_speed"), 2)
        )
        if bad[0] == good[0] or bad[1] in good:
            bad = ("returns_refunds", "stock")
        since = shopper.signup_at.year
        segment = shopper.segment.replace("_", "-")
        who = (
            f"Interview with {shopper.first_name} ({segment} customer, {shopper.region}, "
            f"shopping with us since {since})."
        )
        v.add(
            channel="call",
            source="Customer interviews",
            touchpoint="overall",
            occurred_at=moment,
            shopper=shopper,
            title=f"Customer interview: {shopper.first_name}",
            text=v.w.interview(who, good, bad),
            metadata={
                "interviewer": rng.choice(("Priya Nair", "Ella Stone")),
                "minutes": rng.randint(25, 50),
            },
        )


def foreign(v: Voices) -> None:
    """A few dozen NPS answers and Trustpilot reviews in French and German, from customers there."""
    rng = v.rng
    for language, country in (("fr", "FR"), ("de", "DE")):
        people = [s for s in v.shoppers if s.country == country]
        for _ in range(v.n("foreign") if people else 0):
            moment = v.when()
            shopper = rng.choice(people)
            if shopper.signup_at > moment or not shopper.reachable(moment):
                continue
            tone = R.weighted(rng, (("praise", 50), ("complaint", 35), ("mixed", 15)))
            touchpoint, title, text = v.w.foreign(language, tone)
            if rng.random() < 0.5:
                score = {"praise": rng.choice((9, 10)), "mixed": rng.choice((7, 8))}.get(
                    tone, rng.randint(0, 5)
                )
                v.add(
                    channel="survey",
                    source="Relationship NPS",
                    touchpoint=touchpoint,
                    occurred_at=moment,
                    shopper=shopper,
                    language=language,
                    text=text,
                    answers=v.score_answers("nps", "nps", score, text),
                )
            else:
                stars = {"praise": rng.choice((4, 5, 5)), "mixed": 3}.get(tone, rng.choice((1, 1, 2)))
                v.add(
                    channel="review",
                    source="Trustpilot",
                    touchpoint=touchpoint,
                    occurred_at=moment,
                    shopper=shopper,
                    language=language,
                    title=title,
                    text=text,
                    answers=[{"key": "rating", "type": "rating", "value": stars, "scale": [1, 5]}],
                    metadata={"author": _author(v, shopper)},
                )
