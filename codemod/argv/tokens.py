"""The argument token: one argv element with the source span it came from, whatever the file kind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vllm_pooling_migrate.codemod.finding import Location


@dataclass(frozen=True)
class ValueSource:
    """Where the characters of a token's value are written, for an edit inside the value.

    ``positions[i]`` is the source location of the value's character ``i`` when the source writes it as itself (not
    an escape sequence); None otherwise. ``expansions`` are the ``(start, end)`` value spans that are not the text
    the program receives but are replaced at run time: shell parameter expansions (``$NAME``, ``${NAME}``, ``$(...)``)
    outside single quotes, Python f-string fields. A surface gives a token a source only where it needs one (a value
    with expansions, a value written in several pieces); other tokens are edited whole.
    """

    positions: tuple[Location | None, ...]
    expansions: tuple[tuple[int, int], ...] = ()

    def span(self, start: int, end: int) -> tuple[Location, Location] | None:
        """The source span of the value's characters ``start:end`` when each is written as itself, one after the
        other on one row, and none comes from an expansion; None otherwise."""
        if not 0 <= start < end <= len(self.positions):
            return None
        if any(s < end and start < e for s, e in self.expansions):
            return None
        first = self.positions[start]
        if first is None:
            return None
        for k in range(start, end):
            where = self.positions[k]
            if where is None or where.row != first.row or where.column != first.column + (k - start):
                return None
        return first, Location(first.row, first.column + (end - start))

    def shifted(self, skip: int) -> ValueSource:
        """The source of the value's text from ``skip`` on (the value part of ``NAME=value``)."""
        return ValueSource(
            self.positions[skip:], tuple((s - skip, e - skip) for s, e in self.expansions if s >= skip)
        )


@dataclass(frozen=True)
class ArgToken:
    """One argv element as the program receives it, plus where its source text lies.

    ``value`` is None for an element whose value the scanner cannot know (a Python variable in an
    argv list); rules never match it. ``quote`` is the quote character the source used (``'``,
    ``"``) or ``""`` for a bare word, so a rewrite keeps the author's quoting. Tokens with different
    ``segment`` numbers come from different places (a Dockerfile's ENTRYPOINT and CMD): a deletion
    never eats the text between two segments. ``raw`` lets a rewrite of ``--flag=value`` touch
    only the value and keep the author's quoting of it. ``source``, when the scanner gives one, says where
    each character of the value is written, and which parts of it the shell expands at run time.
    """

    value: str | None
    start: Location
    end: Location
    quote: str = ""
    segment: int = 0
    raw: str | None = None  # the token's source text, when the scanner has it (shell words)
    source: ValueSource | None = None
    #: Why no edit of this token is proven safe here (a shell variable's assignment that other commands use too).
    unwritable: str | None = None

    @property
    def expands(self) -> bool:
        """The value holds expansions: the program receives other text than ``value``."""
        return self.source is not None and bool(self.source.expansions)


#: Renders replacement argv elements as source text in the style of the token they replace.
Renderer = Callable[[Sequence[str], ArgToken], str]
