"""Rules are found by walking their package: a rule file that is not a rule, or a rule without docs, fails here."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

from vllm_pooling_migrate.codemod import rules as rules_package
from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules import by_code, discover, entries_without_rule, rules_of_kind
from vllm_pooling_migrate.registry import BY_CODE, Surface

DOCS = Path(__file__).resolve().parents[3] / "docs" / "rules"


def test_every_module_of_the_rules_package_is_exactly_one_discovered_rule():
    modules = sorted(info.name for info in pkgutil.iter_modules(rules_package.__path__))
    assert sorted(rule.__module__.rpartition(".")[2] for rule in discover()) == modules
    for rule in discover():
        assert rule.__module__.rpartition(".")[2].startswith(rule.CODE.lower() + "_"), rule


def test_every_registry_entry_has_one_rule_of_the_kind_its_surface_needs():
    assert entries_without_rule() == []
    assert set(by_code()) == set(BY_CODE)
    for code, rule in by_code().items():
        expected = CommandLineRule if BY_CODE[code].surface is Surface.CLI else PythonRule
        assert issubclass(rule, expected), code
    assert len(rules_of_kind(PythonRule)) + len(rules_of_kind(CommandLineRule)) == len(discover())


def test_every_rule_has_a_doc_page_and_examples():
    for code, rule in by_code().items():
        assert (DOCS / f"{code}.md").is_file(), f"{code} has no doc page"
        assert rule.MESSAGE and rule.VALID and rule.INVALID, code


def test_a_module_without_a_rule_class_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "pool099_not_a_rule.py").write_text("CODE = 'POOL099'\n")
    monkeypatch.setattr(rules_package, "__path__", [*rules_package.__path__, str(tmp_path)])
    discover.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="pool099_not_a_rule must define exactly one rule class, found 0"):
            discover()
    finally:
        discover.cache_clear()


def test_a_code_defined_twice_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "pool099_copy.py").write_text(
        "from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule\n"
        "class Copy(CommandLineRule):\n    CODE = 'POOL013'\n    MESSAGE = 'copy'\n")
    monkeypatch.setattr(rules_package, "__path__", [*rules_package.__path__, str(tmp_path)])
    discover.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="rule codes defined twice: POOL013"):
            discover()
    finally:
        discover.cache_clear()
