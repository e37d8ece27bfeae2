"""The registry, the rules and the generated docs stay in step."""

import re
import subprocess
import sys

import pytest

from vllm_pooling_migrate.codemod.rules import by_code, entries_without_rule
from vllm_pooling_migrate.codemod.docs import stale_files
from vllm_pooling_migrate.registry import BY_CODE, DEPRECATIONS, FixClass


def test_every_registry_entry_has_a_rule():
    assert [e.code for e in entries_without_rule()] == []


def test_every_rule_points_at_a_registry_entry():
    assert set(by_code()) <= set(BY_CODE)


def test_codes_and_names_are_unique():
    assert len({e.code for e in DEPRECATIONS}) == len(DEPRECATIONS)
    assert len({e.name for e in DEPRECATIONS}) == len(DEPRECATIONS)


def test_fix_classes_match_examples():
    """A report-only entry never shows a rewrite; a fixable entry shows at least one."""
    for code, rule in by_code().items():
        rewrites = [example for example in rule.INVALID if example.expected is not None]
        if BY_CODE[code].fix_class is FixClass.REPORT:
            assert not rewrites, f"{code} is report-only but an example shows a rewrite"
        else:
            assert rewrites, f"{code} is fixable but no example shows the fix"


def test_generated_docs_are_current():
    stale = stale_files()
    assert not stale, f"docs are stale, run `python -m vllm_pooling_migrate.codemod.docs`: {[str(p) for p in stale]}"


def test_codemod_does_not_import_torch(tmp_path):
    code = ("import sys\n"
            "import vllm_pooling_migrate.codemod.engine, vllm_pooling_migrate.codemod.docs\n"
            "from vllm_pooling_migrate.codemod.rules import discover\n"
            "assert len(discover()) >= 21\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "False"


RUFF_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Fix safety", "## Versions affected")


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_rule_page_has_ruffs_shape_and_no_internal_ids(code):
    from vllm_pooling_migrate.codemod.docs import rule_doc

    entry, rule = BY_CODE[code], by_code()[code]
    page = rule_doc(entry, rule)
    positions = [page.index(section) for section in RUFF_SECTIONS]
    assert positions == sorted(positions), code
    assert not re.search(r"\bM\d{2}[a-z]?\b|§|\bspec\b", page), f"{code}: internal spec ids on a user's page"
    why = page[page.index("## Why is this bad?"):page.index("## Example")]
    assert "vLLM" in why
    if entry.fix_class is FixClass.REPORT:
        assert "migrate-pooling --select" not in page, f"{code} is report-only: no command that cannot fix it"
        assert "no automatic fix" in page
    else:
        assert f"`migrate-pooling --select {code}" in page


def test_rule_command_prints_the_page_for_an_installed_user(tmp_path):
    out = subprocess.run([sys.executable, "-m", "vllm_pooling_migrate.codemod.cli", "rule", "pool005"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert out.returncode == 0 and "# POOL005 `implicit-pooling-task`" in out.stdout


def test_silent_changes_are_not_described_as_failures():
    """A rule whose target raises nothing (a `/pooling` body without a task, engine-level encode without one) must
    not tell the reader that the code fails: its page says the behaviour changed silently."""
    from vllm_pooling_migrate.codemod.docs import PACKAGE_DOCS
    from vllm_pooling_migrate.registry import DEPRECATIONS

    silent = [entry for entry in DEPRECATIONS if entry.silent_change]
    assert {entry.code for entry in silent} >= {"POOL020", "POOL026"}
    for entry in silent:
        page = (PACKAGE_DOCS / f"{entry.code}.md").read_text()
        why = page.split("## Why is this bad?", 1)[1].split("\n## ", 1)[0]
        assert "it fails" not in why and "no error and no warning" in why, entry.code
