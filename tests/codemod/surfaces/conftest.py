"""Shared helpers: a fake Python engine (flags and fixes the word LEGACY) for notebook/Markdown tests."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.finding import Edit, FileResult, Finding, Fix, Location
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.registry import FixClass


def fake_check_python(source: str, path: str, options: Options) -> FileResult:
    """Stands in for codemod.engine.check_python_source: ``LEGACY`` -> ``MODERN`` (POOL001, safe).

    A line ``BROKEN(`` makes it report a parse error, as the engine does for invalid Python.
    """
    if "BROKEN(" in source:
        return FileResult(path, error=f"{path}: cannot parse")
    findings = []
    for row, line in enumerate(source.split("\n"), start=1):
        column = line.find("LEGACY")
        if column != -1:
            start, end = Location(row, column + 1), Location(row, column + 7)
            fix = Fix(FixClass.SAFE, "modernise", (Edit("MODERN", start, end),))
            findings.append(Finding("POOL001", "legacy", path, start, end, fix, statement_rows=(row, row)))
    result = FileResult(path, findings)
    if options.fix and findings:
        result.fixed_source = source.replace("LEGACY", "MODERN")
        result.applied = list(findings)
    return result


@pytest.fixture
def check_python():
    return fake_check_python
