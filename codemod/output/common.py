"""What every output format needs: ordering, rule names and documentation links, the fix marker."""

from __future__ import annotations

from collections.abc import Iterable

from vllm_pooling_migrate.codemod.edits import applicable
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.registry import BY_CODE

#: Where rule pages live. Relative to the repository until the project publishes its docs; the
#: CLI may pass an absolute base (e.g. a repository URL ending in ``docs/rules/``).
DOCS_BASE = "docs/rules/"


def rule_url(code: str, base: str = DOCS_BASE) -> str:
    return f"{base}{code}.md"


def rule_name(code: str) -> str | None:
    entry = BY_CODE.get(code)
    return entry.name if entry else None


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def fixable_now(finding: Finding, unsafe_fixes: bool) -> bool:
    """The ``[*]`` marker: the fix would be applied by a fix run with the current settings."""
    return applicable(finding, unsafe_fixes)
