"""The ``sarif`` format: SARIF 2.1.0, rules from the registry, results with their fixes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePath

from vllm_pooling_migrate.codemod.finding import Finding, Location
from vllm_pooling_migrate.codemod.output.common import DOCS_BASE, ordered, rule_url
from vllm_pooling_migrate.registry import DEPRECATIONS

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _tool_version() -> str:
    # Read from the installed distribution: ``codemod/__init__.py`` is not always the module
    # imported (a strict editable install can expose ``codemod`` as a namespace package).
    try:
        return version("vllm-pooling-migrate")
    except PackageNotFoundError:
        return "0+unknown"


def _uri(path: str) -> str:
    return PurePath(path).as_posix()


def _region(start: Location, end: Location) -> dict:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def _rules(docs_base: str | None) -> list[dict]:
    return [
        {
            "id": entry.code,
            "name": entry.name,
            "shortDescription": {"text": entry.title},
            "fullDescription": {"text": f"{entry.title}. Replacement: {entry.replacement}"},
            "helpUri": rule_url(entry.code, docs_base),
            "properties": {"fixClass": entry.fix_class.value, "surface": entry.surface.value},
        }
        for entry in DEPRECATIONS
    ]


def _result(finding: Finding, rule_index: dict[str, int]) -> dict:
    uri = _uri(finding.path)
    result: dict[str, object] = {
        "ruleId": finding.code,
        "level": "error",
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": _region(finding.location, finding.end_location),
                }
            }
        ],
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if finding.cell is not None:
        result["properties"] = {"cell": finding.cell}
    if finding.fix is not None:
        replacements = [
            {"deletedRegion": _region(e.location, e.end_location), "insertedContent": {"text": e.content}}
            for e in finding.fix.edits
        ]
        result["fixes"] = [
            {
                "description": {"text": f"{finding.fix.message} ({finding.fix.applicability.value})"},
                "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}],
            }
        ]
    return result


def format_sarif(findings: Iterable[Finding], docs_base: str | None = DOCS_BASE) -> str:
    rules = _rules(docs_base)
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "migrate-pooling", "version": _tool_version(), "rules": rules}},
                "results": [_result(f, rule_index) for f in ordered(findings)],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
