"""Cleaning every incoming text before it is analysed: `prepare(raw) -> Prepared(text, notes)`.

What it does, in order:
- bytes are decoded as UTF-8 (a leading byte-order mark is dropped); invalid sequences become U+FFFD and the
  note "invalid UTF-8 replaced". Lone surrogates in a str (e.g. from a JSON "\\ud800" escape) are replaced
  the same way, so the result always encodes to UTF-8.
- HTML/XML markup is turned into its text, in time linear in its length however malformed: tags go (the
  contents of script, style, head, template, noscript, svg and similar elements are dropped whole), block
  elements and <br> become line breaks, entities are decoded, comments and declarations go, CDATA keeps its
  text. Nothing is fetched: links and images are never followed, an <img>'s alt text is kept. Note "markup
  removed". Text that merely contains "<" ("I <3 it", "< £10") is left alone.
- Unicode is normalised to NFC; control characters (C0/C1 except tab and newline) and invisible format
  characters (zero-width spaces, bidi overrides, soft hyphens, tag characters; ZWJ/ZWNJ are kept because
  emoji sequences and some scripts need them) are removed, note "control characters removed".
- whitespace: CR LF and the Unicode line/paragraph separators become "\\n", other spaces (NBSP, thin space...)
  become " ", runs of spaces collapse, lines are stripped, more than one blank line becomes one.
- texts longer than LIMIT (5,000) characters are cut at a word boundary near the limit, with the note
  "truncated from N characters" (N = the cleaned length; for raw input over MAX_RAW characters, the raw
  length: such input is cut before parsing so time and memory stay bounded).
- a text left empty gets the note "empty"; a text without a single letter (emoji, numbers, punctuation only)
  gets "no words", so the later steps can give their defined result ("neutral, language unknown").

What it leaves alone or misses: the text's meaning. Prompt-like text ("ignore previous instructions...") is
ordinary data here and everywhere in `ml`: nothing interprets or executes it. Markdown, BBCode and wiki markup
are kept as typed; quoted e-mail history and signatures are not removed; Unicode look-alike characters are
not folded (NFC, not NFKC); a tag whose quoted attribute value contains "<" stays in the text as typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html import unescape

LIMIT = 5_000  # characters kept for analysis
MAX_RAW = 1_000_000  # raw characters looked at at all (bounded parsing time)

NOTE_INVALID_UTF8 = "invalid UTF-8 replaced"
NOTE_MARKUP = "markup removed"
NOTE_CONTROL = "control characters removed"
NOTE_EMPTY = "empty"
NOTE_NO_WORDS = "no words"


def note_truncated(length: int) -> str:
    return f"truncated from {length} characters"


@dataclass(frozen=True, slots=True)
class Prepared:
    """The cleaned text and what was done to it (notes in the order the steps ran)."""

    text: str
    notes: tuple[str, ...] = ()

    @property
    def has_words(self) -> bool:
        """False for empty texts and texts without a letter: later steps answer "unknown/neutral"."""
        return NOTE_EMPTY not in self.notes and NOTE_NO_WORDS not in self.notes


# A real tag (<p>, </div>, <br/>, <a href=...>), a comment, a doctype or CDATA; an entity (&amp; &#233;).
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--|<!\[CDATA\[|<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SURROGATE = re.compile("[\ud800-\udfff]")
_KEEP_FORMAT = {"\u200c", "\u200d"}  # ZWNJ, ZWJ
# Controls that separate words or lines: turned into whitespace rather than removed.
_SPACING_CONTROLS = str.maketrans(
    {"\x0b": " ", "\x0c": "\n", "\x1c": "\n", "\x1d": "\n", "\x1e": "\n", "\x1f": " ", "\x85": "\n"}
)
_HSPACE = re.compile(r"[^\S\n]+")
_SPACED_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")
_LETTER = re.compile(r"[^\W\d_]")
_MARKUP_BREAKS = re.compile(r"[^\S\n]*\n\s*")  # block elements give one line break, however nested


# Markup is taken apart by one linear-time pattern rather than html.parser, whose time grows with the square
# of the input on some malformed markup ("<a <a <a ..." of 24 KB takes seconds). Quoted attribute values may
# not contain "<", which keeps every attempt short.
_SKIP_ELEMENTS = "script|style|head|title|template|noscript|svg|math|iframe|object"
_BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "td",
        "th", "tr", "ul",
    }
)  # fmt: skip
_MARKUP_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<!\[CDATA\[(?P<cdata>.*?)(?:\]\]>|\Z)"
    rf"|<(?P<skip>{_SKIP_ELEMENTS})\b[^<>]*>.*?(?:</(?P=skip)\s*>|\Z)"
    r"|<[!?][^<>]*>"
    r"|</?(?P<tag>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>\s(?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*)?/?>",
    re.DOTALL | re.IGNORECASE,
)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


def _markup_token(match: re.Match) -> str:
    if match.group("cdata") is not None:
        return match.group("cdata")
    tag = match.group("tag")
    if not tag:  # a comment, a skipped element, a declaration
        return ""
    tag = tag.lower()
    if tag in _BLOCK_ELEMENTS:
        return "\n"
    if tag == "img" and match.group("attrs"):
        alt = _ALT.search(match.group("attrs"))
        if alt:
            return " " + next(g for g in alt.groups() if g is not None) + " "
    return ""


def _strip_markup(text: str) -> str:
    """The text of an HTML/XML fragment; nothing it refers to is ever loaded."""
    return _MARKUP_BREAKS.sub("\n", unescape(_MARKUP_TOKEN.sub(_markup_token, text)))


def _decode(raw: bytes) -> tuple[str, bool]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


def _remove_controls(text: str) -> str:
    """Drop C0/C1 controls (but tab, CR, LF) and invisible format characters (but ZWJ/ZWNJ)."""
    kept = []
    category = unicodedata.category
    for ch in text:
        if ch in "\t\n\r" or ch in _KEEP_FORMAT:
            kept.append(ch)
            continue
        cat = category(ch)
        if cat != "Cc" and cat != "Cf":
            kept.append(ch)
    return "".join(kept)


def _has_controls(text: str) -> bool:
    category = unicodedata.category
    return any(category(ch) in ("Cc", "Cf") and ch not in "\t\n\r" and ch not in _KEEP_FORMAT for ch in text)


def _normalise_space(text: str) -> str:
    if "\r" in text or "\u2028" in text or "\u2029" in text:
        text = (
            text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
        )
    text = _HSPACE.sub(" ", text)
    text = _SPACED_NEWLINE.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _truncate(text: str, limit: int) -> str:
    """The first `limit` characters, cut back to the last space if that loses less than 10 %."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if not text[limit].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space >= limit * 0.9:
            cut = cut[:space]
    return cut.rstrip()


def prepare(raw: str | bytes | None, *, limit: int = LIMIT) -> Prepared:
    """Clean one text for analysis. Never raises on content; raises TypeError for a non-text value."""
    notes: list[str] = []
    if raw is None:
        return Prepared("", (NOTE_EMPTY,))
    if isinstance(raw, bytes | bytearray | memoryview):
        text, bad = _decode(bytes(raw))
        if bad:
            notes.append(NOTE_INVALID_UTF8)
    elif isinstance(raw, str):
        text = raw
        if _SURROGATE.search(text):
            text = _SURROGATE.sub("\ufffd", text)
            notes.append(NOTE_INVALID_UTF8)
    else:
        raise TypeError(f"prepare() takes str or bytes, not {type(raw).__name__}")

    raw_length = len(text)
    if raw_length > MAX_RAW:
        text = text[:MAX_RAW]

    if "<" in text and _MARKUP.search(text):
        text = _strip_markup(text)
        notes.append(NOTE_MARKUP)
    elif "&" in text and _ENTITY.search(text):
        text = unescape(text)

    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if not text.isprintable():
        text = text.translate(_SPACING_CONTROLS)
        if _has_controls(text):
            text = _remove_controls(text)
            notes.append(NOTE_CONTROL)

    text = _normalise_space(text)

    if raw_length > MAX_RAW or len(text) > limit:
        notes.append(note_truncated(raw_length if raw_length > MAX_RAW else len(text)))
        text = _truncate(text, limit)

    if not text:
        notes.append(NOTE_EMPTY)
    elif not _LETTER.search(text):
        notes.append(NOTE_NO_WORDS)
    return Prepared(text, tuple(notes))
