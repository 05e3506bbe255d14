"""Personal data in free text: `find(text) -> [Span(kind, start, end)]` and `redact(text) -> str`.

Kinds and their placeholders: email "[email]", phone "[phone]", card "[card]", iban "[iban]", address
"[address]", postcode "[postcode]", ip "[ip]". Built for precision first (a redacted copy that eats order
numbers, dates and prices is useless to an analyst), then recall:

- email: local@domain.tld, Unicode letters allowed. Not "@handles", not "name at domain dot com".
- phone: international (+44 7700 900123, 0049 30 1234567, +44 (0)20 7946 0958, +33 6 12 34 56 78) with a
  real country calling code and 6-12 national digits (exactly 10 after +1); national numbers with a trunk 0
  (07700 900123, (020) 7946 0958, 0161-496-0000, 030/1234567, 06.12.34.56.78) with 9-12 digits; numbers
  without either (Spanish 612 34 56 78, US 555 123 4567) only after a phone word ("call", "mobile",
  "Telefon", "portable", "móvil"...) or in the US (555) 123-4567 / 555-123-4567 shape. Never: a run glued to
  letters (HT-10023, O-3104218), after a currency sign or an order/reference/tracking/invoice/ISBN/EAN word,
  dates (2026-01-02, 02/01/2026, 02.01.26) or parts of longer digit runs. Missed: short local numbers
  without an area code, extensions, numbers written in words, vanity numbers (0800 FLOWERS).
- card: 13-19 digits, bare or in the usual groups (4-4-4-4[-3], Amex 4-6-5, Diners 4-6-4) with one kind of
  separator, Luhn-valid, starting with 2-6 (the card networks). Missed: masked numbers (**** 1234, nothing
  to hide), numbers split irregularly. A Luhn-valid 16-digit reference number starting 2-6 is redacted.
- iban: the country's registered length and a valid mod-97 check, with or without spaces, any case.
- ip: IPv4 dotted quads (not after "version", "v", "build", "firmware"...) and IPv6 with at least three
  groups. Missed: IPv6 shorter than that ("fe80::1").
- postcode: UK postcodes by the official shape (LS1 4AB, SW1A 1AA, GIR 0AA), all capitals or all lower case,
  with their space (without it, inside an address only: "N598JB" alone is more often an aircraft). Missed:
  "LS14AB" written alone; other countries' postcodes alone (five digits are too ambiguous).
- address: a house number and up to three capitalised words ending in a street word (12 High Street,
  221B Baker St, Flat 3, 4 Elm Close), lower case with one or two words (12 high street), followed by
  ", Town" and a postcode when present; German "Hauptstraße 5" / "Berliner Straße 12" (+ "10115 Berlin"),
  French "12 rue de la Paix" (+ "75002 Paris"), Spanish "Calle Mayor 5" / "C/ Alcalá, nº 12". Missed: house
  names, rural addresses without a street word, addresses written without a house number.

Not looked for at all: person names, dates of birth, national ID / NI / passport / tax numbers, bank account
and sort codes outside an IBAN, social handles, licence plates, URLs. Placeholders carry no number, so two
redacted e-mails cannot be told apart in the copy.

Speed: a text without "@" or a digit costs one scan; the others run only the detectors their digits call
for (about 4 µs for a 110-character feedback text, 35 µs for one full of numbers, on one core here).
"""

from __future__ import annotations

import ipaddress
import re
from itertools import pairwise
from operator import attrgetter
from typing import NamedTuple


class Span(NamedTuple):
    kind: str
    start: int
    end: int


KINDS = ("email", "phone", "card", "iban", "address", "postcode", "ip")
PLACEHOLDER = {kind: f"[{kind}]" for kind in KINDS}
# When two findings overlap, the more specific (validated) one wins; then the longer.
_PRIORITY = {"email": 7, "iban": 6, "card": 5, "address": 4, "ip": 3, "phone": 2, "postcode": 1}

_DIGIT = re.compile(r"\d")
_START = attrgetter("start")

# ---- e-mail ---------------------------------------------------------------------------------------------
_EMAIL_LOCAL = "_.%+'-"  # besides letters and digits
_EMAIL_DOMAIN = re.compile(r"[^\W_](?:[\w-]{0,62}\.)+[^\W\d_]{2,24}(?![\w-])")

# Speed: a pattern that starts with a character class lets the regex engine skip to candidate positions in C,
# so the patterns below start with their first digit and check what stands before it in a lookbehind after it
# ("\d(?<![\w.]\d)" is "a digit not preceded by a word character or a dot").

# ---- dates (masked out before phones are looked for) ------------------------------------------------------
_DATE = re.compile(
    r"\d(?<![\d./-]\d)(?:\d{3}([-/.])\d{1,2}\1\d{1,2}|\d?([-/.])\d{1,2}\2\d{2}(?:\d{2})?)(?![./-]?\d)"
)

# ---- phone ------------------------------------------------------------------------------------------------
# A run of digits and phone separators that starts and ends with a digit (or "+"/"(" first), not glued to a
# word, an amount or another number.
_PHONE_CANDIDATE = re.compile(
    r"[(+\d](?<![\w@#£$€¥+/.,:-].)(?:(?<=\()\+?\d|(?<=\+)\d|(?<=\d))[\d ()./-]{5,24}\d(?![\w/-]|[.,]\d)"
)
_PHONE_WORDS = re.compile(
    r"\b(?:call(?:ed|ing)?|ring|phone|tel|telephone|mobile|mob|cell|whats ?app|sms|text(?: me)?|fax|landline|"
    r"contact|reach me|number|no\.|nr\.?|telefon|telefonnummer|rufnummer|handy|anrufen|nummer|"
    r"t[ée]l[ée]phone|t[ée]l\.?|portable|num[ée]ro|appele[rz]|tel[ée]fono|m[óo]vil|ll[áa]ma(?:me|r)|n[úu]mero)\b"
)  # searched in lower-cased text
_NOT_PHONE_WORDS = re.compile(
    r"\b(?:order|orders|ref|reference|invoice|tracking|track|parcel|consignment|account|acct|customer|"
    r"membership|member|ticket|case|booking|isbn|ean|upc|sku|serial|imei|model|barcode|item|product|"
    r"voucher|gift ?card|code|bestell\w*|auftrag\w*|rechnung\w*|sendung\w*|kundennummer|commande|facture|"
    r"colis|suivi|pedido|factura|env[íi]o|seguimiento)\b"
)
_US_SHAPE = re.compile(r"\(\d{3}\) ?\d{3}-\d{4}|\d{3}-\d{3}-\d{4}")
_PAREN = re.compile(r"\((\+?\d{1,5})\)")
_SEPARATORS = re.compile(r"[ ./-]")

# ---- card -------------------------------------------------------------------------------------------------
_CARD = re.compile(
    r"\d(?<![\w.,/+-]\d)(?:"
    r"\d{3}([ -]?)\d{4}\1\d{4}\1\d{1,4}(?:\1\d{3})?"  # 4-4-4-1..4 and 4-4-4-4-3
    r"|\d{3}([ -]?)\d{6}\2\d{4,5}"  # Amex 4-6-5, Diners 4-6-4
    r"|\d{12,18}"
    r")(?![\w/-]|[.,]\d)"
)

# ---- IBAN -------------------------------------------------------------------------------------------------
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
# The check digits, after two letters that start a word: the IBAN starts two characters before the match.
_IBAN_CHECK_DIGITS = re.compile(r"\d\d(?<=[A-Za-z]{2}\d\d)(?<![A-Za-z0-9][A-Za-z]{2}\d\d)(?= ?[A-Za-z0-9])")

# ---- IP ---------------------------------------------------------------------------------------------------
_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_VERSION_WORDS = re.compile(
    r"(?:\bv|\bversion|\bver\.?|\bbuild|\brelease|\bfirmware|\bupdate|\bios|\bandroid|\bapp)\s*$",
    re.IGNORECASE,
)

# ---- postcode and address ---------------------------------------------------------------------------------
_POSTCODE_SRC = (
    r"(?:GIR ?0AA|(?:[A-PR-UWYZ](?:\d[A-HJKPSTUW]?|[A-HK-Y]\d[ABEHMNPRV-Y]?|\d\d?|[A-HK-Y]\d\d?))"
    r" ?\d[ABD-HJLNP-UW-Z]{2})"
)
_POSTCODE = re.compile(_POSTCODE_SRC, re.IGNORECASE)  # fullmatch on a candidate found from its inward code
_INWARD_CODE = re.compile(r"\d[A-Za-z]{2}(?![\w-])")  # a UK postcode ends with a digit and two letters
_OUTWARD_CODE = re.compile(
    r"(?<![\w-])(?:GIR|[A-PR-UWYZ](?:\d[A-HJKPSTUW]?|[A-HK-Y]\d[ABEHMNPRV-Y]?|\d\d?|[A-HK-Y]\d\d?)) ?$",
    re.IGNORECASE,
)
_STREET_WORDS = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Court|Ct|Crescent|Cres|Place|Pl|Way|Gardens|Gdns|"
    r"Grove|Terrace|Tce|Hill|Square|Sq|Park|Parade|Mews|Row|Walk|View|Rise|Green|Boulevard|Blvd|Highway|Hwy"
)
_TOWN_AND_POSTCODE = rf"(?:,\s*[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?){{0,2}}(?:,?\s*(?:{_POSTCODE_SRC}))?"
_FLAT = re.compile(r"\b(?:Flat|Apartment|Apt|Unit)\s+\d{1,4}[A-Za-z]?,?\s+$")  # before a house number
# Addresses that start with their house number, in one pattern so the text is scanned once: English with
# capitalised words, English in lower case (its words are checked against _NOT_STREET_NAMES), French.
_ADDRESS_NUMBER_FIRST = re.compile(
    r"\d(?<![\w.,£$€-]\d)\d{0,3}(?:"
    r"(?P<en>[A-Za-z]?(?:-\d{1,4})?,?\s+(?:[A-Z][a-z'’]+(?:-[A-Z]?[a-z]+)?\s+){1,3}"
    rf"(?:{_STREET_WORDS})\b\.?{_TOWN_AND_POSTCODE})"
    r"|[a-z]?,?\s+(?P<lower>(?:[a-z][a-z'’-]+\s+){1,2})"
    rf"(?:street|road|avenue|lane|drive|crescent|terrace|gardens|grove|close|court|square|mews)\b{_TOWN_AND_POSTCODE}"
    r"|(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours)\s+"
    r"(?:(?:de la|de|du|des|la|le|les)\s+|[ld]['’])?"
    r"[A-ZÉÈÂ][\w'’-]*(?:\s+(?:de |du |des |la |le )?[A-ZÉÈÂ][\w'’-]*){0,3}(?:,?\s*\d{5}\s+[A-Z][\w-]+)?"
    r")"
)
_NOT_STREET_WORDS = (
    "the a an my your our their his her this that same other one next last first second third old "
    "days day weeks week hours hour minutes minute mins min miles mile km times items item orders order "
    "parcels boxes years year months month seconds pounds euros quid people way ways more less "
    "kms hr hrs hours' h sec secs mi ft feet yards metres meters kilometres kilometers hour's minute's"
)
_NOT_STREET_NAMES = frozenset(_NOT_STREET_WORDS.split())
_ADDRESS_DE = re.compile(
    r"\b(?:[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*(?:straße|strasse|str\.|weg|gasse|allee|platz)"
    r"|[A-ZÄÖÜ][a-zäöüß]+(?:er|sche)\s+(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz))"
    r"\s?\d{1,4}(?!\d)(?:\s?[a-z]\b)?(?:,?\s*\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+)?"
)
_ADDRESS_ES = re.compile(
    r"(?i:\b(?:calle|c/|avenida|avda\.?|plaza|pza\.?|paseo|camino|carrer))\s*"
    r"(?:(?:de la|de los|de las|del|de)\s+)?[A-ZÁÉÍÓÚÑ][\w-]*(?:\s+[A-ZÁÉÍÓÚÑ][\w-]*){0,3},?\s*"
    r"(?:n[º°o]\.?\s*)?\d{1,4}\b"
)


# Gates. One scan over the digits tells which detectors can find anything: a run of digits and separators
# (phones, cards, IBANs, IPv4; dates inside it get masked) or a digit and two letters (a postcode's inward
# code, "4AB").
_DIGIT_CONTEXT = re.compile(r"\d(?:[\d ()./-]{5,}\d|[A-Za-z]{2}(?![\w-]))")
_DATE_GATE = re.compile(r"\d[-/.]\d")
_ADDRESS_FOREIGN_GATE = re.compile(  # searched in lower-cased text
    r"straße|strasse|str\.|weg|gasse|allee|platz|calle|c/|avd|avenida|plaza|pza|paseo|camino|carrer"
)


def _mask(match: re.Match) -> str:
    return "x" * (match.end() - match.start())


# ---- checks -----------------------------------------------------------------------------------------------
def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """True for a well-formed IBAN (no spaces, any case) with its country's length and mod-97 = 1."""
    iban = iban.upper()
    if len(iban) < 15 or IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum() or not iban.isascii():
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# Country calling codes (ITU E.164): one digit for 1 and 7, these two-digit ones, and three digits where the
# first two are one of _THREE_DIGIT_ZONES.
_TWO_DIGIT_CODES = frozenset(
    map(
        str,
        (20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57),
    )
) | frozenset(map(str, (58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98)))
_THREE_DIGIT_ZONES = frozenset(
    map(str, (21, 22, 23, 24, 25, 26, 29, 35, 37, 38, 42, 50, 59, 67, 68, 69, 80, 85, 87, 88, 96, 97, 99))
)


def _international_valid(digits: str) -> bool:
    """Country code + national number (digits after "+" or "00"); a "(0)" trunk digit may follow the code."""
    if digits[:1] in ("1", "7"):
        code = digits[:1]
    elif digits[:2] in _TWO_DIGIT_CODES:
        code = digits[:2]
    elif digits[:2] in _THREE_DIGIT_ZONES:
        code = digits[:3]
    else:
        return False
    national = digits[len(code) :]
    if national.startswith("0"):  # +44 (0)20 ...
        national = national[1:]
    if code == "1":
        return len(national) == 10
    return 6 <= len(national) <= 12 and len(digits) <= 15


def _phone_valid(text: str, start: int, candidate: str) -> bool:
    if candidate.count("(") != candidate.count(")") or candidate.count("(") > 1 or candidate.count("/") > 1:
        return False
    plain = candidate
    if "(" in candidate:
        paren = _PAREN.search(candidate)
        if not paren:
            return False
        plain = candidate[: paren.start()] + paren.group(1) + candidate[paren.end() :]
    body = plain[1:] if plain.startswith("+") else plain
    groups = _SEPARATORS.split(body)
    if any(not g.isdigit() for g in groups) or len(groups) > 7:
        return False
    digits = "".join(groups)
    if len(set(digits)) < 3:  # 0000000000, 1111 1111 11
        return False
    if plain.startswith("+") or digits.startswith("00"):
        shaped, needs_word = _international_valid(digits[2:] if not plain.startswith("+") else digits), False
    elif digits.startswith("0"):
        shaped, needs_word = 9 <= len(digits) <= 12, False
    else:
        shaped, needs_word = 9 <= len(digits) <= 10, not _US_SHAPE.fullmatch(candidate)
    if not shaped:
        return False
    # The words before it: "order/ref/tracking..." rule it out unless a phone word stands there too.
    before = text[max(0, start - 32) : start].lower()
    excluded = _NOT_PHONE_WORDS.search(before[-22:])
    if not (excluded or needs_word):
        return True
    phone_word = _PHONE_WORDS.search(before)
    if excluded:
        return bool(phone_word) and phone_word.group() != "number"
    return bool(phone_word)


def _phones(text: str, masked: str) -> list[Span]:
    spans = []
    for m in _PHONE_CANDIDATE.finditer(masked):
        # Try the whole run, then shorter runs of its space-separated chunks (longest and leftmost first), so
        # "call 07700 900123 10 times" finds the number and not "07700 900123 10".
        chunks = [(c.start() + m.start(), c.end() + m.start()) for c in re.finditer(r"\S+", m.group())]
        i = 0
        while i < len(chunks):
            found = None
            for j in range(len(chunks), i, -1):
                s, e = chunks[i][0], chunks[j - 1][1]
                piece = masked[s:e]
                if (
                    piece[-1].isdigit()
                    and (piece[0].isdigit() or piece[0] in "+(")
                    and _phone_valid(text, s, piece)
                ):
                    found = (s, e, j)
                    break
            if found:
                spans.append(Span("phone", found[0], found[1]))
                i = found[2]
            else:
                i += 1
    return spans


def _cards(text: str) -> list[Span]:
    spans = []
    for m in _CARD.finditer(text):
        digits = m.group().replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
            spans.append(Span("card", m.start(), m.end()))
    return spans


def _ibans(text: str) -> list[Span]:
    spans = []
    for m in _IBAN_CHECK_DIGITS.finditer(text):
        begin = m.start() - 2
        length = IBAN_LENGTHS.get(text[begin : begin + 2].upper())
        if not length:
            continue
        chars, pos, end = [], begin, len(text)
        while pos < end and len(chars) < length:
            ch = text[pos]
            if ch.isascii() and ch.isalnum():
                chars.append(ch)
            elif ch != " " or pos + 1 >= end or text[pos + 1] == " ":
                break
            pos += 1
        if len(chars) == length and not (pos < end and text[pos].isalnum()) and iban_valid("".join(chars)):
            spans.append(Span("iban", begin, pos))
    return spans


def _ips(text: str) -> list[Span]:
    spans = []
    for m in _IPV4.finditer(text):
        parts = m.group().split(".")
        valid = all(int(p) <= 255 and (p == "0" or not p.startswith("0")) for p in parts)
        if valid and not _VERSION_WORDS.search(text[max(0, m.start() - 12) : m.start()]):
            spans.append(Span("ip", m.start(), m.end()))
    return spans


def _ipv6s(text: str) -> list[Span]:
    spans = []
    for m in _IPV6.finditer(text):
        value = m.group()
        if sum(1 for g in value.split(":") if g) >= 3:
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            spans.append(Span("ip", m.start(), m.end()))
    return spans


def _addresses(text: str, lower: str) -> list[Span]:
    spans = []
    for m in _ADDRESS_NUMBER_FIRST.finditer(text):
        start = m.start()
        if m.group("en"):
            flat = _FLAT.search(text, max(0, start - 24), start)
            start = flat.start() if flat else start
        elif m.group("lower") and _NOT_STREET_NAMES.intersection(m.group("lower").split()):
            continue
        spans.append(Span("address", start, m.end()))
    if _ADDRESS_FOREIGN_GATE.search(lower):
        for pattern in (_ADDRESS_DE, _ADDRESS_ES):
            spans.extend(Span("address", m.start(), m.end()) for m in pattern.finditer(text))
    return spans


def _postcodes(text: str) -> list[Span]:
    spans = []
    for m in _INWARD_CODE.finditer(text):
        window_start = max(0, m.start() - 6)
        outward = _OUTWARD_CODE.search(text, window_start, m.start())
        if not outward:
            continue
        value = text[outward.start() : m.end()]
        # Alone, a postcode needs its space ("N598JB" is an aircraft's tail number far more often), and in
        # lower case it must not end in an ordinal ("b4 1st").
        shaped = value.isupper() or (value.islower() and value[-2:] not in ("st", "nd", "rd", "th"))
        if " " in value and shaped and _POSTCODE.fullmatch(value):
            spans.append(Span("postcode", outward.start(), m.end()))
    return spans


def _emails(text: str) -> list[Span]:
    """Each "@" with a local part before it and a domain with a top-level name after it."""
    spans = []
    at = text.find("@")
    while at != -1:
        start = at
        while (
            start > 0 and at - start <= 64 and (text[start - 1].isalnum() or text[start - 1] in _EMAIL_LOCAL)
        ):
            start -= 1
        domain = _EMAIL_DOMAIN.match(text, at + 1)
        if domain and 0 < at - start <= 64:
            spans.append(Span("email", start, domain.end()))
            at = text.find("@", domain.end())
        else:
            at = text.find("@", at + 1)
    return spans


def _resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans in text order: the higher priority, then the longer one wins."""
    if len(spans) < 2:
        return spans
    in_order = sorted(spans, key=_START)
    if all(a.end <= b.start for a, b in pairwise(in_order)):  # the common case: nothing overlaps
        return in_order
    ranked = sorted(spans, key=lambda s: (-_PRIORITY[s.kind], s.start - s.end, s.start))
    kept: list[Span] = []
    for span in ranked:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=_START)


def find(text: str) -> list[Span]:
    """Every piece of personal data found, in text order, not overlapping."""
    spans: list[Span] = []
    if "@" in text:
        spans.extend(_emails(text))
    if not _DIGIT.search(text):  # every other kind has a digit: most texts stop here
        return spans
    contexts = _DIGIT_CONTEXT.findall(text)
    runs = [c for c in contexts if len(c) > 3]
    if runs:
        dates = any(_DATE_GATE.search(run) for run in runs)
        masked = _DATE.sub(_mask, text) if dates else text
        spans.extend(_phones(text, masked))
        if any(len(run) >= 13 for run in runs):  # a card has 13 digits at least
            spans.extend(_cards(masked))
        spans.extend(_ibans(text))
        if any(run.count(".") >= 3 for run in runs):
            spans.extend(_ips(text))
    if "::" in text or text.count(":") >= 7:
        spans.extend(_ipv6s(text))
    if len(runs) < len(contexts):
        spans.extend(_postcodes(text))
    spans.extend(_addresses(text, text.lower()))
    return _resolve(spans)


def redact(text: str, spans: list[Span] | None = None) -> str:
    """The text with every finding replaced by its typed placeholder ("[email]", "[phone]", ...)."""
    if spans is None:
        spans = find(text)
    if not spans:
        return text
    parts, last = [], 0
    for span in spans:
        parts.append(text[last : span.start])
        parts.append(PLACEHOLDER[span.kind])
        last = span.end
    parts.append(text[last:])
    return "".join(parts)
