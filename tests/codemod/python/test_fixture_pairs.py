"""Fixture pairs: ``<case>.in.py`` is fixed into ``<case>.out.py`` with the findings of ``<case>.check.txt``.

Run with every rule and default options (target 0.21, safe fixes only). A new bug becomes a new pair.
"""

from pathlib import Path

import pytest

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(FIXTURES.glob("*/*.in.py"))


@pytest.mark.parametrize("source_path", CASES, ids=lambda p: f"{p.parent.name}/{p.name[:-6]}")
def test_fixture_pair(source_path: Path):
    stem = source_path.name[: -len(".in.py")]
    expected = (source_path.parent / f"{stem}.out.py").read_text()
    expected_findings = (source_path.parent / f"{stem}.check.txt").read_text().split()
    result = check_python_source(source_path.read_text(), str(source_path), Options(fix=True))
    assert result.error is None
    found = [f"{f.location.row}:{f.location.column} {f.code}" for f in result.findings]
    assert found == [" ".join(pair) for pair in zip(expected_findings[::2], expected_findings[1::2])]
    assert (result.fixed_source or source_path.read_text()) == expected


@pytest.mark.parametrize("source_path", CASES, ids=lambda p: f"{p.parent.name}/{p.name[:-6]}")
def test_fixing_twice_changes_nothing(source_path: Path):
    first = check_python_source(source_path.read_text(), str(source_path), Options(fix=True))
    once = first.fixed_source or source_path.read_text()
    second = check_python_source(once, str(source_path), Options(fix=True))
    assert second.fixed_source is None
