"""A section's text: the file's imports, then its statements, each after a marker line; and back again."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from vllm_pooling_migrate.codemod.python.sections.layout import Layout, Statement

#: The marker comment written before each statement of a section (the engine never chunks a file holding it).
MARKER = "# migrate-pooling: section "
MARKER_LINE = re.compile(r"^# migrate-pooling: section (-?\d+)\r?\n", re.MULTILINE)
#: A compound statement placed after the file's first block of imports: ``add_imports`` extends and appends to
#: that block only, as it does in the whole file, and never to the later imports that follow it in a section.
SENTINEL_TEXT = "if True:\n    pass\n"
SENTINEL = -1
#: The key of text a fix put before a section's first marker.
HEAD = -2


@dataclass
class SectionText:
    """The text of one section and where each of its lines comes from."""

    text: str
    file_line: list[int]  # file_line[row] for each row of ``text`` (1-based, one past the end included)
    ids: list[int]  # the statement indexes (SENTINEL for the sentinel) in the order of their markers
    body_start: int  # the first row of the section's own statements (after the imports); 0 when it has none


def section_text(layout: Layout, statements: list[Statement], newline: str = "\n") -> SectionText:
    """The imports of the file (its first block, the sentinel, the later ones), then ``statements``, each after
    its marker line."""
    prefix = layout.prefix
    parts: list[str] = []
    rows: list[int | None] = [0]
    ids: list[int] = []
    body_start = 0

    def add(ident: int, text: str, first: int | None) -> None:
        ids.append(ident)
        parts.append(f"{MARKER}{ident}{newline}")
        rows.append(None)
        if not text.endswith("\n"):
            text += newline
        parts.append(text)
        count = text.count("\n")
        rows.extend([None] * count if first is None else range(first, first + count))

    for statement in prefix:
        if statement.kind == "docstring" or statement.first_block:
            add(statement.index, layout.text_of(statement), statement.first)
    add(SENTINEL, SENTINEL_TEXT.replace("\n", newline), None)
    for statement in prefix:
        if statement.kind == "import" and not statement.first_block:
            add(statement.index, layout.text_of(statement), statement.first)
    for statement in statements:
        if not body_start:
            body_start = len(rows)
        add(statement.index, layout.text_of(statement), statement.first)
    rows.append(None)
    # A marker (or a sentinel line) maps to the line after the text above it: an insertion there in the section
    # is an insertion after that text in the file, and a span ending there ends with that text.
    file_line = [0]
    for row in rows[1:]:
        file_line.append(row if row is not None else file_line[-1] + 1)
    return SectionText("".join(parts), file_line, ids, body_start)


def split_fixed(text: str, ids: list[int]) -> dict[int, str] | None:
    """The fixed text of each statement of a section, by index; None when the markers did not survive the fix.

    Text that a fix put before the first marker is returned under the key ``HEAD``.
    """
    pieces = MARKER_LINE.split(text)
    found = [int(n) for n in pieces[1::2]]
    if found != ids:
        return None
    result = dict(zip(found, pieces[2::2]))
    if pieces[0]:
        result[HEAD] = pieces[0]
    return result


def assemble(layout: Layout, fixed: dict[int, str]) -> tuple[str, dict[int, int]]:
    """The file with the fixed text of some statements in place of theirs, and the line each statement's text
    starts on in it."""
    parts = []
    first_lines: dict[int, int] = {}
    line = 1
    for statement in layout.statements:
        first_lines[statement.index] = line
        text = fixed.get(statement.index)
        if text is None:
            text = layout.text_of(statement)
        else:
            original = layout.text_of(statement)
            if not original.endswith("\n") and text.endswith("\n"):
                text = text[:-2] if text.endswith("\r\n") and not original.endswith("\r") else text[:-1]
        parts.append(text)
        line += text.count("\n")
    if not layout.statements:
        return "".join(layout.lines), first_lines
    return "".join(parts), first_lines


def locator(text: str) -> Callable[[int], tuple[int, int] | None]:
    """For a section's text: row -> (the statement it lies in, rows into that statement's text); None above the
    first marker."""
    starts: list[int] = []
    ids: list[int] = []
    line, position = 1, 0
    for match in MARKER_LINE.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        starts.append(line + 1)
        ids.append(int(match.group(1)))

    def locate(row: int) -> tuple[int, int] | None:
        at = bisect_right(starts, row) - 1
        return None if at < 0 else (ids[at], row - starts[at])

    return locate
