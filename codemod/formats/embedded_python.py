"""Python code embedded in another file (Markdown blocks, notebook cells), checked by the lead's engine.

The engine is passed in as ``check_python`` (``codemod.engine.check_python_source``) so that
this package does not import it; anything with that signature works, which keeps tests small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from vllm_pooling_migrate.codemod.finding import Edit, FileResult, Finding, Fix, Location
from vllm_pooling_migrate.codemod.noqa import is_suppressed, parse_noqa
from vllm_pooling_migrate.codemod.options import Options

CheckPython = Callable[[str, str, Options], FileResult]


def shift_rows(finding: Finding, rows: int, **changes) -> Finding:
    """The finding moved ``rows`` lines down (its fix's edits too), with other fields changed as given."""

    def move(location: Location) -> Location:
        return Location(location.row + rows, location.column)

    fix = finding.fix
    if fix is not None and rows:
        fix = Fix(
            fix.applicability,
            fix.message,
            tuple(Edit(e.content, move(e.location), move(e.end_location)) for e in fix.edits),
        )
    statement_rows = finding.statement_rows and (finding.statement_rows[0] + rows, finding.statement_rows[1] + rows)
    return replace(
        finding,
        location=move(finding.location),
        end_location=move(finding.end_location),
        fix=fix,
        statement_rows=statement_rows,
        **changes,
    )


def check_embedded(source: str, path: str, options: Options, check_python: CheckPython) -> FileResult:
    """Run the engine on one piece of Python and drop what its ``# noqa`` comments suppress."""
    result = check_python(source, path, options)
    if options.ignore_noqa or result.error:
        return result
    noqa = parse_noqa(source, python=True)
    result.findings = [f for f in result.findings if not is_suppressed(f, noqa)]
    result.applied = [f for f in result.applied if not is_suppressed(f, noqa)]
    if result.fixed_source is not None:
        fixed_noqa = parse_noqa(result.fixed_source, python=True)
        result.remaining = [f for f in result.remaining if not is_suppressed(f, fixed_noqa)]
    else:
        result.remaining = [f for f in result.remaining if not is_suppressed(f, noqa)]
    return result
