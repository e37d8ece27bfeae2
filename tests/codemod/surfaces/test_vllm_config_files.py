"""vLLM ``--config`` files: the command-line rules read them as the command line vLLM builds from them, and
their changes are written as YAML (the rules' own examples cover the common cases; these, the writer's edges)."""

from __future__ import annotations

import yaml

from vllm_pooling_migrate.codemod.argv import Command, scan_commands
from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.formats.yaml_vllm_config import config_commands
from vllm_pooling_migrate.codemod.options import Options

FIX_UNSAFE = Options(fix=True, unsafe_fixes=True)


def _command(text: str) -> Command:
    [command] = config_commands(text, list(yaml.compose_all(text, Loader=yaml.SafeLoader)))
    return command


def _fixed(text: str) -> str | None:
    return scan_file("c.yaml", text, FIX_UNSAFE, None).fixed_source


def test_a_config_is_the_command_line_vllm_builds_from_it():
    text = (
        "model: M\ntrust-remote-code: true\nenforce-eager: false\nserved-model-name: [a, b]\n"
        "pooler-config:\n  task: embed\nport: 8000\n"
    )
    values = [token.value for token in _command(text).tokens]
    assert values == [
        "--model", "M", "--trust-remote-code", "--served-model-name", "a", "b",
        "--pooler-config", '{"task": "embed"}', "--port", "8000",
    ]


def test_findings_sit_on_their_entry_and_noqa_on_its_lines_applies():
    text = "model: M\nrunner: pooling\npooler-config:\n  normalize: true   # noqa: POOL015\n\nconvert: reward\n"
    result = scan_file("c.yaml", text, Options(), None)
    assert [(f.code, f.statement_rows) for f in result.findings] == [("POOL017", (6, 6))]
    assert [f.statement_rows for f in scan_file("c.yaml", text, Options(ignore_noqa=True), None).findings] == [
        (3, 4),
        (6, 6),
    ]


def test_crlf_configs_keep_their_line_endings():
    text = "model: M\r\ntask: embed\r\nrunner: pooling\r\npooler-config:\r\n  a: 1\r\npooler-config.task: embed\r\n"
    assert _fixed(text) == "model: M\r\nconvert: embed\r\nrunner: pooling\r\npooler-config:\r\n  a: 1\r\n  task: embed\r\n"


def test_merge_writes_nested_and_list_keys_into_a_mapping_and_an_empty_flow_mapping():
    text = (
        "model: M\nrunner: pooling\npooler-config: {}\npooler-config.extra.depth: 3\n"
        "pooler-config.returned_token_ids+: 1,2\n"
    )
    fixed = _fixed(text)
    assert fixed == 'model: M\nrunner: pooling\npooler-config: {extra: {"depth": 3}, returned_token_ids: [1, 2]}\n'
    assert yaml.safe_load(fixed)["pooler-config"] == {"extra": {"depth": 3}, "returned_token_ids": [1, 2]}


def test_a_flow_mapping_config_takes_value_edits_but_not_line_edits():
    text = "{model: M, task: embed, runner: pooling, convert: 'reward'}\n"
    result = scan_file("c.yaml", text, FIX_UNSAFE, None)
    [task] = [f for f in result.findings if f.code == "POOL013"]
    assert task.fix is None  # `convert: reward` says something else
    assert result.fixed_source == "{model: M, task: embed, runner: pooling, convert: 'embed'}\n"
    [task] = scan_file("c.yaml", "{model: M, task: embed}\n", FIX_UNSAFE, None).findings
    assert task.fix is None and "flow mapping" in task.unfixable_reason


def test_messages_and_advice_are_spelled_as_config_keys():
    [task] = scan_file("c.yaml", "model: M\ntask: score\n", Options(), None).findings
    assert task.message == "`task: score` was removed in vLLM 0.13.0; use `runner: pooling`"
    [dash] = scan_file("c.yaml", "model: M\npooler_config.pooling-type: MEAN\n", Options(), None).findings
    assert dash.message.startswith("`pooler_config.pooling-type` is passed to PoolerConfig")
    assert dash.message.endswith("write `pooler_config.pooling_type`")


def test_a_workflow_with_task_keys_is_not_a_config():
    workflow = "jobs:\n  build:\n    task: embed\n    convert: reward\n"
    documents = list(yaml.compose_all(workflow, Loader=yaml.SafeLoader))
    assert config_commands(workflow, documents) == []
    assert scan_commands([], path="c.yaml", options=Options()) == []
