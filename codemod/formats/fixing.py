"""The check-then-fix loop shared by every non-Python file kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from codemod.edits import apply_fixes
from codemod.finding import FileResult, Finding
from codemod.noqa import is_suppressed, parse_noqa
from codemod.options import Options

#: Fixes that touch the same text are applied over several passes, as ruff does; this bounds them.
MAX_FIX_PASSES = 8

Finder = Callable[[str], list[Finding]]


def visible_findings(text: str, find: Finder, options: Options) -> list[Finding]:
    """The findings of ``text`` that no ``# noqa`` suppresses (all of them with ``--ignore-noqa``)."""
    findings = find(text)
    if not options.ignore_noqa and findings:
        noqa = parse_noqa(text)
        findings = [f for f in findings if not is_suppressed(f, noqa)]
    return sorted(findings, key=Finding.sort_key)


def check_and_fix(
    text: str,
    path: str,
    options: Options,
    find: Finder,
    is_valid: Callable[[str], bool] = lambda _: True,
) -> FileResult:
    """Report what ``find`` sees; in fix mode apply fixes until nothing changes.

    In fix mode, as for Python files, ``applied`` lists the findings whose fixes were applied and
    ``findings`` holds those plus the ones left in the fixed text (located in it). When
    ``is_valid`` rejects the fixed text (say, YAML that no longer parses) nothing is written and
    every finding is reported with the reason.
    """
    findings = visible_findings(text, find, options)
    if not options.fix:
        return FileResult(path, findings)
    current, applied = text, []
    for _ in range(MAX_FIX_PASSES):
        fixed, done = apply_fixes(current, findings, options.unsafe_fixes)
        if not done:
            break
        applied.extend(done)
        current = fixed
        findings = visible_findings(current, find, options)
    if current == text:
        return FileResult(path, findings)
    if not is_valid(current):
        reason = "the fixed file would not parse; fix it by hand"
        unfixed = [_without_fix(f, reason) for f in visible_findings(text, find, options)]
        return FileResult(path, unfixed)
    return FileResult(path, sorted(applied + findings, key=Finding.sort_key), fixed_source=current, applied=applied)


def _without_fix(finding: Finding, reason: str) -> Finding:
    return replace(finding, fix=None, unfixable_reason=reason) if finding.fix else finding
