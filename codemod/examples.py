"""Examples carried by each rule: they are its unit tests and its generated documentation (Fixit style)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Valid:
    """Code the rule must leave alone (no finding)."""

    source: str
    target: str | None = None  # e.g. "0.18": the example holds for that target version


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag; ``expected`` is the text after fixing (None: report-only here)."""

    source: str
    expected: str | None = None
    unsafe: bool = False  # the fix needs --unsafe-fixes
    target: str | None = None
    line: int | None = None  # the finding's row, when the example wants to pin it
