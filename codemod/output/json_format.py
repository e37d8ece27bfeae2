"""The ``json`` format: a list of findings in ruff's JSON shape."""

from __future__ import annotations

import json
from collections.abc import Iterable

from vllm_pooling_migrate.codemod.finding import Edit, Finding, Location
from vllm_pooling_migrate.codemod.output.common import DOCS_BASE, ordered, rule_name, rule_url


def _location(location: Location) -> dict:
    return {"column": location.column, "row": location.row}


def _edit(edit: Edit) -> dict:
    return {"content": edit.content, "end_location": _location(edit.end_location), "location": _location(edit.location)}


def finding_to_dict(finding: Finding, docs_base: str | None = DOCS_BASE) -> dict:
    """One finding as ruff writes it: cell, code, end_location, filename, fix, location, message, noqa_row, url."""
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "edits": [_edit(e) for e in finding.fix.edits],
            "message": finding.fix.message,
        }
    return {
        "cell": finding.cell,
        "code": finding.code,
        "end_location": _location(finding.end_location),
        "filename": finding.path,
        "fix": fix,
        "location": _location(finding.location),
        "message": finding.message,
        "name": rule_name(finding.code),
        "noqa_row": finding.statement_rows[0] if finding.statement_rows else finding.location.row,
        "unfixable_reason": finding.unfixable_reason,
        "url": rule_url(finding.code, docs_base),
    }


def format_json(findings: Iterable[Finding], docs_base: str | None = DOCS_BASE) -> str:
    """``json.dumps([...], indent=2)`` of the findings, written one finding at a time (a run over a large file
    has tens of thousands: their dicts are never all held at once)."""
    items = [
        "  " + json.dumps(finding_to_dict(f, docs_base), indent=2, ensure_ascii=False).replace("\n", "\n  ")
        for f in ordered(findings)
    ]
    return ("[\n" + ",\n".join(items) + "\n]\n") if items else "[]\n"
