"""JSON objects written as text (``--pooler-config '{...}'``): read them, and change keys without reformatting."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def json_object(text: str | None) -> dict[str, Any] | None:
    """``text`` parsed, when it is a JSON object; else None."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def with_opaque_values(text: str, expansions: Sequence[tuple[int, int]]) -> str:
    """``text`` with each expansion that stands outside a JSON string replaced by a number of the same length.

    ``{"n": ${N}, "p": "$P"}`` becomes ``{"n": 0   , "p": "$P"}``: each expansion is taken for one opaque value,
    offsets stay those of ``text``, and an expansion anywhere else (in place of a key, of several items) leaves text
    that is no JSON object, so nothing is concluded from it.
    """
    chars = list(text)
    inside = _string_mask(text)
    for start, end in expansions:
        if not inside[start]:
            chars[start:end] = ["0"] + [" "] * (end - start - 1)
    return "".join(chars)


def _string_mask(text: str) -> list[bool]:
    """For each character of ``text``: whether it lies inside a JSON string literal (its quotes included)."""
    mask = [False] * (len(text) + 1)
    inside = escaped = False
    for i, char in enumerate(text):
        if inside:
            mask[i] = True
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside = False
        elif char == '"':
            inside = mask[i] = True
    return mask


def top_level_key_spans(text: str) -> list[tuple[str, int, int]] | None:
    """``(key, start, end)`` of each top-level key's string literal in a JSON object's text.

    None when ``text`` is not a JSON object. Offsets cover the quotes, so a rename replaces
    exactly the key and leaves spacing, order and the values untouched.
    """
    if json_object(text) is None:
        return None
    spans = []
    decoder = json.JSONDecoder()
    depth = 0
    expect_key = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            _, end = decoder.raw_decode(text, i)
            if depth == 1 and expect_key:
                spans.append((json.loads(text[i:end]), i, end))
            expect_key = False
            i = end
            continue
        if char in "{[":
            depth += 1
            expect_key = char == "{" and depth == 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 1:
            expect_key = True
        i += 1
    return spans


def with_keys_renamed(text: str, renames: Mapping[str, str]) -> str | None:
    """The JSON object ``text`` with its top-level keys renamed in place; None when it is not one."""
    spans = top_level_key_spans(text)
    if spans is None:
        return None
    for key, start, end in reversed(spans):
        if key in renames:
            text = text[:start] + json.dumps(renames[key]) + text[end:]
    return text


def with_keys_added(text: str, additions: Mapping[str, Any]) -> str | None:
    """The JSON object ``text`` with ``additions``: appended in place when no key clashes, else re-dumped.

    None when ``text`` is not a JSON object. The separators follow the text's (compact or spaced).
    """
    base = json_object(text)
    if base is None:
        return None
    compact = '": ' not in text and '", ' not in text
    item_sep, key_sep = (",", ":") if compact else (", ", ": ")
    if base.keys() & additions.keys():
        return json.dumps({**base, **additions}, separators=(item_sep, key_sep), ensure_ascii=False)
    close = text.rstrip().rfind("}")
    items = item_sep.join(
        json.dumps(k, ensure_ascii=False) + key_sep + json.dumps(v, separators=(item_sep, key_sep), ensure_ascii=False)
        for k, v in additions.items()
    )
    lead = item_sep if base else ""
    return text[:close].rstrip() + lead + items + text[close:]
