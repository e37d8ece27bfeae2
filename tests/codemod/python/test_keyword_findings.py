"""Findings on legacy keywords sit where each keyword is written; several in one place are one report."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.options import Options

HEADER = "from vllm.config import PoolerConfig\n"


def _pool010(call: str, fix: bool = True):
    result = check_python_source(HEADER + f"cfg = {call}\n", "x.py", Options(fix=fix, select=("POOL010",)))
    return result, [(f.location.row, f.location.column, f.fix is not None) for f in result.findings]


def test_each_legacy_keyword_is_reported_where_it_is_written():
    result, rows = _pool010('PoolerConfig(\n    normalize=True,\n    softmax=False,\n)')
    assert rows == [(3, 5, False), (4, 5, False)]
    assert result.fixed_source is None  # different values: which one the author meant is theirs to say


def test_keywords_that_all_say_the_same_become_one_use_activation():
    result, rows = _pool010('PoolerConfig(pooling_type="LAST", normalize=False, softmax=False)')
    assert rows == [(2, 41, True), (2, 58, False)]
    assert "the fix on `normalize` replaces it too" == result.findings[1].unfixable_reason
    assert result.fixed_source == HEADER + 'cfg = PoolerConfig(pooling_type="LAST", use_activation=False)\n'


def test_use_activation_already_given_keeps_every_keyword_report_only():
    result, rows = _pool010("PoolerConfig(normalize=False, softmax=False, use_activation=True)")
    assert [fixable for *_, fixable in rows] == [False, False] and result.fixed_source is None


def test_stuck_keys_of_one_pooler_config_value_are_one_finding():
    text = "vllm serve M --override-pooler-config '{\"normalize\": false, \"softmax\": false}'\n"
    findings = [f for f in scan_file("serve.sh", text, Options(), None).findings if f.code == "POOL015"]
    assert len(findings) == 1 and findings[0].fix is None
    assert "`normalize`, `softmax` are legacy PoolerConfig keys; use `use_activation`" in findings[0].message
