"""The ``github`` format: GitHub Actions workflow commands that annotate the pull request."""

from __future__ import annotations

from collections.abc import Iterable

from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.output.common import ordered


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Iterable[Finding]) -> str:
    """``::error file=...,line=...,col=...,endLine=...,endColumn=...,title=CODE::message`` per finding."""
    lines = []
    for finding in ordered(findings):
        properties = {
            "file": finding.path,
            "line": finding.location.row,
            "col": finding.location.column,
            "endLine": finding.end_location.row,
            "endColumn": finding.end_location.column,
            "title": finding.code,
        }
        joined = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
        cell = f"cell {finding.cell}:" if finding.cell is not None else ""
        where = f"{finding.path}:{cell}{finding.location.row}:{finding.location.column}"
        lines.append(f"::error {joined}::{_escape_data(f'{where}: {finding.code} {finding.message}')}")
    return "".join(line + "\n" for line in lines)
