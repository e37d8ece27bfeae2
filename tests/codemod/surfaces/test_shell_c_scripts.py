"""``sh -c '...'`` scripts: vLLM commands inside them are found and fixed in every file kind."""

from __future__ import annotations

import yaml

from vllm_pooling_migrate.codemod.argv.invocation import script_argument
from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True, unsafe_fixes=True)


def test_script_argument():
    assert script_argument(["/bin/bash", "-lc", "x"]) == 2
    assert script_argument(["env", "sh", "-ec", "x", "arg0"]) == 3
    assert script_argument(["bash", "script.sh"]) is None
    assert script_argument(["python", "-c", "x"]) is None


def test_shell_script_inside_single_and_double_quotes():
    text = (
        "bash -lc 'vllm serve M --convert reward --pooler-config.task embed --pooler-config {}'\n"
        'sh -c "vllm serve M --pooler-config.task embed --pooler-config {} && echo"\n'
        'sh -c "vllm serve M --override-pooler-config \\"{}\\""\n'  # escaped: left alone
    )
    result = scan_file("s.sh", text, FIX, None)
    assert result.fixed_source.splitlines() == [
        "bash -lc 'vllm serve M --convert embed --pooler-config '\\''{\"task\":\"embed\"}'\\'''",
        'sh -c "vllm serve M --pooler-config \'{\\"task\\":\\"embed\\"}\' && echo"',
        'sh -c "vllm serve M --override-pooler-config \\"{}\\""',
    ]
    assert scan_file("s.sh", result.fixed_source, FIX, None).applied == []


def test_dockerfile_run_and_cmd_scripts():
    text = (
        "FROM python\n"
        "RUN bash -c 'vllm serve M --convert reward --help'\n"
        'CMD ["/bin/bash", "-lc", "vllm serve M --pooler-config.task embed --pooler-config {}"]\n'
    )
    result = scan_file("Dockerfile", text, FIX, None)
    assert result.fixed_source == (
        "FROM python\n"
        "RUN bash -c 'vllm serve M --convert embed --help'\n"
        'CMD ["/bin/bash", "-lc", "vllm serve M --pooler-config \'{\\"task\\":\\"embed\\"}\'"]\n'
    )


def test_yaml_scripts_as_list_items_and_inside_string_commands():
    text = """spec:
  containers:
    - name: a
      command: ["/bin/sh", "-c"]
      args:
        - |
          pip install x
          vllm serve M \\
            --convert reward
services:
  c:
    command: sh -c 'vllm serve M --convert reward'
  d:
    command: "bash -c 'vllm serve M --pooler-config.task embed --pooler-config {}'"
"""
    result = scan_file("k.yaml", text, FIX, None)
    fixed = result.fixed_source
    assert fixed.count("--convert embed") == 2 and "reward" not in fixed
    documents = yaml.safe_load(fixed)
    assert documents["services"]["d"]["command"] == (
        "bash -c 'vllm serve M --pooler-config '\\''{\"task\":\"embed\"}'\\'''"
    )
