"""pii.find / redact: personal data out of the stored copy, order numbers, dates and prices left in."""

from __future__ import annotations

from itertools import pairwise
from random import Random

import pytest

from cxloop.analysis.ml.pii import Span, find, iban_valid, luhn_valid, redact
from cxloop.demo import texts as demo
from cxloop.demo import texts_channels, texts_surveys
from cxloop.demo.texts_channels import SUBJECT, ChannelWriter


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in find(text)]


# ---- tricky positives --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email me at jane.doe+shop@example.co.uk please", [("email", "jane.doe+shop@example.co.uk")]),
        ("contact: SAM_O'NEIL@Mail.Example.org.", [("email", "SAM_O'NEIL@Mail.Example.org")]),
        ("écrivez à rené.müller@exemple.fr", [("email", "rené.müller@exemple.fr")]),
    ],
)
def test_emails_are_found(text, expected):
    assert kinds(text) == expected


def test_social_handles_are_not_emails():
    assert find("Thanks @hearthandthread and @HearthThreadHelp!") == []


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Call me on 07700 900123 after six", "07700 900123"),
        ("my mobile 07700900123", "07700900123"),
        ("ring +44 7700 900123", "+44 7700 900123"),
        ("office +44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ("landline (020) 7946 0958", "(020) 7946 0958"),
        ("Manchester 0161-496-0000", "0161-496-0000"),
        ("Festnetz 030/1234567", "030/1234567"),
        ("Handy 0171 1234567", "0171 1234567"),
        ("aus dem Ausland 0049 30 1234567", "0049 30 1234567"),
        ("Appelez-moi au 06 12 34 56 78", "06 12 34 56 78"),
        ("tél. 06.12.34.56.78", "06.12.34.56.78"),
        ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("Mi móvil es 612 34 56 78", "612 34 56 78"),
        ("Dutch 06-12345678", "06-12345678"),
        ("US number (555) 123-4567", "(555) 123-4567"),
        ("or 555-123-4567", "555-123-4567"),
        ("call 07700 900123 10 times and nothing", "07700 900123"),
        ("delivered 02/01/2026 07700 900123 was the driver", "07700 900123"),
    ],
)
def test_phone_numbers_are_found_in_international_uk_and_eu_formats(text, phone):
    assert kinds(text) == [("phone", phone)]


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("Card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111 declined", "4111-1111-1111-1111"),
        ("number 4111111111111111.", "4111111111111111"),
        ("Amex 3782 822463 10005 please", "3782 822463 10005"),
        ("Mastercard 5555 5555 5555 4444", "5555 5555 5555 4444"),
        ("Maestro 6759 6498 2643 8453 128?", "6759 6498 2643 8453 128"),
    ],
)
def test_luhn_valid_card_numbers_are_found(text, card):
    assert kinds(text) == [("card", card)]


@pytest.mark.parametrize(
    "text",
    [
        "ref 1234 5678 9012 3456 is not Luhn-valid",
        "4111 1111 1111 1112 fails the check",
        "order 1234567890123",  # 13 digits, fails Luhn and starts with 1
        "12345678901234567890123",  # too long for a card
    ],
)
def test_numbers_that_are_not_cards_stay(text):
    assert [k for k, _ in kinds(text)] == []


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        ("Refund to GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN DE89370400440532013000.", "DE89370400440532013000"),
        ("iban fr14 2004 1010 0505 0001 3m02 606 merci", "fr14 2004 1010 0505 0001 3m02 606"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
    ],
)
def test_mod97_valid_ibans_are_found(text, iban):
    assert kinds(text) == [("iban", iban)]


def test_ibans_with_a_wrong_check_or_length_stay():
    assert find("GB82 WEST 1234 5698 7654 33") == []  # check digits off by one
    assert find("DE8937040044053201300") == []  # one character short
    assert find("XX82 WEST 1234 5698 7654 32") == []  # no such country


@pytest.mark.parametrize(
    ("text", "ip"),
    [
        ("my IP was 192.168.1.20 when it failed", "192.168.1.20"),
        ("from 8.8.8.8.", "8.8.8.8"),
        ("server 2001:db8:85a3::8a2e:370:7334 refused", "2001:db8:85a3::8a2e:370:7334"),
    ],
)
def test_ip_addresses_are_found(text, ip):
    assert kinds(text) == [("ip", ip)]


@pytest.mark.parametrize(
    "text",
    [
        "Since app v2.3.1.0 it crashes",
        "version 10.0.0.1 broke it",
        "build 4.12.0.1",
        "999.1.1.1 is not an address",
        "delivered at 10:30:00",
        "1.2.3.4.5 is a list",
    ],
)
def test_versions_times_and_impossible_ips_stay(text):
    assert find(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send it to 12 High Street, Leeds LS1 4AB today", [("address", "12 High Street, Leeds LS1 4AB")]),
        ("221B Baker St, not the shop", [("address", "221B Baker St")]),
        ("Flat 3, 4 Elm Close, Harrogate, HG1 2AB", [("address", "Flat 3, 4 Elm Close, Harrogate, HG1 2AB")]),
        ("I live at 12 main street in town", [("address", "12 main street")]),
        ("postcode is SW1A 1AA", [("postcode", "SW1A 1AA")]),
        ("near ls1 4ab", [("postcode", "ls1 4ab")]),
        ("Bitte an Hauptstraße 5, 10115 Berlin liefern", [("address", "Hauptstraße 5, 10115 Berlin")]),
        ("Berliner Straße 12 bitte", [("address", "Berliner Straße 12")]),
        ("Livrer au 12 rue de la Paix, 75002 Paris", [("address", "12 rue de la Paix, 75002 Paris")]),
        ("Enviar a Calle Mayor 5, gracias", [("address", "Calle Mayor 5")]),
        ("o a C/ Alcalá, nº 12", [("address", "C/ Alcalá, nº 12")]),
    ],
)
def test_uk_postcodes_and_street_addresses_are_found(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "It took 200 miles down the road to find a depot.",
        "A 10 minute drive to the drop-off point.",
        "Waited 3 days drive away from home",
        "The 2 way street of communication",
        "Bought 2 Linen Edit shirts and 3 cushions",
    ],
)
def test_numbers_before_ordinary_words_are_not_addresses(text):
    assert find(text) == []


# ---- precision: the things analysts need must stay ---------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Order HT-10023 arrived on 2026-01-02.",
        "Parcel late – order O-3104218, delivered 02/01/2026 at 10:30.",
        "Paid £1,234.56 (was £1,499.00) and €1.234,56 and 1 234 567 € and $49.99",
        "My order number is 01234567890 and it still hasn't arrived",
        "Tracking number 00340434161094042557 shows nothing",
        "Order #100234567, invoice 0123456789, ref 07700900123",
        "ISBN 0-306-40615-2, EAN 5012345678900, UPC 036000291452",
        "Took 3–5 working days, 10/10, 50 minutes on hold, sizes 8 10 12 14 16",
        "Use code WELCOME15 or THREAD20 for 10% off, valid 01.02.2026 to 28.02.2026",
        "Delivered 2.1.26, returned 14/01/26, refunded 2026/01/20",
        "Between 9am and 5pm, Mon-Fri, 0 items of 12 arrived",
        "I rated it 4.5 out of 5 and gave it 9/10",
        "My size is 12 and my waist is 30 inches, 2 x 3 x 4 cm",
        "Bag tag numbers 0016 964012, 0016 964077 and 0016 964078",  # "+1" needs ten more digits
        "Flight 3744 (N284WN) departs, tail N598JB",  # aircraft, not postcodes without their space
        "sent it b4 1st flight 2 days ago",
        "a 240 kms drive and a 5 hr drive",
    ],
)
def test_order_numbers_dates_prices_and_codes_are_not_redacted(text):
    assert find(text) == [], kinds(text)
    assert redact(text) == text


def _demo_texts() -> list[str]:
    """Every sentence of the demo's phrase banks, and texts its writers compose (order numbers too)."""
    banks = [demo.PRAISE, demo.COMPLAINT, demo.QUESTION, demo.ISSUE, texts_channels.TITLE_PRAISE]
    banks += [texts_channels.TITLE_COMPLAINT, texts_channels.SUBJECT, texts_surveys.WHAT_LEFT]
    banks += [texts_surveys.EXIT_COMMENTS, texts_surveys.ENPS_CHANGES, texts_surveys.ENPS_PEAK_CHANGES]
    sentences = [
        s for bank in banks for group in bank.values() for s in ([group] if isinstance(group, str) else group)
    ]
    for name in (
        "OPEN_PRAISE",
        "CLOSE_PRAISE",
        "OPEN_COMPLAINT",
        "CLOSE_COMPLAINT",
        "CLOSE_MILD",
        "INCIDENT",
    ):
        sentences += list(getattr(demo, name))
    sentences += list(demo.LINEN) + list(demo.RECOVERY) + list(texts_channels.AGENT_REPLY.values())
    sentences += list(texts_channels.AGENT_ANSWER) + list(texts_channels.INTERVIEW_SUGGESTIONS)
    for language in texts_channels.FOREIGN.values():
        for tone in ("praise", "complaint", "mixed"):
            sentences += [text for _, text in language[tone]]
    rng = Random(6)
    writer = ChannelWriter(rng)
    filled = [writer.fill(s, order="O-3104218", first="Sam", issue="my late parcel") for s in sentences]
    for _ in range(300):
        theme = rng.choice(demo.THEMES)
        filled.append(writer.compose(rng.choice(("praise", "complaint", "mild", "mixed")), theme, "courier"))
        order = (
            f"O-{rng.randint(3104218, 3199999)}" if rng.random() < 0.5 else f"HT-{rng.randint(1, 99999):06d}"
        )
        filled.extend(writer.ticket(rng.choice(list(SUBJECT)), "complaint", order=order, first="Sam"))
        filled.append(writer.chat(rng.choice(("praise", "neutral", "complaint")), theme))
        filled.append(writer.social("X", "complaint", theme)[1])
        filled.append(writer.incident())
    return filled


def test_none_of_the_demo_feedback_is_taken_for_personal_data():
    texts = _demo_texts()
    assert len(texts) > 1500
    offenders = [(t, kinds(t)) for t in texts if find(t)]
    assert offenders == []


# ---- redaction ---------------------------------------------------------------------------------------------
def test_redact_replaces_each_finding_with_its_typed_placeholder():
    text = (
        "Hi, I'm at 12 High Street, Leeds LS1 4AB. Call 07700 900123 or mail jo@example.com. "
        "Card 4111 1111 1111 1111 was charged twice for order HT-10023 on 2026-01-02; "
        "refund to GB82 WEST 1234 5698 7654 32. IP 192.168.1.20."
    )
    assert redact(text) == (
        "Hi, I'm at [address]. Call [phone] or mail [email]. "
        "Card [card] was charged twice for order HT-10023 on 2026-01-02; "
        "refund to [iban]. IP [ip]."
    )


def test_find_returns_ordered_non_overlapping_spans():
    text = "mail jo@example.com or 07700 900123, postcode LS1 4AB"
    spans = find(text)
    assert spans == [Span("email", 5, 19), Span("phone", 23, 35), Span("postcode", 46, 53)]
    assert all(a.end <= b.start for a, b in pairwise(spans))


def test_an_address_takes_in_its_postcode_and_an_iban_wins_over_a_phone_like_run():
    assert kinds("12 High Street, Leeds LS1 4AB") == [("address", "12 High Street, Leeds LS1 4AB")]
    assert kinds("IBAN GB82 WEST 1234 5698 7654 32") == [("iban", "GB82 WEST 1234 5698 7654 32")]


def test_redact_accepts_spans_already_found():
    text = "mail jo@example.com"
    spans = find(text)
    assert redact(text, spans) == redact(text) == "mail [email]"


def test_text_without_personal_data_is_returned_as_is():
    text = "Lovely quality – the throw has washed really well and still looks new."
    assert redact(text) is text


def test_checks():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82WEST12345698765432") and iban_valid("gb82west12345698765432")
    assert not iban_valid("GB82WEST1234569876543") and not iban_valid("GB82WEST12345698765433")


def test_find_is_linear_on_hostile_input():
    # Long runs of digits, separators and @ signs finish quickly (no catastrophic backtracking).
    for text in ("1 " * 5000, "1-" * 5000, "@" * 5000 + "a", "a@" * 2500, "12 Aa " * 1000, "0" * 5000):
        assert find(text) == []
    assert len(find("x@example.com " * 400)) == 400
