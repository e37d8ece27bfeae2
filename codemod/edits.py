"""Apply text edits given as 1-based row/column ranges (the shape every Finding's Fix carries).

Rows are split on ``\\n`` only, so a CRLF file's ``\\r`` belongs to the end of its line and is kept
unless an edit covers it. Columns count characters (code points), as ruff's do.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from vllm_pooling_migrate.codemod.finding import Edit, Finding, Location
from vllm_pooling_migrate.registry import FixClass


class OverlappingEditsError(ValueError):
    """Two edits touch the same text: applying both would corrupt it."""


class LineIndex:
    """Converts between 1-based (row, column) locations and offsets into one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0]
        position = text.find("\n")
        while position != -1:
            self.line_starts.append(position + 1)
            position = text.find("\n", position + 1)

    def offset(self, location: Location) -> int:
        if not 1 <= location.row <= len(self.line_starts):
            raise ValueError(f"row {location.row} is outside the text (1..{len(self.line_starts)})")
        offset = self.line_starts[location.row - 1] + location.column - 1
        if not 0 <= offset <= len(self.text):
            raise ValueError(f"column {location.column} of row {location.row} is outside the text")
        return offset

    def location(self, offset: int) -> Location:
        row = bisect_right(self.line_starts, offset)
        return Location(row, offset - self.line_starts[row - 1] + 1)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Return ``text`` with every edit applied; raise OverlappingEditsError if two edits overlap.

    Two insertions at the same point are applied in the order given. An insertion at the very
    start or end of a replaced range does not overlap it.
    """
    index = LineIndex(text)
    spans = sorted(
        ((index.offset(e.location), index.offset(e.end_location), order, e) for order, e in enumerate(edits)),
        key=lambda span: (span[0], span[1], span[2]),
    )
    pieces: list[str] = []
    cursor = 0
    for start, end, _, edit in spans:
        if end < start:
            raise ValueError(f"edit ends before it starts: {edit}")
        if start < cursor:
            raise OverlappingEditsError(f"edit at {edit.location.row}:{edit.location.column} overlaps another edit")
        pieces.append(text[cursor:start])
        pieces.append(edit.content)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def applicable(finding: Finding, unsafe_fixes: bool) -> bool:
    """A safe fix always applies; an unsafe one only with ``--unsafe-fixes``."""
    if finding.fix is None:
        return False
    return finding.fix.applicability is FixClass.SAFE or (finding.fix.applicability is FixClass.UNSAFE and unsafe_fixes)


def apply_fixes(text: str, findings: Sequence[Finding], unsafe_fixes: bool = False) -> tuple[str, list[Finding]]:
    """Apply the applicable fixes of ``findings`` in source order, skipping one that overlaps one already taken.

    Returns the new text and the findings whose fixes were applied. A skipped fix is left for a
    later run, as ruff does; its finding stays reported.
    """
    index = LineIndex(text)
    taken: list[tuple[int, int]] = []
    applied: list[Finding] = []
    edits: list[Edit] = []
    for finding in sorted((f for f in findings if applicable(f, unsafe_fixes)), key=Finding.sort_key):
        fix_edits = finding.fix.edits if finding.fix is not None else ()
        ranges = [(index.offset(e.location), index.offset(e.end_location)) for e in fix_edits]
        if any(_overlaps(r, t) for r in ranges for t in taken):
            continue
        taken.extend(ranges)
        edits.extend(fix_edits)
        applied.append(finding)
    return apply_edits(text, edits), applied


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] or b[0] == b[1]:  # an insertion overlaps only if strictly inside the other range
        return b[0] < a[0] < b[1] or a[0] < b[0] < a[1]
    return a[0] < b[1] and b[0] < a[1]
