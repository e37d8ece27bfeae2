"""Every command-line rule's VALID/INVALID examples, each run as the file it is written as (a shell script,
a vLLM ``--config`` file, a Kubernetes manifest ...) through ``formats.scan_file``, with only that rule selected."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.argv import ArgToken, Command, CommandLineWriter, render_string_list, scan_commands
from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.edits import apply_fixes
from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.examples import Invalid, Valid, example_path
from vllm_pooling_migrate.codemod.finding import FileResult, Location
from vllm_pooling_migrate.codemod.formats import FileKind, file_kind, scan_file
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.rules import rules_of_kind
from vllm_pooling_migrate.registry import BY_CODE, DEFAULT_CODEMOD_TARGET, FixClass, Surface, parse_version

RULES = rules_of_kind(CommandLineRule)


def _options(code: str, example: Valid | Invalid, unsafe: bool) -> Options:
    target = parse_version(example.target) if example.target else DEFAULT_CODEMOD_TARGET
    return Options(target_version=target, select=(code,), unsafe_fixes=unsafe, fix=True)


def _scan(rule: type[CommandLineRule], example: Valid | Invalid, text: str, unsafe: bool = True) -> FileResult:
    result = scan_file(example_path(example, rule.LANGUAGE), text, _options(rule.CODE, example, unsafe), check_python_source)
    assert result.error is None, result.error
    return result


VALID_CASES = [
    pytest.param(rule, ex, id=f"{rule.CODE}-valid-{i}-{example_path(ex, rule.LANGUAGE)}")
    for rule in RULES
    for i, ex in enumerate(rule.VALID)
]
INVALID_CASES = [
    pytest.param(rule, ex, id=f"{rule.CODE}-invalid-{i}-{example_path(ex, rule.LANGUAGE)}")
    for rule in RULES
    for i, ex in enumerate(rule.INVALID)
]


def test_every_rule_has_a_cli_registry_entry_and_examples():
    codes = [rule.CODE for rule in RULES]
    assert len(set(codes)) == len(codes)
    for rule in RULES:
        assert BY_CODE[rule.CODE].surface is Surface.CLI
        assert rule.MESSAGE and rule.VALID and rule.INVALID


@pytest.mark.parametrize("rule", RULES, ids=[rule.CODE for rule in RULES])
def test_every_rule_shows_a_config_file_and_a_second_surface(rule):
    """Each rule is shown on a vLLM ``--config`` file and on Kubernetes YAML or a Python argv list, flagged
    and not flagged, besides the shell."""
    for examples in (rule.VALID, rule.INVALID):
        paths = [example_path(example, rule.LANGUAGE) for example in examples]
        assert "config.yaml" in paths, rule.CODE
        assert any(p in ("k8s.yaml", "launch.py") for p in paths), rule.CODE
        assert any(file_kind(p) is FileKind.SHELL for p in paths), rule.CODE


@pytest.mark.parametrize(("rule", "example"), VALID_CASES)
def test_valid_example_has_no_finding(rule, example):
    result = _scan(rule, example, example.source)
    assert result.findings == [] and result.fixed_source is None


@pytest.mark.parametrize(("rule", "example"), INVALID_CASES)
def test_invalid_example_is_flagged_and_fixed_as_documented(rule, example):
    result = _scan(rule, example, example.source)
    assert result.findings and {f.code for f in result.findings} == {rule.CODE}
    if example.line is not None:
        assert result.findings[0].location.row == example.line
    fixed = result.fixed_source if result.fixed_source is not None else example.source
    assert fixed == (example.expected if example.expected is not None else example.source)
    if example.expected is not None:
        # A second run over the fixed text finds nothing left to fix.
        assert all(f.fix is None for f in _scan(rule, example, fixed).findings)
    else:
        assert all(f.fix is None for f in result.findings)


@pytest.mark.parametrize(("rule", "example"), [c for c in INVALID_CASES if c.values[1].unsafe])
def test_unsafe_fix_is_attached_but_applied_only_with_unsafe_fixes(rule, example):
    result = _scan(rule, example, example.source, unsafe=False)
    assert result.fixed_source is None
    fixes = [f.fix for f in result.findings]
    assert fixes and all(fix is not None and fix.applicability is FixClass.UNSAFE for fix in fixes)
    assert apply_fixes(example.source, result.findings) == (example.source, [])
    assert apply_fixes(example.source, result.findings, unsafe_fixes=True)[0] == example.expected


def _python_list(values: list[str | None]) -> tuple[str, Command]:
    """A one-line Python list literal and its command, as the Python engine would hand them over."""
    text, tokens = "[", []
    for i, value in enumerate(values):
        text += ", " if i else ""
        literal = "arg" if value is None else f'"{value}"'
        start = len(text) + 1
        text += literal
        tokens.append(ArgToken(value, Location(1, start), Location(1, len(text) + 1), '"' if value is not None else ""))
    return text + "]", Command(tokens, CommandLineWriter(render_string_list))


def test_argv_list_inside_python_is_rewritten_element_by_element():
    text, command = _python_list(["vllm", "serve", None, "--task", "embed", "--override-pooler-config", "{}"])
    findings = scan_commands([command], path="x.py", options=Options(unsafe_fixes=True))
    assert [f.code for f in findings] == ["POOL013", "POOL014"]
    fixed, applied = apply_fixes(text, findings, unsafe_fixes=True)
    assert fixed == '["vllm", "serve", arg, "--runner", "pooling", "--convert", "embed", "--pooler-config", "{}"]'
    assert len(applied) == 2


def test_argv_list_merge_deletes_list_elements():
    text, command = _python_list(["vllm", "serve", "M", "--pooler-config", '{"a": 1}', "--pooler-config.task", "embed"])
    findings = scan_commands([command], path="x.py", options=Options(unsafe_fixes=True))
    fixed, _ = apply_fixes(text, findings, unsafe_fixes=True)
    assert fixed == '["vllm", "serve", "M", "--pooler-config", "{\\"a\\": 1, \\"task\\": \\"embed\\"}"]'


def test_argv_list_that_is_not_a_vllm_server_is_ignored():
    _, command = _python_list(["grep", "--task", "embed"])
    assert scan_commands([command], path="x.py", options=Options()) == []


def test_non_literal_task_value_is_reported_without_fix():
    _, command = _python_list(["vllm", "serve", "M", "--task", None])
    [finding] = scan_commands([command], path="x.py", options=Options(unsafe_fixes=True))
    assert finding.code == "POOL013" and finding.fix is None


def test_bash_c_script_inside_a_python_list_is_read_as_shell():
    text = (
        "import subprocess\nimport vllm\n\n"
        "subprocess.run(['bash', '-lc', 'vllm serve M --convert reward --pooler-config.task embed --pooler-config {}'])\n"
    )
    result = scan_file("launch.py", text, Options(fix=True, unsafe_fixes=True), check_python_source)
    assert sorted(f.code for f in result.findings) == ["POOL017", "POOL018"]
    assert result.fixed_source == text.replace(
        "--convert reward --pooler-config.task embed --pooler-config {}",
        "--convert embed --pooler-config \\'{\"task\":\"embed\"}\\'",
    )


def _shell(text: str, options: Options) -> list:
    return scan_file("x.sh", text, options, None).findings


def test_statement_rows_cover_the_whole_command_and_select_filters():
    text = "vllm serve M \\\n  --task embed \\\n  --convert reward\n"
    findings = _shell(text, Options())
    assert {f.statement_rows for f in findings} == {(1, 3)}
    assert [f.code for f in _shell(text, Options(ignore=("POOL013",)))] == ["POOL017"]


def test_commands_are_split_at_operators_and_comments_are_skipped():
    text = "# vllm serve M --task embed\ncd /srv && vllm serve M --convert reward; echo --task embed\n"
    assert [(f.code, f.location.row) for f in _shell(text, Options())] == [("POOL017", 2)]


def test_quoting_of_rewritten_values_is_kept():
    text = 'vllm serve M --convert "reward" --pooler-config="{\\"normalize\\": true}"\n'
    fixed = scan_file("x.sh", text, Options(fix=True), None).fixed_source
    assert fixed == 'vllm serve M --convert "embed" --pooler-config="{\\"use_activation\\": true}"\n'


def test_messages_spell_flags_as_the_surface_does():
    shell = _shell("vllm serve M --task embed --convert reward\n", Options())
    config = scan_file("c.yaml", "model: M\ntask: embed\nconvert: reward\n", Options(), None).findings
    assert [f.message for f in shell] == [
        "`--task embed` was removed in vLLM 0.13.0; use `--runner pooling` (`--convert reward` is already given)",
        "`--convert reward` was replaced by `--convert embed` (removed in vLLM 0.16.0)",
    ]
    assert [f.message for f in config] == [
        "`task: embed` was removed in vLLM 0.13.0; use `runner: pooling` (`convert: reward` is already given)",
        "`convert: reward` was replaced by `convert: embed` (removed in vLLM 0.16.0)",
    ]
