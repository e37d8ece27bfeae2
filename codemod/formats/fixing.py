"""The check-then-fix loop of every non-Python file kind: find, drop what ``# noqa`` suppresses, fix, find again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from vllm_pooling_migrate.codemod.edits import apply_fixes
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.noqa import is_suppressed, parse_noqa
from vllm_pooling_migrate.codemod.options import Options

#: Fixes that touch the same text are applied over several passes, as ruff does; this bounds them.
MAX_FIX_PASSES = 8

#: A file kind's finder: the findings of one text. It raises UnreadableText for text not of its kind.
Finder = Callable[[str], list[Finding]]


class UnreadableText(ValueError):
    """The text is not of its kind (YAML that does not parse): an error for the file, or for a fixed text."""


def visible_findings(text: str, find: Finder, options: Options) -> list[Finding]:
    """The findings of ``text`` that no ``# noqa`` suppresses (all of them with ``--ignore-noqa``)."""
    findings = find(text)
    if not options.ignore_noqa and findings:
        noqa = parse_noqa(text)
        findings = [f for f in findings if not is_suppressed(f, noqa)]
    return sorted(findings, key=Finding.sort_key)


def check_and_fix(text: str, path: str, options: Options, find: Finder) -> FileResult:
    """Report what ``find`` sees; in fix mode apply fixes until nothing changes.

    As for Python files: ``findings`` are those of ``text``; in fix mode ``applied`` lists the findings whose
    fixes were applied (in every pass) and ``remaining`` those still in the fixed text, located in it. Text that
    ``find`` cannot read is the file's error; when a fixed text cannot be read (say, YAML that no longer parses)
    nothing is written and every finding is reported unfixed, with the reason.
    """
    try:
        findings = visible_findings(text, find, options)
    except UnreadableText as error:
        return FileResult(path, error=f"{path}: {error}".replace("\n", " "))
    if not options.fix:
        return FileResult(path, findings)
    current, applied, remaining = text, [], findings
    for _ in range(MAX_FIX_PASSES):
        fixed, done = apply_fixes(current, remaining, options.unsafe_fixes)
        if not done:
            break
        try:
            remaining = visible_findings(fixed, find, options)
        except UnreadableText:
            unfixed = [_without_fix(f, "the fixed file would not parse; fix it by hand") for f in findings]
            return FileResult(path, unfixed, remaining=unfixed)
        applied.extend(done)
        current = fixed
    if current == text:
        return FileResult(path, findings, remaining=findings)
    return FileResult(path, findings, fixed_source=current, applied=applied, remaining=remaining)


def _without_fix(finding: Finding, reason: str) -> Finding:
    return replace(finding, fix=None, unfixable_reason=reason) if finding.fix else finding
