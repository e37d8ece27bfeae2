"""Every rule's VALID and INVALID examples are run as tests: they are the rule's executable documentation."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules import rules_of_kind

ALL_RULES = rules_of_kind(PythonRule)
from vllm_pooling_migrate.registry import DEFAULT_CODEMOD_TARGET, parse_version

CASES = [
    pytest.param(rule, kind, index, example, id=f"{rule.CODE}-{kind}-{index}")
    for rule in ALL_RULES
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, example in enumerate(examples)
]


def _options(rule, example, **overrides) -> Options:
    target = parse_version(example.target) if example.target else DEFAULT_CODEMOD_TARGET
    return Options(target_version=target, select=(rule.CODE,), fix=True, unsafe_fixes=getattr(example, "unsafe", False), **overrides)


@pytest.mark.parametrize("rule, kind, index, example", CASES)
def test_rule_example(rule, kind, index, example):
    result = check_python_source(example.source, "example.py", _options(rule, example), rules=[rule])
    assert result.error is None
    codes = [f.code for f in result.findings]
    if kind == "valid":
        assert codes == [], f"unexpected findings: {result.findings}"
        assert result.fixed_source is None
        return
    assert rule.CODE in codes, f"{rule.CODE} not reported for:\n{example.source}"
    if example.expected is None:
        assert result.fixed_source is None, f"report-only example was rewritten:\n{result.fixed_source}"
    else:
        assert result.fixed_source == example.expected


@pytest.mark.parametrize("rule, kind, index, example", [c for c in CASES if c.values[1] == "invalid" and c.values[3].unsafe])
def test_unsafe_examples_need_the_flag(rule, kind, index, example):
    target = parse_version(example.target) if example.target else DEFAULT_CODEMOD_TARGET
    options = Options(target_version=target, select=(rule.CODE,), fix=True, unsafe_fixes=False)
    result = check_python_source(example.source, "example.py", options, rules=[rule])
    assert result.fixed_source is None
    assert any(f.unfixable_reason and "--unsafe-fixes" in f.unfixable_reason for f in result.findings)


def test_every_rule_has_examples_of_both_kinds():
    for rule in ALL_RULES:
        assert rule.VALID and rule.INVALID, rule.CODE
