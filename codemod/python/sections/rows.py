"""Moving a section's findings to the file's lines: their positions, their fixes' edits, and the lines their
messages cite."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from vllm_pooling_migrate.codemod.finding import Edit, Finding, Fix, Location


def row_map(file_line: list[int]) -> Callable[[int], int]:
    """A section's row -> the file's row, through the section's table (rows past its end continue the count)."""
    last = len(file_line) - 1

    def row(value: int) -> int:
        return file_line[value] if 0 <= value <= last else file_line[last] + value - last

    return row


def fixed_row_map(locate: Callable[[int], tuple[int, int] | None], first_lines: dict[int, int]) -> Callable[[int], int]:
    """A fixed section's row -> the fixed file's row: the statement it lies in, and how far into it."""

    def row(value: int) -> int:
        place = locate(value)
        if place is None or place[0] not in first_lines:
            return value
        return first_lines[place[0]] + place[1]

    return row


def moved_finding(finding: Finding, row: Callable[[int], int]) -> Finding:
    """A finding of a section, on the file's lines (its fix, its statement and the lines its message cites)."""

    def moved(location: Location) -> Location:
        return Location(row(location.row), location.column)

    fix = finding.fix
    if fix is not None:
        fix = Fix(fix.applicability, fix.message, tuple(Edit(e.content, moved(e.location), moved(e.end_location)) for e in fix.edits))
    rows = finding.statement_rows
    return replace(
        finding,
        location=moved(finding.location),
        end_location=moved(finding.end_location),
        fix=fix,
        statement_rows=(row(rows[0]), row(rows[1])) if rows else None,
        message=cite_lines(finding.message, row),
        unfixable_reason=finding.unfixable_reason and cite_lines(finding.unfixable_reason, row),
    )


_LINE_REFERENCE = re.compile(r"\b(lines?) (\d+(?:, \d+)*)\b")


def cite_lines(text: str, row: Callable[[int], int]) -> str:
    """``text`` with the number of each ``line N`` / ``lines N, M`` reference it holds mapped by ``row`` (how the
    rules cite rows in messages and reasons; ``formats.embedded_python`` reads them the same way)."""

    def rewrite(match: re.Match[str]) -> str:
        return f"{match.group(1)} " + ", ".join(str(row(int(n))) for n in match.group(2).split(", "))

    return _LINE_REFERENCE.sub(rewrite, text)
