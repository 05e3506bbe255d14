"""The builder's structural edits (add, move, remove; languages) on a definition read from its form, and
validation errors placed at the part of the page they concern."""

from __future__ import annotations

import re
from typing import Any

from .form import OpError, _Values, key_from, new_question, text_fields

_PATH = re.compile(r"^(blocks\.\d+(\.(questions\.\d+(\.(options|rows)\.\d+)?|jumps\.\d+))?|endings\.\d+)$")


# -- structural edits ----------------------------------------------------------------------------------------
def _split(path: str) -> tuple[list[Any], int]:
    """The list a path's element is in, and its index there."""
    if not _PATH.match(path or ""):
        raise OpError("", f"There is nothing at {path!r} to change.")
    *parent, index = path.split(".")
    return parent, int(index)


def _resolve(defn: dict[str, Any], parts: list[str]) -> Any:
    node: Any = defn
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def apply_op(defn: dict[str, Any], op: str, data) -> str:
    """Apply one builder action to a definition read from the form; returns the path of the part it acted on
    (the page scrolls back there). "save" (or nothing) changes nothing."""
    values = _Values(data)
    verb, _, arg = (op or "save").partition(":")
    blocks, endings = defn["blocks"], defn["endings"]
    all_keys = {q["key"] for b in blocks for q in b["questions"]}
    try:
        if verb == "save":
            return ""
        if verb == "add_block":
            block_key = key_from(f"b{len(blocks) + 1}", {b["key"] for b in blocks}, "b")
            question = new_question(
                values.get("add_block_type") or "text", all_keys, values.get("add_block_label")
            )
            blocks.append({"key": block_key, "questions": [question]})
            return f"blocks.{len(blocks) - 1}"
        if verb == "add_question":
            b = int(arg)
            prefix = f"blocks.{b}"
            question = new_question(
                values.get(f"{prefix}.add_type"), all_keys, values.get(f"{prefix}.add_label")
            )
            blocks[b]["questions"].append(question)
            return f"{prefix}.questions.{len(blocks[b]['questions']) - 1}"
        if verb == "add_ending":
            key = key_from("ending", {e["key"] for e in endings})
            endings.append({"key": key, "title": "Thank you!", "text": "", "redirect_url": ""})
            return f"endings.{len(endings) - 1}"
        if verb in ("remove_language", "default_language"):
            return _language_op(defn, verb, arg)
        parent_parts, index = _split(arg)
        items = _resolve(defn, parent_parts)
        if not 0 <= index < len(items):
            raise OpError(arg, "That part is not there any more; reload the builder.")
        if verb == "remove":
            return _remove(defn, parent_parts, items, index, arg)
        if verb in ("up", "down"):
            return _move(defn, parent_parts, items, index, -1 if verb == "up" else 1)
        if verb == "move" and parent_parts[-1] == "questions":
            target = int(values.get(f"{arg}.move_to"))
            if not 0 <= target < len(blocks):
                raise OpError(arg, "Choose the block to move the question to.")
            b = int(parent_parts[1])
            if target == b:
                return arg
            if len(items) == 1:
                raise OpError(arg, "This is the block's only question: move the block instead, or remove it.")
            blocks[target]["questions"].append(items.pop(index))
            return f"blocks.{target}.questions.{len(blocks[target]['questions']) - 1}"
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        if isinstance(exc, OpError):
            raise
        raise OpError(arg, "That action does not fit the form; reload the builder.") from None
    raise OpError("", f"Unknown builder action {op!r}.")


def _remove(defn, parent_parts, items, index, path) -> str:
    kind = parent_parts[-1]
    if kind == "questions" and len(items) == 1:
        raise OpError(path, "A block needs at least one question: remove the block instead.")
    if kind == "blocks" and len(items) == 1:
        raise OpError(path, "A survey needs at least one block.")
    if kind == "endings" and len(items) == 1:
        raise OpError(path, "A survey needs at least one ending.")
    items.pop(index)
    owner = ".".join(parent_parts[:-1])
    if kind in ("blocks", "endings"):
        return f"{kind}.{min(index, len(items) - 1)}"
    return owner


def _move(defn, parent_parts, items, index, step) -> str:
    kind = parent_parts[-1]
    new = index + step
    if 0 <= new < len(items):
        items[index], items[new] = items[new], items[index]
        return ".".join([*parent_parts, str(new)])
    if kind == "questions":  # over the block's edge: into the block before or after
        blocks = defn["blocks"]
        b = int(parent_parts[1]) + step
        if 0 <= b < len(blocks):
            if len(items) == 1:
                raise OpError(
                    ".".join([*parent_parts, str(index)]),
                    "This is the block's only question: move the block instead.",
                )
            question = items.pop(index)
            target = blocks[b]["questions"]
            if step < 0:
                target.append(question)
                return f"blocks.{b}.questions.{len(target) - 1}"
            target.insert(0, question)
            return f"blocks.{b}.questions.0"
    return ".".join([*parent_parts, str(index)])


def _language_op(defn: dict[str, Any], verb: str, code: str) -> str:
    languages = defn["languages"]
    if code not in languages:
        raise OpError("languages", f"The survey has no language {code!r}.")
    languages.remove(code)
    if verb == "default_language":
        languages.insert(0, code)
        return "languages"
    if not languages:
        raise OpError("languages", "A survey needs at least one language.")
    for owner, name in text_fields(defn):
        value = owner.get(name)
        if isinstance(value, dict) and code in value:
            removed = value.pop(code)
            if not any(value.values()):  # keep what was typed rather than lose the only text
                owner[name] = removed
    return "languages"


# -- errors ------------------------------------------------------------------------------------------------
SETTINGS_FIELDS = (
    "name",
    "touchpoint",
    "closed_message",
    "languages",
    "layout",
    "progress_bar",
    "hidden_fields",
    "theme.colour",
    "theme.logo_url",
    "theme",
)
_BY_NAME = re.compile(r"^(question|block|ending) ([a-z][a-z0-9_]*)\b")
_KEY_TWICE = re.compile(r"^(question|block|ending) key '([^']+)' is used twice")
_WORDS = {
    "show_if": "show if",
    "if": "condition",
    "all": "row",
    "any": "row",
    "carry_forward": "carry forward",
}


def anchors(defn: dict[str, Any]) -> list[str]:
    """The parts of the builder page an error can be shown at, as definition paths."""
    out = ["", *SETTINGS_FIELDS, "welcome", "blocks", "endings"]
    for b, block in enumerate(defn.get("blocks", [])):
        out.append(f"blocks.{b}")
        out.extend(f"blocks.{b}.questions.{n}" for n in range(len(block.get("questions", []))))
    out.extend(f"endings.{n}" for n in range(len(defn.get("endings", []))))
    return out


def _describe(rest: list[str]) -> str:
    words = []
    for i, part in enumerate(rest):
        if part.isdigit():
            continue
        if part in ("str", "dict[str,str]", "function-after[_url(), str]", "function-after[_logo(), str]"):
            continue
        nxt = rest[i + 1] if i + 1 < len(rest) else ""
        word = _WORDS.get(part, part.rstrip("s") if nxt.isdigit() else part).replace("_", " ")
        words.append(f"{word} {int(nxt) + 1}" if nxt.isdigit() else word)
    return " ".join(words)


def _friendly(msg: str, loc: str) -> str:
    if msg.startswith("String should match pattern") and loc.endswith("key"):
        return "a key is lower-case letters, digits and _, starting with a letter (at most 50)"
    if msg.startswith("List should have at least 1 item"):
        what = loc.rsplit(".", 1)[-1]
        return {
            "questions": "a block needs at least one question",
            "blocks": "a survey needs at least one block",
            "endings": "a survey needs at least one ending",
            "languages": "a survey needs at least one language",
        }.get(what, msg)
    if msg.startswith("String should match pattern") and loc == "theme.colour":
        return "write the colour as # and six hex digits, e.g. #2f6f5e"
    if loc.endswith(".if") and "valid dictionary" in msg:
        return "a jump needs a condition: choose a question or hidden field and a test"
    return msg


def place_errors(errors: list[dict[str, str]], defn: dict[str, Any]) -> dict[str, list[str]]:
    """Each error ({"loc", "msg"} as services.DefinitionError lists them) at the builder part it concerns:
    the most specific part its loc points into, or, for checks across the survey, the part its message
    names ("question nps: …"). Errors that concern no single part are listed under ""."""
    places = anchors(defn)
    parts_by_kind = {
        "question": [
            (f"blocks.{b}.questions.{n}", q.get("key"))
            for b, block in enumerate(defn.get("blocks", []))
            for n, q in enumerate(block.get("questions", []))
        ],
        "block": [(f"blocks.{n}", b.get("key")) for n, b in enumerate(defn.get("blocks", []))],
        "ending": [(f"endings.{n}", e.get("key")) for n, e in enumerate(defn.get("endings", []))],
    }
    first: dict[str, dict[str, str]] = {kind: {} for kind in parts_by_kind}
    last: dict[str, dict[str, str]] = {kind: {} for kind in parts_by_kind}
    for kind, parts in parts_by_kind.items():
        for path, key in parts:
            first[kind].setdefault(key, path)
            last[kind][key] = path
    out: dict[str, list[str]] = {}
    for error in errors:
        loc, msg = error.get("loc") or "", error.get("msg") or ""
        place, text = "", _friendly(msg, loc)
        if loc:
            parts = loc.split(".")
            for i in range(len(parts), 0, -1):
                if ".".join(parts[:i]) in places:
                    place = ".".join(parts[:i])
                    rest = _describe(parts[i:])
                    text = f"{rest}: {text}" if rest else text
                    break
            else:
                text = f"{loc}: {text}"
        elif m := _KEY_TWICE.match(msg):  # at the second part that uses the key
            place = last[m.group(1)].get(m.group(2), "")
        elif m := _BY_NAME.match(msg):
            place = first[m.group(1)].get(m.group(2), "")
        elif msg.startswith("welcome"):
            place = "welcome"
        elif msg.startswith("a survey has at most"):
            place = "blocks"
        out.setdefault(place, []).append(text)
    return out
