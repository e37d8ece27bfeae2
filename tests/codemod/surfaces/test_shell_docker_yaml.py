"""Shell scripts, Dockerfiles, YAML and file-kind detection, through scan_file."""

from __future__ import annotations

import pytest
import yaml

from vllm_pooling_migrate.codemod.formats import FileKind, file_kind, may_be_affected, scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)
FIX_UNSAFE = Options(fix=True, unsafe_fixes=True)


def codes(result) -> list[tuple[str, int]]:
    return [(f.code, f.location.row) for f in result.findings]


@pytest.mark.parametrize(
    ("path", "first_line", "kind"),
    [
        ("a/x.py", None, FileKind.PYTHON),
        ("x.pyi", None, FileKind.PYTHON),
        ("n.ipynb", None, FileKind.NOTEBOOK),
        ("run.sh", None, FileKind.SHELL),
        ("run.bash", None, FileKind.SHELL),
        ("bin/serve", "#!/usr/bin/env bash", FileKind.SHELL),
        ("bin/serve", "#!/bin/sh -e", FileKind.SHELL),
        ("bin/tool", "#!/usr/bin/env python3", FileKind.PYTHON),
        ("bin/tool", "#!/usr/bin/perl", None),
        ("Dockerfile", None, FileKind.DOCKERFILE),
        ("docker/Dockerfile.gpu", None, FileKind.DOCKERFILE),
        ("serve.Dockerfile", None, FileKind.DOCKERFILE),
        ("Containerfile", None, FileKind.DOCKERFILE),
        ("k8s/deploy.yaml", None, FileKind.YAML),
        ("compose.yml", None, FileKind.YAML),
        ("README.md", None, FileKind.MARKDOWN),
        ("notes.txt", None, None),
    ],
)
def test_file_kind(path, first_line, kind):
    assert file_kind(path, first_line) is kind


def test_unknown_kind_gives_an_empty_result(check_python):
    result = scan_file("notes.txt", "vllm serve M --task embed\n", FIX, check_python)
    assert result.findings == [] and result.fixed_source is None and result.error is None


# --- shell ---------------------------------------------------------------------------------------

SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
# vllm serve old --task embed   (a comment: ignored)
MODEL=BAAI/bge-m3
CUDA_VISIBLE_DEVICES=0 exec vllm serve "$MODEL" \\
    --override_pooler_config '{"pooling_type": "MEAN", "normalize": false}' \\
    --convert reward \\
    --port 8000   # noqa: POOL013
"""


def test_shell_script_fix_keeps_quoting_continuations_and_indentation(check_python):
    result = scan_file("bin/serve", SCRIPT, FIX, check_python)
    assert result.fixed_source == SCRIPT.replace("--override_pooler_config", "--pooler_config").replace(
        '"normalize"', '"use_activation"'
    ).replace("--convert reward", "--convert embed")
    assert sorted(f.code for f in result.applied) == ["POOL014", "POOL015", "POOL017"]


def test_shell_check_mode_reports_without_fixing(check_python):
    result = scan_file("serve.sh", SCRIPT, Options(), check_python)
    assert codes(result) == [("POOL014", 6), ("POOL015", 6), ("POOL017", 7)]
    assert result.fixed_source is None
    assert all(f.fixable for f in result.findings)


def test_noqa_in_shell_suppresses_check_and_fix(check_python):
    text = "vllm serve M \\\n  --convert reward  # noqa: POOL017\n"
    result = scan_file("s.sh", text, FIX, check_python)
    assert result.findings == [] and result.fixed_source is None
    audited = scan_file("s.sh", text, Options(ignore_noqa=True), check_python)
    assert codes(audited) == [("POOL017", 2)]


def test_fixes_touching_the_same_token_converge_in_one_run(check_python):
    text = "vllm serve M --pooler-config '{\"normalize\": true}' --pooler-config.task embed\n"
    result = scan_file("s.sh", text, FIX_UNSAFE, check_python)
    assert result.fixed_source == 'vllm serve M --pooler-config \'{"use_activation": true, "task": "embed"}\'\n'
    assert {f.code for f in result.applied} == {"POOL015", "POOL018"}


def test_unsafe_fix_is_reported_but_not_applied_by_default(check_python):
    text = "vllm serve M --pooler-config '{\"pooling_type\": \"MEAN\"}' --pooler-config.task embed\n"
    result = scan_file("s.sh", text, FIX, check_python)
    assert result.fixed_source is None
    assert [f.fix.applicability.value for f in result.findings] == ["unsafe"]


# --- Dockerfile ----------------------------------------------------------------------------------

DOCKERFILE = """FROM python:3.11 AS build
RUN pip install vllm==0.10.2 && \\
    # warm the cache
    vllm serve M --convert reward --help

FROM vllm/vllm-openai:v0.12.0
ENV X=1
CMD ["--model", "BAAI/bge-m3", "--task", "embed", \\
     "--override-pooler-config", "{\\"softmax\\": false}"]
"""


def test_dockerfile_run_shell_form_and_cmd_exec_form_on_a_vllm_base_image(check_python):
    result = scan_file("Dockerfile", DOCKERFILE, FIX_UNSAFE, check_python)
    assert result.fixed_source == (
        DOCKERFILE.replace("--convert reward", "--convert embed")
        .replace('"--task", "embed"', '"--runner", "pooling", "--convert", "embed"')
        .replace("--override-pooler-config", "--pooler-config")
        .replace('\\"softmax\\"', '\\"use_activation\\"')
    )


def test_dockerfile_entrypoint_and_cmd_are_read_together(check_python):
    text = 'FROM ubuntu\nENTRYPOINT ["vllm", "serve"]\nCMD ["M", "--convert", "reward"]\n'
    result = scan_file("Dockerfile", text, FIX, check_python)
    assert result.fixed_source == text.replace('"reward"', '"embed"')


def test_dockerfile_shell_form_cmd_and_non_vllm_stages(check_python):
    text = "FROM vllm/vllm-openai\nCMD --model M --convert=reward\nFROM nginx\nCMD --convert reward\n"
    result = scan_file("Dockerfile", text, Options(), check_python)
    assert codes(result) == [("POOL017", 2)]


# --- YAML ----------------------------------------------------------------------------------------

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: embed   # the embedding server
          image: vllm/vllm-openai:v0.12.0
          args:
            - --model
            - BAAI/bge-m3
            - --task   # legacy
            - embed
            - --override-pooler-config
            - '{"normalize": false}'
        - name: sidecar
          image: nginx
          args: ["--task", "embed"]
"""


def test_kubernetes_args_of_a_vllm_image(check_python):
    result = scan_file("deploy.yaml", DEPLOYMENT, FIX_UNSAFE, check_python)
    expected = DEPLOYMENT.replace(
        "            - --task   # legacy\n",
        "            - --runner\n            - pooling\n            - --convert   # legacy\n",
    ).replace(
        '--override-pooler-config\n            - \'{"normalize"', '--pooler-config\n            - \'{"use_activation"'
    )
    assert result.fixed_source == expected
    yaml.safe_load(result.fixed_source)


COMPOSE = """services:
  embed:
    image: vllm/vllm-openai:latest
    command: --model M --convert reward --pooler-config.pooling-type MEAN
  classify:
    image: python:3.11
    command: ["vllm", "serve", "M", "--convert", "reward"]
  folded:
    image: python:3.11
    command: >
      vllm serve M
      --convert reward
  escaped:
    image: vllm/vllm-openai
    command: "--model M --convert \\"reward\\""
"""


def test_compose_string_list_and_folded_commands(check_python):
    result = scan_file("compose.yaml", COMPOSE, FIX, check_python)
    assert result.fixed_source == COMPOSE.replace("--convert reward", "--convert embed").replace(
        '"--convert", "reward"', '"--convert", "embed"'
    ).replace("pooling-type", "pooling_type")
    # An escaped string cannot be mapped back to the file: left alone rather than guessed at.
    assert '\\"reward\\"' in result.fixed_source


VLLM_CONFIG = """# served by: vllm serve --config this.yaml
model: BAAI/bge-m3
task: embed            # the old way
port: 8000
override-pooler-config:
  pooling_type: MEAN
  normalize: false     # keep this comment
"""


def test_vllm_config_yaml_keys_are_rewritten_line_by_line(check_python):
    result = scan_file("serve.yaml", VLLM_CONFIG, FIX_UNSAFE, check_python)
    assert result.fixed_source == (
        VLLM_CONFIG.replace("task: embed", "runner: pooling\nconvert: embed")
        .replace("override-pooler-config:", "pooler-config:")
        .replace("normalize: false", "use_activation: false")
    )


def test_vllm_config_json_string_value_and_target_gate(check_python):
    text = 'model: M\npooler_config: \'{"logit_bias": 1.5, "pooling_task": "embed"}\'\nconvert: reward\n'
    result = scan_file("c.yaml", text, FIX, check_python)
    assert result.fixed_source == text.replace("logit_bias", "logit_mean").replace("pooling_task", "task").replace(
        "reward", "embed"
    )
    old = scan_file("c.yaml", text, Options(fix=True, target_version=(0, 18)), check_python)
    # 0.18: logit_bias is still the spelling, `task` does not exist yet, --convert reward is gone.
    assert old.fixed_source == text.replace("reward", "embed")
    assert [f.fix for f in old.findings if f.code == "POOL015"] == [None]


def test_yaml_that_is_not_a_vllm_config_is_left_alone(check_python):
    workflow = "jobs:\n  build:\n    steps:\n      - task: embed\n        convert: reward\n"
    assert scan_file("ci.yml", workflow, FIX, check_python).findings == []


def test_vllm_config_mixed_mapping_and_dotted_keys_are_merged(check_python):
    def fixed(text: str) -> str | None:
        return scan_file("c.yaml", text, FIX_UNSAFE, check_python).fixed_source

    block = "model: M\npooler-config:\n  pooling_type: MEAN   # keep\npooler-config.task: embed\nport: 1\n"
    assert fixed(block) == "model: M\npooler-config:\n  pooling_type: MEAN   # keep\n  task: embed\nport: 1\n"
    flow = "model: M\npooler-config: {pooling_type: MEAN}\nport: 1\npooler_config.dimensions: 256"
    assert fixed(flow) == "model: M\npooler-config: {pooling_type: MEAN, dimensions: 256}\nport: 1"
    as_json = 'model: M\npooler-config: \'{"pooling_type": "MEAN"}\'\npooler-config.task: embed\n'
    assert fixed(as_json) == 'model: M\npooler-config: \'{"pooling_type": "MEAN", "task": "embed"}\'\n'
    unsafe_only = scan_file("c.yaml", block, FIX, check_python)
    assert unsafe_only.fixed_source is None and unsafe_only.findings[0].fix.applicability.value == "unsafe"


def test_vllm_config_mixed_forms_with_a_clash_are_report_only(check_python):
    text = "model: M\npooler-config:\n  task: classify\npooler-config.task: embed\n"
    [finding] = scan_file("c.yaml", text, FIX_UNSAFE, check_python).findings
    assert finding.code == "POOL018" and finding.fix is None and "by hand" in finding.unfixable_reason


def test_invalid_yaml_is_an_error_naming_the_file(check_python):
    result = scan_file("bad.yaml", "a: [1,\n", Options(), check_python)
    assert result.error.startswith("bad.yaml: not valid YAML")


@pytest.mark.parametrize(
    ("kind", "data", "affected"),
    [
        (FileKind.SHELL, b"echo hello\n", False),
        (FileKind.SHELL, b"vllm serve M\n", True),
        (FileKind.DOCKERFILE, b"FROM vllm/vllm-openai\n", True),
        (FileKind.YAML, b"model: M\ntask: embed\n", True),
        (FileKind.YAML, b"jobs:\n  build: {}\n", False),
        (FileKind.NOTEBOOK, b'{"cells": [{"source": ["from vllm import LLM"]}]}', True),
        (FileKind.MARKDOWN, b"# Title\n", False),
        (FileKind.PYTHON, b"x = 1\n", True),  # the engine's own pre-filter decides
    ],
)
def test_byte_pre_filter(kind, data, affected):
    assert may_be_affected(kind, data) is affected


def test_pre_filter_never_hides_a_finding_of_the_examples_here(check_python):
    for path, text in [("s.sh", SCRIPT), ("Dockerfile", DOCKERFILE), ("d.yaml", DEPLOYMENT), ("c.yaml", VLLM_CONFIG)]:
        assert scan_file(path, text, Options(), check_python).findings
        assert may_be_affected(file_kind(path, text.split("\n", 1)[0]), text.encode())
