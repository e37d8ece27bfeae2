"""The argument token: one argv element with the source span it came from, whatever the file kind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vllm_pooling_migrate.codemod.finding import Location


@dataclass(frozen=True)
class ArgToken:
    """One argv element as the program receives it, plus where its source text lies.

    ``value`` is None for an element whose value the scanner cannot know (a Python variable in an
    argv list); rules never match it. ``quote`` is the quote character the source used (``'``,
    ``"``) or ``""`` for a bare word, so a rewrite keeps the author's quoting. Tokens with different
    ``segment`` numbers come from different places (a Dockerfile's ENTRYPOINT and CMD): a deletion
    never eats the text between two segments. ``raw`` lets a rewrite of ``--flag=value`` touch
    only the value and keep the author's quoting of it.
    """

    value: str | None
    start: Location
    end: Location
    quote: str = ""
    segment: int = 0
    raw: str | None = None  # the token's source text, when the scanner has it (shell words)


#: Renders replacement argv elements as source text in the style of the token they replace.
Renderer = Callable[[Sequence[str], ArgToken], str]
