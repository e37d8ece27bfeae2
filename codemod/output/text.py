"""The ``text`` format: ``path:row:col: CODE [*] message``, as ruff's concise output, and the summary."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TextIO

from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.output.common import fixable_now, ordered

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


def format_finding(finding: Finding, color: bool = False, unsafe_fixes: bool = False, show_fix: bool = False) -> str:
    place = f"cell {finding.cell}:" if finding.cell is not None else ""
    position = f"{place}{finding.location.row}:{finding.location.column}:"
    marker = _paint("[*] ", CYAN, color) if fixable_now(finding, unsafe_fixes) else ""
    line = f"{_paint(finding.path, BOLD, color)}:{position} {_paint(finding.code, BOLD + RED, color)} {marker}{finding.message}"
    if show_fix and finding.fix is not None:
        line += "\n" + _paint(f"  help: {finding.fix.message} ({finding.fix.applicability.value} fix)", DIM, color)
    elif show_fix and finding.unfixable_reason:
        line += "\n" + _paint(f"  note: not fixed: {finding.unfixable_reason}", DIM, color)
    return line


def format_text(
    findings: Iterable[Finding], color: bool = False, unsafe_fixes: bool = False, show_fixes: bool = False
) -> str:
    """One line per finding (plus a help line each with ``show_fixes``), ending in a newline when not empty."""
    lines = [format_finding(f, color, unsafe_fixes, show_fixes) for f in ordered(findings)]
    return "".join(line + "\n" for line in lines)


def format_summary(findings: list[Finding], unsafe_fixes: bool = False, fixed: int = 0) -> str:
    """The closing lines: how many findings, how many a fix run would fix, hidden unsafe fixes, fixed ones."""
    lines = []
    if fixed:
        lines.append(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}.")
    if findings:
        lines.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}.")
        fixable = sum(fixable_now(f, unsafe_fixes) for f in findings)
        if fixable:
            lines.append(f"[*] {fixable} fixable by running migrate-pooling without --check.")
        hidden = sum(f.fix is not None and not fixable_now(f, unsafe_fixes) for f in findings)
        if hidden:
            lines.append(f"({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with --unsafe-fixes.)")
    elif not fixed:
        lines.append("All checks passed!")
    return "".join(line + "\n" for line in lines)


def format_diff_summary(would_fix: int, findings: list[Finding], unsafe_fixes: bool = False) -> str:
    """``--diff``'s closing lines, as ruff words them: what a fix run would fix, and what it would leave."""
    plural = "s" if would_fix != 1 else ""
    lines = [f"Would fix {would_fix} finding{plural}." if would_fix else "No findings would be fixed."]
    hidden = sum(f.fix is not None and not fixable_now(f, unsafe_fixes) for f in findings)
    if hidden:
        lines.append(f"({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with --unsafe-fixes.)")
    left = len(findings) - would_fix - hidden
    if left > 0:
        lines.append(f"{left} finding{'s' if left != 1 else ''} would remain for a change by hand.")
    return "".join(line + "\n" for line in lines)
