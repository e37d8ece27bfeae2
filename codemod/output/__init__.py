"""Output formats for findings: ``render_findings(findings, output_format, ...)`` picks one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.output.common import DOCS_BASE
from vllm_pooling_migrate.codemod.output.github import format_github
from vllm_pooling_migrate.codemod.output.json_format import format_json
from vllm_pooling_migrate.codemod.output.sarif import format_sarif
from vllm_pooling_migrate.codemod.output.statistics import CodeStatistics, format_statistics, statistics
from vllm_pooling_migrate.codemod.output.text import (fixable_count, format_diff_summary, format_summary, format_text,
                                                      use_color)

OUTPUT_FORMATS = ("text", "json", "github", "sarif")

__all__ = [
    "OUTPUT_FORMATS",
    "CodeStatistics",
    "fixable_count",
    "format_diff_summary",
    "format_statistics",
    "format_summary",
    "render_findings",
    "statistics",
    "use_color",
]


def render_findings(
    findings: Iterable[Finding],
    output_format: str = "text",
    *,
    color: bool = False,
    unsafe_fixes: bool = False,
    show_fixes: bool = False,
    docs_base: str | None = DOCS_BASE,
    sources: Mapping[str, str] | None = None,
) -> str:
    """All findings in one format. ``color`` and ``show_fixes`` apply to text only (``sources``, the text of each
    file by path, lets ``show_fixes`` show the lines a fix changes); the summary is separate."""
    if output_format == "text":
        return format_text(findings, color=color, unsafe_fixes=unsafe_fixes, show_fixes=show_fixes, sources=sources)
    if output_format == "json":
        return format_json(findings, docs_base)
    if output_format == "github":
        return format_github(findings)
    if output_format == "sarif":
        return format_sarif(findings, docs_base)
    raise ValueError(f"unknown output format {output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
