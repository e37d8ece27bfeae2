"""Python code embedded in another file (Markdown blocks, notebook cells), checked by the lead's engine.

The engine is passed in as ``check_python`` (``codemod.engine.check_python_source``) so that
this package does not import it; anything with that signature works, which keeps tests small.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from vllm_pooling_migrate.codemod.finding import Edit, FileResult, Finding, Fix, Location
from vllm_pooling_migrate.codemod.noqa import is_suppressed, parse_noqa
from vllm_pooling_migrate.codemod.options import Options

CheckPython = Callable[[str, str, Options], FileResult]

#: How rules cite rows in messages and reasons: ``line 3``, ``lines 3, 7`` (``line_ref`` of the rules).
_LINE_REFERENCE = re.compile(r"\b(lines?) (\d+(?:, \d+)*)")

#: Where a row of the checked piece of Python lies in the file: (cell or None, row there), or None when the row is
#: not the file's (a prelude line).
RowMapper = Callable[[int], "tuple[int | None, int] | None"]


def relocate_text(text: str | None, mapper: RowMapper) -> str | None:
    """Line references in a message or reason, rewritten from the checked piece's rows to the file's rows (and
    the notebook cell: ``cell 2, line 3``)."""
    if not text:
        return text

    def rewrite(match: re.Match[str]) -> str:
        rows = [int(n) for n in match.group(2).split(", ")]
        places = [mapper(row) for row in rows]
        if any(place is None for place in places):
            return match.group(0)
        found = [place for place in places if place is not None]
        cells = {cell for cell, _ in found}
        if cells == {None}:
            return ("line " if len(found) == 1 else "lines ") + ", ".join(str(row) for _, row in found)
        if len(cells) == 1:
            word = "line " if len(found) == 1 else "lines "
            return f"cell {found[0][0]}, {word}" + ", ".join(str(row) for _, row in found)
        return "; ".join(f"cell {cell}, line {row}" for cell, row in found)

    return _LINE_REFERENCE.sub(rewrite, text)


def relocate(finding: Finding, rows: int, mapper: RowMapper, indent: str = "",
             columns: Callable[[int], int] | None = None, **changes) -> Finding:
    """``shift_rows`` plus the line references in the message and reason, and for a block indented by ``indent``
    (``columns(row)`` characters of it were removed from the piece's row) the columns and the edits' text."""
    moved = shift_rows(finding, rows, message=relocate_text(finding.message, mapper) or finding.message,
                       unfixable_reason=relocate_text(finding.unfixable_reason, mapper), **changes)
    if not indent or columns is None:
        return moved
    removed = columns

    def shifted(location: Location) -> Location:
        return Location(location.row, location.column + removed(location.row - rows))

    def indented(edit: Edit) -> Edit:
        content = edit.content
        if edit.location.column == 1 and content.endswith("\n"):  # whole lines (an added import)
            content = "".join(indent + line if line.strip() else line for line in content.splitlines(keepends=True))
            return Edit(content, edit.location, edit.end_location)
        content = content.replace("\n", "\n" + indent)
        return Edit(content, shifted(edit.location), shifted(edit.end_location))

    fix = moved.fix
    if fix is not None:
        fix = Fix(fix.applicability, fix.message, tuple(indented(e) for e in fix.edits))
    return replace(moved, location=shifted(moved.location), end_location=shifted(moved.end_location), fix=fix)


def shift_rows(finding: Finding, rows: int, **changes) -> Finding:
    """The finding moved ``rows`` lines down (its fix's edits too), with other fields changed as given."""

    def move(location: Location) -> Location:
        return Location(location.row + rows, location.column)

    fix = finding.fix
    if fix is not None and rows:
        fix = Fix(
            fix.applicability,
            fix.message,
            tuple(Edit(e.content, move(e.location), move(e.end_location)) for e in fix.edits),
        )
    statement_rows = finding.statement_rows and (finding.statement_rows[0] + rows, finding.statement_rows[1] + rows)
    return replace(
        finding,
        location=move(finding.location),
        end_location=move(finding.end_location),
        fix=fix,
        statement_rows=statement_rows,
        **changes,
    )


def check_embedded(source: str, path: str, options: Options, check_python: CheckPython) -> FileResult:
    """Run the engine on one piece of Python and drop what its ``# noqa`` comments suppress."""
    result = check_python(source, path, options)
    if options.ignore_noqa or result.error:
        return result
    noqa = parse_noqa(source, python=True)
    result.findings = [f for f in result.findings if not is_suppressed(f, noqa)]
    result.applied = [f for f in result.applied if not is_suppressed(f, noqa)]
    if result.fixed_source is not None:
        fixed_noqa = parse_noqa(result.fixed_source, python=True)
        result.remaining = [f for f in result.remaining if not is_suppressed(f, fixed_noqa)]
    else:
        result.remaining = [f for f in result.remaining if not is_suppressed(f, noqa)]
    return result
