"""Findings are plain values: the rules produce them; check, fix and every output format consume them."""

from __future__ import annotations

from dataclasses import dataclass, field

from vllm_pooling_migrate.registry import FixClass


@dataclass(frozen=True, order=True)
class Location:
    """1-based row and 1-based column, as ruff reports them."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text from ``location`` up to (not including) ``end_location`` with ``content``."""

    content: str
    location: Location
    end_location: Location


@dataclass(frozen=True)
class Fix:
    applicability: FixClass  # SAFE or UNSAFE; REPORT findings carry no fix
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    path: str
    location: Location
    end_location: Location
    fix: Fix | None = None
    #: Why there is no fix although the rule can fix (target too old, unsafe not enabled, unprovable ...).
    unfixable_reason: str | None = None
    #: Notebook cell (1-based) the location refers to, for .ipynb files.
    cell: int | None = None
    #: Lines of the enclosing statement: a noqa comment on any of them suppresses the finding.
    statement_rows: tuple[int, int] | None = field(default=None, compare=False)

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.location, self.code)


@dataclass
class FileResult:
    """What one file produced: its findings, the fixed text (None when nothing changed), or an error."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed_source: str | None = None
    error: str | None = None
    #: Findings whose fixes were applied to ``fixed_source``.
    applied: list[Finding] = field(default_factory=list)
    #: In fix mode: the findings still present in ``fixed_source`` (what fixing could not resolve).
    remaining: list[Finding] = field(default_factory=list)
