"""vLLM's view of ``--name[.key] [value]`` arguments (spec §9.3)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from vllm_pooling_migrate.codemod.argv.json_object import with_opaque_values
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken


@dataclass(frozen=True)
class Flag:
    """One long option occurrence.

    ``name`` is normalised the way vLLM does it (underscores become dashes before the first dot);
    ``key`` is the text after the first dot, exactly as written (vLLM does not normalise it).
    """

    index: int  # position of the flag token in the scanned token list
    token: ArgToken
    name: str
    key: str | None
    value: str | None
    value_token: ArgToken | None  # the separate value token; None for ``--flag=value`` or a bare flag
    written_name: str  # the flag as written, without ``--`` and without ``=value``

    @property
    def inline(self) -> bool:
        return self.value_token is None and self.value is not None

    @property
    def last_token(self) -> ArgToken:
        return self.value_token or self.token

    def is_(self, name: str) -> bool:
        return self.name == name and self.key is None

    @property
    def value_at(self) -> tuple[ArgToken, int] | None:
        """The token that holds the value and where the value starts in the token's value."""
        if self.value_token is not None:
            return self.value_token, 0
        if self.value is not None and self.token.value is not None:
            return self.token, len(self.token.value) - len(self.value)
        return None

    @property
    def json_text(self) -> str | None:
        """The value as text to read JSON from: each shell expansion in it taken for one opaque JSON value."""
        at = self.value_at
        source = at[0].source if at is not None else None
        if self.value is None or at is None or source is None:
            return self.value
        offset = at[1]
        expansions = [(s - offset, e - offset) for s, e in source.expansions if s >= offset]
        return with_opaque_values(self.value, expansions) if expansions else self.value


def parse_flags(tokens: Sequence[ArgToken], start: int) -> list[Flag]:
    """Every ``--long`` option in ``tokens[start:]``; the next token is its value unless it is an option."""
    flags: list[Flag] = []
    i = start
    while i < len(tokens):
        token = tokens[i]
        text = token.value
        if text is None or not text.startswith("--") or text == "--":
            i += 1
            continue
        body, has_inline, inline_value = text[2:].partition("=")
        head, dot, key = body.partition(".")
        name = head.replace("_", "-")
        value: str | None
        value_token: ArgToken | None
        if has_inline:
            value, value_token = inline_value, None
        elif i + 1 < len(tokens) and not (tokens[i + 1].value or "").startswith("--"):
            value, value_token = tokens[i + 1].value, tokens[i + 1]
        else:
            value, value_token = None, None
        flags.append(Flag(i, token, name, key if dot else None, value, value_token, body))
        i += 2 if value_token is not None else 1
    return flags


def parse_dotted_value(text: str):
    """A dotted flag's value as vLLM reads it: JSON when it parses, else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text
