"""``--statistics``: how many findings per code, and how many of them a fix run would fix."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.output.common import fixable_now, rule_name


@dataclass(frozen=True)
class CodeStatistics:
    code: str
    name: str | None
    count: int
    fixable: int


def statistics(findings: Iterable[Finding], unsafe_fixes: bool = False) -> list[CodeStatistics]:
    """Per code, most frequent first (ties by code)."""
    counts: Counter[str] = Counter()
    fixable: Counter[str] = Counter()
    for finding in findings:
        counts[finding.code] += 1
        fixable[finding.code] += fixable_now(finding, unsafe_fixes)
    rows = [CodeStatistics(code, rule_name(code), n, fixable[code]) for code, n in counts.items()]
    return sorted(rows, key=lambda row: (-row.count, row.code))


def format_statistics(rows: list[CodeStatistics], output_format: str = "text") -> str:
    """A table (text) or a JSON list of ``{code, name, count, fixable}``."""
    if output_format == "json":
        return json.dumps([asdict(row) for row in rows], indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(row.count)) for row in rows)
    fix_width = max(len(str(row.fixable)) for row in rows)
    lines = [
        f"{row.count:>{width}}\t{row.code}\t{row.fixable:>{fix_width}} fixable\t{row.name or ''}".rstrip()
        for row in rows
    ]
    return "".join(line + "\n" for line in lines)
