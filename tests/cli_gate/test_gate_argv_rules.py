"""Every argv rule's VALID/INVALID examples, run through the shell scanner with only that rule selected."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.argv import ArgToken, render_string_list, scan_argv_tokens, scan_shell_text
from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.rules import rules_of_kind

RULES = rules_of_kind(CommandLineRule)
from vllm_pooling_migrate.codemod.edits import apply_fixes
from vllm_pooling_migrate.codemod.finding import Location
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.registry import BY_CODE, DEFAULT_CODEMOD_TARGET, FixClass, Surface, parse_version


def _options(code: str, example, unsafe: bool) -> Options:
    target = parse_version(example.target) if example.target else DEFAULT_CODEMOD_TARGET
    return Options(target_version=target, select=(code,), unsafe_fixes=unsafe, fix=True)


VALID_CASES = [pytest.param(rule, ex, id=f"{rule.CODE}-valid-{i}") for rule in RULES for i, ex in enumerate(rule.VALID)]
INVALID_CASES = [
    pytest.param(rule, ex, id=f"{rule.CODE}-invalid-{i}") for rule in RULES for i, ex in enumerate(rule.INVALID)
]


def test_every_rule_has_a_cli_registry_entry_and_examples():
    codes = [rule.CODE for rule in RULES]
    assert len(set(codes)) == len(codes)
    for rule in RULES:
        assert BY_CODE[rule.CODE].surface is Surface.CLI
        assert rule.MESSAGE and rule.VALID and rule.INVALID


@pytest.mark.parametrize(("rule", "example"), VALID_CASES)
def test_valid_example_has_no_finding(rule, example):
    assert scan_shell_text(example.source, "x.sh", _options(rule.CODE, example, unsafe=True)) == []


@pytest.mark.parametrize(("rule", "example"), INVALID_CASES)
def test_invalid_example_is_flagged_and_fixed_as_documented(rule, example):
    findings = scan_shell_text(example.source, "x.sh", _options(rule.CODE, example, unsafe=True))
    assert findings and {f.code for f in findings} == {rule.CODE}
    if example.line is not None:
        assert findings[0].location.row == example.line
    fixed, _ = apply_fixes(example.source, findings, unsafe_fixes=True)
    assert fixed == (example.expected if example.expected is not None else example.source)
    if example.expected is not None:
        # A second run over the fixed text finds nothing left to fix.
        again = scan_shell_text(fixed, "x.sh", _options(rule.CODE, example, unsafe=True))
        assert all(f.fix is None for f in again)


@pytest.mark.parametrize(("rule", "example"), [c for c in INVALID_CASES if c.values[1].unsafe])
def test_unsafe_fix_is_attached_but_applied_only_with_unsafe_fixes(rule, example):
    findings = scan_shell_text(example.source, "x.sh", _options(rule.CODE, example, unsafe=False))
    assert findings and all(f.fix.applicability is FixClass.UNSAFE for f in findings)
    assert apply_fixes(example.source, findings) == (example.source, [])
    assert apply_fixes(example.source, findings, unsafe_fixes=True)[0] == example.expected


def _python_list(values: list[str | None]) -> tuple[str, list[ArgToken]]:
    """A one-line Python list literal and its tokens, as the Python engine would hand them over."""
    text, tokens = "[", []
    for i, value in enumerate(values):
        text += ", " if i else ""
        literal = "arg" if value is None else f'"{value}"'
        start = len(text) + 1
        text += literal
        tokens.append(ArgToken(value, Location(1, start), Location(1, len(text) + 1), '"' if value is not None else ""))
    return text + "]", tokens


def test_argv_list_inside_python_is_rewritten_element_by_element():
    text, tokens = _python_list(["vllm", "serve", None, "--task", "embed", "--override-pooler-config", "{}"])
    findings = scan_argv_tokens(tokens, "x.py", Options(unsafe_fixes=True), render_string_list)
    assert [f.code for f in findings] == ["POOL013", "POOL014"]
    fixed, applied = apply_fixes(text, findings, unsafe_fixes=True)
    assert fixed == '["vllm", "serve", arg, "--runner", "pooling", "--convert", "embed", "--pooler-config", "{}"]'
    assert len(applied) == 2


def test_argv_list_merge_deletes_list_elements():
    text, tokens = _python_list(["vllm", "serve", "M", "--pooler-config", '{"a": 1}', "--pooler-config.task", "embed"])
    findings = scan_argv_tokens(tokens, "x.py", Options(unsafe_fixes=True), render_string_list)
    fixed, _ = apply_fixes(text, findings, unsafe_fixes=True)
    assert fixed == '["vllm", "serve", "M", "--pooler-config", "{\\"a\\": 1, \\"task\\": \\"embed\\"}"]'


def test_argv_list_that_is_not_a_vllm_server_is_ignored():
    _, tokens = _python_list(["grep", "--task", "embed"])
    assert scan_argv_tokens(tokens, "x.py", Options()) == []


def test_non_literal_task_value_is_reported_without_fix():
    _, tokens = _python_list(["vllm", "serve", "M", "--task", None])
    [finding] = scan_argv_tokens(tokens, "x.py", Options(unsafe_fixes=True), render_string_list)
    assert finding.code == "POOL013" and finding.fix is None


def test_statement_rows_cover_the_whole_command_and_select_filters():
    text = "vllm serve M \\\n  --task embed \\\n  --convert reward\n"
    findings = scan_shell_text(text, "x.sh", Options())
    assert {f.statement_rows for f in findings} == {(1, 3)}
    assert [f.code for f in scan_shell_text(text, "x.sh", Options(ignore=("POOL013",)))] == ["POOL017"]


def test_commands_are_split_at_operators_and_comments_are_skipped():
    text = "# vllm serve M --task embed\ncd /srv && vllm serve M --convert reward; echo --task embed\n"
    assert [(f.code, f.location.row) for f in scan_shell_text(text, "x.sh", Options())] == [("POOL017", 2)]


def test_quoting_of_rewritten_values_is_kept():
    text = 'vllm serve M --convert "reward" --pooler-config="{\\"normalize\\": true}"\n'
    findings = scan_shell_text(text, "x.sh", Options())
    fixed, _ = apply_fixes(text, findings)
    assert fixed == 'vllm serve M --convert "embed" --pooler-config="{\\"use_activation\\": true}"\n'
