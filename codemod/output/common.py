"""What every output format needs: ordering, rule names and documentation links, the fix marker."""

from __future__ import annotations

from collections.abc import Iterable

from vllm_pooling_migrate.codemod.edits import applicable
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.registry import BY_CODE

#: Where rule pages live: None means the copies shipped inside the installed package (``file://`` links
#: that resolve wherever the tool is installed); a caller may pass a published base URL ending in ``/``.
DOCS_BASE: str | None = None


def rule_url(code: str, base: str | None = DOCS_BASE) -> str:
    if base is None:
        from vllm_pooling_migrate.codemod.docs import rule_url as packaged_rule_url

        return packaged_rule_url(code)
    return f"{base}{code}.md"


def rule_name(code: str) -> str | None:
    entry = BY_CODE.get(code)
    return entry.name if entry else None


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def fixable_now(finding: Finding, unsafe_fixes: bool) -> bool:
    """The ``[*]`` marker: the fix would be applied by a fix run with the current settings."""
    return applicable(finding, unsafe_fixes)
