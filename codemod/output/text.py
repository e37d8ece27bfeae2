"""The ``text`` format: ``path:row:col: CODE [*] message``, as ruff's concise output, and the summary."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from vllm_pooling_migrate.codemod.edits import apply_edits
from vllm_pooling_migrate.codemod.finding import Edit, Finding, Location
from vllm_pooling_migrate.codemod.output.common import fixable_now, ordered
from vllm_pooling_migrate.codemod.output.diff import line_opcodes

BOLD, RED, CYAN, DIM, RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[2m", "\x1b[0m"


def use_color(stream: TextIO) -> bool:
    """Colour on a terminal unless ``NO_COLOR`` is set (https://no-color.org); ``FORCE_COLOR`` forces it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color else text


def format_finding(
    finding: Finding, color: bool = False, unsafe_fixes: bool = False, show_fix: bool = False, source: str | None = None
) -> str:
    """One finding on one line; with ``show_fix``, its fix (the lines it changes, when ``source``, the text the
    finding is located in, is given) or why there is none."""
    place = f"cell {finding.cell}:" if finding.cell is not None else ""
    position = f"{place}{finding.location.row}:{finding.location.column}:"
    marker = _paint("[*] ", CYAN, color) if fixable_now(finding, unsafe_fixes) else ""
    line = f"{_paint(finding.path, BOLD, color)}:{position} {_paint(finding.code, BOLD + RED, color)} {marker}{finding.message}"
    if show_fix and finding.fix is not None:
        kind = f"{finding.fix.applicability.value} fix"
        help_text = kind if finding.fix.message in ("", kind) else f"{finding.fix.message} ({kind})"
        line += "\n" + _paint(f"  help: {help_text}", DIM, color)
        for row in fix_preview(finding, source if finding.cell is None else None):
            style = RED if row.lstrip().split(" ", 1)[-1].startswith("-") else CYAN
            line += "\n" + _paint(row, style, color)
        if not fixable_now(finding, unsafe_fixes):
            note = finding.unfixable_reason or "apply with --unsafe-fixes"
            line += "\n" + _paint(f"  note: {note}", DIM, color)
    elif show_fix and finding.unfixable_reason:
        line += "\n" + _paint(f"  note: not fixed: {finding.unfixable_reason}", DIM, color)
    return line


def fix_preview(finding: Finding, source: str | None) -> list[str]:
    """The lines the finding's fix changes, as ``   12 - old`` / ``   12 + new`` rows (the number is the row in
    ``source``; an added line carries the row it goes before). Without the source, each edit as a replacement of
    a span."""
    fix = finding.fix
    if fix is None or not fix.edits:
        return []
    if source is None:
        return [
            f"    {e.location.row}:{e.location.column}-{e.end_location.row}:{e.end_location.column} -> {e.content!r}"
            for e in sorted(fix.edits, key=lambda e: (e.location, e.end_location))
        ]
    lines = source.splitlines(keepends=True)
    rows: list[str] = []
    for first, last, edits in _edit_groups(fix.edits):
        if last > len(lines) + 1:
            return [f"    {e.location.row}:{e.location.column} -> {e.content!r}" for e in fix.edits]
        old = lines[first - 1 : last]
        shifted = [Edit(e.content, Location(e.location.row - first + 1, e.location.column),
                        Location(e.end_location.row - first + 1, e.end_location.column)) for e in edits]
        try:
            new = apply_edits("".join(old), shifted).splitlines(keepends=True)
        except ValueError:
            return [f"    {e.location.row}:{e.location.column} -> {e.content!r}" for e in fix.edits]
        width = len(str(last + 1))
        for tag, i1, i2, j1, j2 in line_opcodes(old, new):
            if tag == "equal":
                continue
            rows.extend(f"    {first + i:>{width}} - {old[i].rstrip(chr(13) + chr(10))}" for i in range(i1, i2))
            rows.extend(f"    {first + i1:>{width}} + {line.rstrip(chr(13) + chr(10))}" for line in new[j1:j2])
    return rows


def _edit_groups(edits: Sequence[Edit]) -> list[tuple[int, int, list[Edit]]]:
    """The edits gathered into runs of whole lines they touch: ``(first row, last row, edits)``."""
    groups: list[tuple[int, int, list[Edit]]] = []
    for edit in sorted(edits, key=lambda e: (e.location, e.end_location)):
        first = edit.location.row
        last = edit.end_location.row - 1 if edit.end_location.column == 1 and edit.end_location.row > first else edit.end_location.row
        last = max(first, last)
        if groups and first <= groups[-1][1] + 1:
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, last), members + [edit])
        else:
            groups.append((first, last, [edit]))
    return groups


def format_text(
    findings: Iterable[Finding],
    color: bool = False,
    unsafe_fixes: bool = False,
    show_fixes: bool = False,
    sources: Mapping[str, str] | None = None,
) -> str:
    """One line per finding (plus its fix with ``show_fixes``: the changed lines when ``sources`` holds the text of
    its file), ending in a newline when not empty."""
    sources = sources or {}
    lines = [format_finding(f, color, unsafe_fixes, show_fixes, sources.get(f.path)) for f in ordered(findings)]
    return "".join(line + "\n" for line in lines)


def format_summary(findings: list[Finding], unsafe_fixes: bool = False, fixed: int = 0) -> str:
    """The closing lines: how many findings, how many a fix run would fix, hidden unsafe fixes, fixed ones."""
    lines = []
    if fixed:
        lines.append(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}.")
    if findings:
        lines.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}.")
        fixable = fixable_count(findings, unsafe_fixes)
        if fixable:
            unsafe = any(f.fix is not None and f.fix.applicability.value == "unsafe" for f in findings if fixable_now(f, unsafe_fixes))
            how = "migrate-pooling --unsafe-fixes" if unsafe else "migrate-pooling"
            lines.append(f"[*] {fixable} fixable by running {how} without --check.")
        hidden = hidden_count(findings, unsafe_fixes)
        if hidden:
            lines.append(f"({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with --unsafe-fixes.)")
    elif not fixed:
        lines.append("All checks passed!")
    return "".join(line + "\n" for line in lines)


def fixable_count(findings: Iterable[Finding], unsafe_fixes: bool = False) -> int:
    """How many findings a fix run would fix: the one count ``--check``, ``--statistics`` and ``--diff`` give."""
    return sum(fixable_now(f, unsafe_fixes) for f in findings)


def hidden_count(findings: Iterable[Finding], unsafe_fixes: bool = False) -> int:
    """How many more ``--unsafe-fixes`` would fix."""
    return sum(f.fix is not None and not fixable_now(f, unsafe_fixes) for f in findings)


def format_diff_summary(findings: list[Finding], unsafe_fixes: bool = False) -> str:
    """``--diff``'s closing lines, as ruff words them: what a fix run would fix, and what it would leave.

    The counts are those of ``--check`` and ``--statistics`` on the same files (``fixable_count``)."""
    would_fix = fixable_count(findings, unsafe_fixes)
    plural = "s" if would_fix != 1 else ""
    lines = [f"Would fix {would_fix} finding{plural}." if would_fix else "No findings would be fixed."]
    hidden = hidden_count(findings, unsafe_fixes)
    if hidden:
        lines.append(f"({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with --unsafe-fixes.)")
    left = len(findings) - would_fix - hidden
    if left > 0:
        lines.append(f"{left} finding{'s' if left != 1 else ''} would remain for a change by hand.")
    return "".join(line + "\n" for line in lines)
