"""flags.flags: urgency (safety, legal, outage), churn intent and effort, with evidence and negation."""

from __future__ import annotations

from random import Random

import pytest

from cxloop.analysis.ml.flags import NAMES, Flag, flags
from cxloop.demo import texts as demo
from cxloop.demo.texts_channels import ChannelWriter


def raised(text: str, language: str = "en") -> set[str]:
    return set(flags(text, language))


def evidence(text: str, name: str, language: str = "en") -> tuple[str, ...]:
    return flags(text, language)[name].evidence


# ---- safety ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("My son choked on a loose button.", "choked"),
        ("The heater caught fire in the living room.", "caught fire"),
        ("The kettle burnt my hand when the lid flew off.", "burnt my"),
        ("My daughter had an allergic reaction to the dye.", "allergic"),
        ("The lamp gave me an electric shock.", "gave me an electric shock"),
        ("We ended up in A&E with my little boy.", "A&E"),
        ("The charger started overheating and smoke came out of it.", "overheating"),
        ("It's a fire hazard, the plug melts.", "fire hazard"),
        ("She got badly burned by the hot water bottle.", "got badly burned"),
    ],
)
def test_safety_cues_raise_safety_and_urgency(text, words):
    found = flags(text, "en")
    assert "safety" in found and "urgency" in found
    assert words in found["safety"].evidence
    assert found["urgency"].score == found["safety"].score


@pytest.mark.parametrize(
    "text",
    [
        "The sale prices are fire, burning a hole in my pocket!",
        "I was shocked at the price.",
        "It hurt my feelings that nobody said sorry.",
        "The colour ran in the wash and ruined a load of whites.",
        "The vase arrived smashed – the box had clearly been dropped.",
        "The candle smells amazing and burns evenly.",
        "They lost our bags, to add insult to injury.",
    ],
)
def test_ambiguous_words_alone_do_not_raise_safety(text):
    assert "safety" not in raised(text)


# ---- legal -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I've passed this to my solicitor.", "solicitor"),
        ("I will sue if this isn't refunded.", "sue"),
        ("I'm taking you to small claims court.", "small claims court"),
        ("Reported you to Trading Standards today.", "Trading Standards"),
        ("I'll take this to the ombudsman.", "ombudsman"),
        ("My lawyer will be in touch.", "lawyer"),
        ("Under the Consumer Rights Act I'm entitled to a refund.", "Consumer Rights Act"),
    ],
)
def test_legal_threats_raise_legal_and_urgency(text, words):
    found = flags(text, "en")
    assert {"legal", "urgency"} <= set(found)
    assert words in found["legal"].evidence


def test_a_name_is_not_a_lawsuit():
    assert "legal" not in raised("Sue from customer service sorted everything out in one call.")


# ---- outage ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Your site is down again.", "site is down"),
        ("Payments are failing for everyone in our office.", "Payments are failing for everyone"),
        ("I can't log in since this morning.", "can't log in"),
        ("Is there an outage? The app won't load.", "outage"),
        ("Checkout gives a 502 error.", "502 error"),
        ("Nobody can log in at the moment.", "Nobody can log in"),
    ],
)
def test_outages_raise_outage_and_urgency(text, words):
    found = flags(text, "en")
    assert {"outage", "urgency"} <= set(found)
    assert words in found["outage"].evidence


def test_an_outage_for_everyone_scores_above_one_customers_trouble():
    mine = flags("I can't log in.", "en")["outage"].score
    everyone = flags("The site is down and payments are failing for everyone.", "en")["outage"].score
    assert everyone > mine


# ---- churn -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I'm cancelling my subscription.", "cancelling my subscription"),
        ("Please close my account.", "close my account"),
        ("Never ordering again.", "Never ordering again"),
        ("I won't be ordering again.", "won't be ordering again"),
        ("I'll be shopping elsewhere from now on.", "shopping elsewhere"),
        ("Switching to Zalando, they deliver on time.", "Switching to Zalando"),
        ("Not renewing my Hearth+ membership.", "Not renewing"),
        ("Cancelled my Hearth+ membership today.", "Cancelled my Hearth+ membership"),
        ("I'm done with you.", "done with you"),
        ("Looking to switch to another bank.", "switch to another bank"),
    ],
)
def test_churn_intent_is_raised(text, words):
    assert words in evidence(text, "churn")


@pytest.mark.parametrize(
    "text",
    [
        "Will definitely order again.",
        "I'll keep shopping here.",
        "Can you cancel my order? I bought the wrong size.",
        "I switched to Apple Pay and checkout was quicker.",
        "I'm leaving you a five star review!",
        "They asked me to pay $700 to switch to a different flight.",
        "I was switched to an American Airlines flight, not by choice.",
        "My bag may need to go elsewhere first.",
        "I'm moving to China next year.",
    ],
)
def test_loyal_or_ordinary_requests_are_not_churn(text):
    assert "churn" not in raised(text)


# ---- effort ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I had to call three times before anyone helped.", "call three times"),
        ("Chased for weeks about my refund.", "Chased for weeks"),
        ("I was on hold for an hour.", "on hold for an hour"),
        ("I waited 50 minutes on hold and then got cut off.", "50 minutes on hold"),
        ("Nobody gets back to you.", "Nobody gets back"),
        ("I've emailed customer service three times and had nothing but automated replies.",
         "emailed customer service three times"),
        ("Every time I contact support I have to explain the whole problem again from scratch.",
         "explain the whole problem again"),
        ("This is the third time I've asked.", "third time I've"),
        ("I keep getting passed around between departments.", "passed around"),
        ("I've tried no less than 8 times today to get in touch with your service desk.",
         "tried no less than 8 times"),
    ],
)  # fmt: skip
def test_effort_is_raised(text, words):
    assert words in evidence(text, "effort")


@pytest.mark.parametrize(
    "text",
    [
        "I tried my PIN too many times and the card is blocked.",
        "Support sorted it in one call.",
        "I'm still waiting for the sale to start.",
    ],
)
def test_repeating_an_action_or_waiting_for_a_sale_is_not_effort(text):
    assert "effort" not in raised(text)


# ---- negation ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I won't cancel my subscription, it's still worth it.", "churn"),
        ("I'm not cancelling my membership over this.", "churn"),
        ("I have no intention of closing my account.", "churn"),
        ("No need to sue, just refund me.", "legal"),
        ("I'm not going to sue anyone.", "legal"),
        ("Nobody was hurt and there were no injuries.", "safety"),
        ("Thankfully my son didn't choke.", "safety"),
        ("It never caught fire but it smelled odd.", "safety"),
        ("I never had to call three times, one call fixed it.", "effort"),
        ("The support team followed up without me having to chase and fixed it.", "effort"),
        ("The live chat agent didn't make me jump through hoops.", "effort"),
        ("I wasn't on hold for an hour, only a minute.", "effort"),
    ],
)
def test_negated_cues_do_not_raise_the_flag(text, name):
    assert name not in raised(text)


def test_negation_stops_at_the_clause_boundary():
    assert "churn" in raised("I'm not happy, I'm cancelling my membership.")
    assert "churn" in raised("It's not cheap but I'm cancelling my membership anyway.")
    assert "safety" in raised("It didn't catch fire, but it overheated badly.")


def test_a_cue_that_carries_its_own_negation_still_counts_but_a_negated_one_does_not():
    assert "churn" in raised("I won't be ordering again.")
    assert "churn" not in raised("I'm not saying I'll never order again.")


# ---- other languages ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "language", "name", "words"),
    [
        ("Die Tasse kam zerbrochen an und niemand antwortet.", "de", "effort", "niemand antwortet"),
        ("Ich kündige mein Abo.", "de", "churn", "kündige"),
        ("Nie wieder bestelle ich hier!", "de", "churn", "Nie wieder bestelle"),
        ("Ich schalte jetzt meinen Anwalt ein.", "de", "legal", "Anwalt"),
        ("Mein Sohn hat sich an dem Teil verletzt.", "de", "safety", "verletzt"),
        ("Ich kann mich nicht mehr einloggen.", "de", "outage", "kann mich nicht mehr einloggen"),
        (
            "Le vase est arrivé cassé et personne ne répond à mes e-mails.",
            "fr",
            "effort",
            "personne ne répond",
        ),
        ("Je vais résilier mon abonnement.", "fr", "churn", "résilier"),
        ("Je vais contacter un avocat.", "fr", "legal", "avocat"),
        ("Le chargeur a pris feu !", "fr", "safety", "a pris feu"),
        ("Llamé tres veces y nadie contesta.", "es", "effort", "nadie contesta"),
        ("Voy a darme de baja.", "es", "churn", "darme de baja"),
        ("Hablaré con mi abogado.", "es", "legal", "abogado"),
        ("La web está caída desde ayer.", "es", "outage", "La web está caída"),
    ],
)
def test_german_french_and_spanish_cues(text, language, name, words):
    assert words in evidence(text, name, language)


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("Ich kündige mein Abo nicht.", "de", "churn"),
        ("Ich werde nicht kündigen.", "de", "churn"),
        ("Je ne vais pas résilier mon abonnement.", "fr", "churn"),
        ("No voy a darme de baja.", "es", "churn"),
        ("No necesito un abogado.", "es", "legal"),
    ],
)
def test_negation_in_other_languages(text, language, name):
    assert name not in raised(text, language)


def test_a_text_of_unknown_language_is_read_with_every_languages_rules():
    assert "churn" in raised("Kündigung!", "und")
    assert "churn" in raised("Kündigung!", None)
    assert "churn" not in raised("Kündigung!", "en")


def test_an_unsupported_language_still_gets_the_english_rules():
    assert "legal" in raised("Parlerò con il mio avvocato, solicitor already contacted.", "it")


# ---- scores and shape --------------------------------------------------------------------------------------
def test_several_cues_add_up_and_the_score_stays_below_one():
    one = flags("I had to call three times.", "en")["effort"]
    many = flags(
        "I had to call three times, was on hold for an hour, and nobody gets back to you. Chased for weeks.",
        "en",
    )["effort"]
    assert 0 < one.score < many.score <= 0.99
    assert len(many.evidence) == 4


def test_a_phrase_inside_a_longer_one_is_not_counted_twice():
    found = flags("Nie wieder bestelle ich hier!", "de")["churn"]
    assert found.evidence == ("Nie wieder bestelle",)
    assert found.score == 0.9


def test_the_result_holds_only_raised_flags_with_their_evidence():
    found = flags("I'm cancelling my subscription: the site is down and I was on hold for an hour.", "en")
    assert list(found) == ["urgency", "outage", "churn", "effort"]
    assert set(found) <= set(NAMES)
    assert all(isinstance(f, Flag) and 0 < f.score < 1 and f.evidence for f in found.values())
    assert found["urgency"].evidence == found["outage"].evidence == ("site is down",)


def test_plain_feedback_raises_nothing():
    assert flags("Lovely quality – the throw has washed really well and still looks new.", "en") == {}
    assert flags("", "en") == {}


def test_demo_praise_and_questions_raise_no_flags():
    writer = ChannelWriter(Random(3))
    texts = [
        writer.fill(s) for bank in (demo.PRAISE, demo.QUESTION) for group in bank.values() for s in group
    ]
    texts += [*demo.OPEN_PRAISE, *demo.CLOSE_PRAISE, *demo.RECOVERY_CLOSE]
    assert [(t, flags(t, "en")) for t in texts if flags(t, "en")] == []


def test_recovery_stories_raise_at_most_the_problem_they_recall():
    writer = ChannelWriter(Random(3))
    texts = [writer.fill(s, issue="my late parcel") for s in demo.RECOVERY]
    assert [(t, f) for t in texts if set(f := flags(t, "en")) - {"complaint"}] == []


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("My parcel arrived two weeks late.", "arrived two weeks late"),
        ("It never arrived.", "never arrived"),
        ("My order hasn't arrived yet.", "hasn't arrived"),
        ("The vase came smashed.", "smashed"),
        ("The kettle stopped working after a week.", "stopped working"),
        ("They sent me the wrong size.", "sent me the wrong"),
        ("The courier lost my parcel.", "lost my parcel"),
        ("I was charged twice for one order.", "charged twice"),
        ("The driver was incredibly rude.", "rude"),
        ("The dress looks nothing like the photos.", "looks nothing like the photos"),
        ("I've been waiting for 3 weeks.", "waiting for 3 weeks"),
        ("I made a complaint last week.", "made a complaint"),
    ],
)
def test_reported_problems_raise_complaint(text, evidence):
    assert evidence in flags(text, "en")["complaint"].evidence


@pytest.mark.parametrize(
    "text",
    [
        "The vase was not damaged at all.",
        "Great service, no problems.",
        "What should I do if an item arrives damaged?",
        "That's how to handle a complaint.",
        "Can I return an item?",
        "Nothing was missing, everything arrived on time.",
    ],
)
def test_denied_or_asked_about_problems_raise_no_complaint(text):
    assert "complaint" not in flags(text, "en")


def test_flags_are_deterministic():
    text = "Third time I've called. I'm cancelling my membership and contacting a solicitor."
    assert flags(text, "en") == flags(text, "en")
