"""Reading the tokens of one logical line: depth, headers of compound statements, what an assignment binds."""

from __future__ import annotations

import keyword
import tokenize
from collections.abc import Iterator

COMPOUND_KEYWORDS = frozenset({"def", "class", "if", "for", "while", "try", "with", "async", "match"})
CONTINUATION_KEYWORDS = frozenset({"else", "elif", "except", "finally"})
_AUGMENTED = frozenset({"+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "^=", "|=", "@="})


def string_identifier(token: tokenize.TokenInfo) -> str:
    """The identifier a plain string token spells (``"llm"``), else ""."""
    if token.type != tokenize.STRING or token.string[:1] not in ("'", '"'):
        return ""
    text = token.string.strip("'\"")
    return text if text.isidentifier() and not keyword.iskeyword(text) else ""


def is_f_string(text: str) -> bool:
    prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))]
    return "f" in prefix.lower()


def at_depth_zero(tokens: list[tokenize.TokenInfo]) -> Iterator[tuple[int, tokenize.TokenInfo]]:
    depth = 0
    for i, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif depth == 0:
            yield i, token


def split_at(tokens: list[tokenize.TokenInfo], separator: str) -> list[list[tokenize.TokenInfo]]:
    parts: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        if depth == 0 and token.type == tokenize.OP and token.string == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def is_compound_header(tokens: list[tokenize.TokenInfo]) -> bool:
    """A compound statement's header: ``match`` and ``case`` are soft keywords, the others always are."""
    first = tokens[0].string
    if first not in ("match", "case"):
        return True
    return len(tokens) > 1 and tokens[1].string not in ("=", ".", "(", "[", ",", ")") and any(
        t.string == ":" for _, t in at_depth_zero(tokens)
    )


def split_header(tokens: list[tokenize.TokenInfo]) -> tuple[list[tokenize.TokenInfo] | None, list[tokenize.TokenInfo]]:
    """(header, statements after its colon on the same line) of a compound header; (None, []) otherwise."""
    first = tokens[0]
    if first.type != tokenize.NAME or first.string not in COMPOUND_KEYWORDS | CONTINUATION_KEYWORDS | {"case"}:
        return None, []
    if first.string in ("match", "case") and not is_compound_header(tokens):
        return None, []
    lambdas = 0
    for i, token in at_depth_zero(tokens):
        if token.string == "lambda":
            lambdas += 1
        elif token.type == tokenize.OP and token.string == ":":
            if lambdas:
                lambdas -= 1
                continue
            return tokens[: i + 1], tokens[i + 1 :]
    return tokens, []


def assignment_targets(small: list[tokenize.TokenInfo]) -> list[list[tokenize.TokenInfo]]:
    """The assignment targets of one simple statement (``a = b = value``, ``a += 1``, ``a: int = 1``)."""
    if small[0].type == tokenize.NAME and small[0].string in keyword.kwlist and small[0].string not in ("None",):
        return []
    cuts = []
    for i, token in at_depth_zero(small):
        if token.type != tokenize.OP:
            continue
        if token.string == "=":
            cuts.append(i)
        elif token.string in _AUGMENTED or (token.string == ":" and not cuts):
            return [small[:i]]
    if not cuts:
        return []
    targets, start = [], 0
    for cut in cuts:
        targets.append(small[start:cut])
        start = cut + 1
    return targets


def is_method_call_on_name(small: list[tokenize.TokenInfo]) -> bool:
    return (
        len(small) > 2
        and small[0].type == tokenize.NAME
        and not keyword.iskeyword(small[0].string)
        and small[1].string == "."
        and any(t.string == "(" for t in small)
    )


def plain_names(tokens: list[tokenize.TokenInfo]) -> set[str]:
    return {
        t.string
        for i, t in enumerate(tokens)
        if t.type == tokenize.NAME and not (i > 0 and tokens[i - 1].string == ".") and not keyword.iskeyword(t.string)
    }


def target_names(target: list[tokenize.TokenInfo]) -> set[str]:
    """The names an assignment target binds: ``a``, ``a, b``, ``(a, *b)``, but not ``k`` in ``d[k]`` or ``b`` in
    ``a.b`` (over-approximated: ``d`` in ``d[k]`` counts, so that a statement filling a dict is linked to it)."""
    if target and target[0].string in ("(", "["):
        return plain_names(target)
    return {
        t.string
        for i, t in at_depth_zero(target)
        if t.type == tokenize.NAME and not keyword.iskeyword(t.string) and not (i > 0 and target[i - 1].string == ".")
    }


def attribute_names(tokens: list[tokenize.TokenInfo]) -> set[str]:
    return {t.string for i, t in enumerate(tokens) if t.type == tokenize.NAME and i > 0 and tokens[i - 1].string == "."}


def walrus_targets(tokens: list[tokenize.TokenInfo]) -> set[str]:
    return {
        tokens[i - 1].string
        for i, t in enumerate(tokens)
        if t.type == tokenize.OP and t.string == ":=" and i > 0 and tokens[i - 1].type == tokenize.NAME
    }
