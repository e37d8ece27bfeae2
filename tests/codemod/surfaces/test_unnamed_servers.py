"""vLLM's arguments where the command does not name vLLM, and JSON values with shell expansions in them.

A model catalog's ``backend: vllm`` entry, a launcher whose program is a variable, ``docker run`` of another image:
read as vLLM's when a flag only vLLM takes holds a pooling value (``--task generate`` alone is no evidence). A
``--pooler-config`` JSON with ``$VAR`` values is read with each expansion taken for one opaque value, and fixed
only where the edit is provable.
"""

from __future__ import annotations

import pytest
import yaml

from vllm_pooling_migrate.codemod.formats import FileKind, may_be_affected, scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)


def _scan(path: str, text: str, options: Options = FIX):
    result = scan_file(path, text, options, None)
    assert result.error is None
    return result


CATALOG = """\
- name: Qwen3 Embedding
  templates:
    - source: huggingface
      huggingface_repo_id: Qwen/Qwen3-Embedding-0.6B
      backend: vLLM
      backend_parameters:
        - --max-model-len=8192
        - --task=embed
    - source: huggingface
      huggingface_repo_id: Qwen/Qwen3-Embedding-0.6B-GGUF
      backend: llama-box
      backend_parameters:
        - --task=embed
- name: Qwen3 Reranker
  templates:
    - backend: vllm
      backend_version: 0.9.2
      backend_parameters: ["--task=score"]
"""


def test_catalog_entries_of_the_vllm_backend_are_vllms_arguments():
    result = _scan("assets/model-catalog.yaml", CATALOG)
    assert [(f.code, f.location.row, f.fix is not None) for f in result.findings] == [
        ("POOL013", 8, True),
        ("POOL013", 18, False),  # pinned to 0.9.2, which has no --runner yet
    ]
    assert "this entry's backend_version is 0.9.2" in result.findings[1].message
    fixed = result.fixed_source
    assert fixed is not None
    assert "        - --runner=pooling\n        - --convert=embed\n" in fixed
    assert fixed.count("--task=embed") == 1  # the llama-box entry is another program's
    yaml.safe_load(fixed)


def test_catalog_look_alikes():
    other = CATALOG.replace("backend: vLLM", "backend: SGLang").replace("backend: vllm", "backend: MindIE")
    assert _scan("catalog.yaml", other).findings == []
    current = "- backend: vllm\n  backend_parameters:\n    - --runner=pooling\n    - --convert=embed\n"
    assert _scan("catalog.yaml", current).findings == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"$SERVER" serve BAAI/bge-base-en-v1.5 --task embed\n', "--runner pooling --convert embed"),
        ("docker run --rm -p 8000:8000 registry.local/serving:1.2 --model M --task=classify\n",
         "--runner=pooling --convert=classify"),
        ("${SERVER_BIN} serve M --override-pooler-config '{\"pooling_type\": \"CLS\"}'\n", "--pooler-config"),
    ],
)
def test_a_vllm_only_flag_makes_an_unnamed_command_vllms(text: str, expected: str):
    script = "#!/bin/bash\n" + text
    assert may_be_affected(FileKind.SHELL, script.encode())
    result = _scan("serve.sh", script)
    [finding] = result.findings
    assert expected in (result.fixed_source or "")


@pytest.mark.parametrize(
    "text",
    [
        "run-eval --task generate --limit 10\n",  # another tool's --task
        "docker run trainer:1 --task generate\n",  # not a pooling value
        "grep --task embed notes.txt\n",  # a program that is not a server
        "python train.py --task classify\n",
    ],
)
def test_other_tools_task_flags_are_left_alone(text: str):
    assert _scan("run.sh", "#!/bin/bash\n" + text).findings == []


def test_the_shell_prefilter_still_wants_evidence():
    assert not may_be_affected(FileKind.SHELL, b"#!/bin/sh\nrun-eval --task generate\n")
    assert not may_be_affected(FileKind.DOCKERFILE, b"FROM python\nCMD [\"tool\", \"--task\", \"summarize\"]\n")
    assert may_be_affected(FileKind.DOCKERFILE, b"FROM x\nCMD [\"--pooler-config\", \"{}\"]\n")


EXPANDED = (
    'CFG="{\\"pooling_type\\": \\"$POOLING\\", \\"normalize\\": true, \\"max_embed_len\\": ${MAX_LEN}}"\n'
    'vllm serve "$MODEL" --pooler-config "$CFG"\n'
)


def test_json_with_expansions_is_read_and_the_key_renamed_where_it_is_written():
    result = _scan("service.sh", EXPANDED)
    [finding] = result.findings
    assert (finding.code, finding.location.row) == ("POOL015", 2)
    assert result.fixed_source == EXPANDED.replace('\\"normalize\\"', '\\"use_activation\\"')


def test_json_with_expansions_inline():
    text = 'vllm serve M --pooler-config "{\\"softmax\\": false, \\"max_embed_len\\": $LEN}"\n'
    result = _scan("serve.sh", text)
    assert result.fixed_source == text.replace("softmax", "use_activation")


@pytest.mark.parametrize(
    "other_use",
    ['echo "config: $CFG"', "LEN=$(echo $CFG | jq .max_embed_len)", 'OTHER="${CFG:-{}}"', "curl -d ${CFG} host"],
)
def test_a_variable_used_elsewhere_too_is_reported_without_a_fix(other_use: str):
    text = EXPANDED.replace("vllm serve", other_use + "\nvllm serve")
    result = _scan("service.sh", text)
    [finding] = result.findings
    assert finding.fix is None and "`$CFG` is used elsewhere" in (finding.unfixable_reason or "")
    assert result.fixed_source is None


def test_a_literal_mention_of_the_variable_is_no_use():
    text = EXPANDED.replace("vllm serve", "echo 'set $CFG to change the pooler'\nvllm serve")
    assert _scan("service.sh", text).fixed_source == text.replace('\\"normalize\\"', '\\"use_activation\\"')


def test_a_rewrite_of_a_value_with_expansions_is_refused():
    # Merging the dotted form into the JSON would rewrite the whole value and escape `$LEN`: report only.
    text = 'vllm serve M --pooler-config "{\\"max_embed_len\\": \\"$LEN\\"}" --pooler-config.task embed\n'
    result = _scan("serve.sh", text, Options(fix=True, unsafe_fixes=True))
    assert result.findings and all(f.fix is None for f in result.findings)
    assert result.fixed_source is None


def test_expansion_look_alikes():
    current = EXPANDED.replace("normalize", "use_activation")
    assert _scan("service.sh", current).findings == []
    as_a_key = 'vllm serve M --pooler-config "{\\"$KEY\\": true, ${MORE}}"\n'
    assert _scan("serve.sh", as_a_key).findings == []  # ${MORE} stands for items, not a value: nothing concluded
    quoted = "vllm serve M --pooler-config '{\"use_activation\": true, \"x\": \"$NOT_EXPANDED\"}'\n"
    assert _scan("serve.sh", quoted).findings == []


def test_expansions_in_a_dockerfile_and_a_compose_command():
    dockerfile = (
        "FROM vllm/vllm-openai:v0.12.0\n"
        'ENTRYPOINT vllm serve M --pooler-config "{\\"normalize\\": true, \\"max_embed_len\\": ${MAX_LEN}}"\n'
    )
    result = _scan("Dockerfile", dockerfile)
    assert [f.code for f in result.findings] == ["POOL015"]
    assert result.fixed_source == dockerfile.replace("normalize", "use_activation")
    compose = (
        "services:\n  embed:\n    image: vllm/vllm-openai:v0.12.0\n"
        "    command: 'vllm serve M --pooler-config \"{\\\"softmax\\\": true, \\\"n\\\": $N}\"'\n"
    )
    result = _scan("compose.yaml", compose)
    assert [f.code for f in result.findings] == ["POOL015"]
    assert result.fixed_source == compose.replace("softmax", "use_activation")
