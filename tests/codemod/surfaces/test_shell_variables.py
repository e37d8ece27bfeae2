"""``--pooler-config`` JSON held in a shell variable: read from the one assignment, fixed there."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)


def _scan(text: str, path: str = "serve.sh", options: Options = FIX):
    result = scan_file(path, text, options, None)
    assert result.error is None
    return result


def test_legacy_key_in_a_variable_is_fixed_where_it_is_assigned():
    text = "#!/bin/bash\nCFG='{\"pooling_type\": \"MEAN\", \"normalize\": true}'\nvllm serve M --pooler-config \"$CFG\"\n"
    result = _scan(text)
    [finding] = result.findings
    assert (finding.code, finding.location.row, finding.end_location.row) == ("POOL015", 3, 3)
    assert result.fixed_source == text.replace('"normalize"', '"use_activation"')


def test_exported_variable_in_double_quotes_and_braces():
    text = 'export OVR="{\\"softmax\\": false}"\nvllm serve M \\\n  --override-pooler-config "${OVR}"\n'
    result = _scan(text)
    assert sorted(f.code for f in result.findings) == ["POOL014", "POOL015"]
    assert result.fixed_source == (
        'export OVR="{\\"use_activation\\": false}"\nvllm serve M \\\n  --pooler-config "${OVR}"\n'
    )


def test_hf_overrides_in_a_variable_reach_the_server_rule():
    text = "OVERRIDES='{\"architectures\": [\"BgeM3EmbeddingModel\"]}'\nvllm serve BAAI/bge-m3 --hf-overrides \"$OVERRIDES\"\n"
    assert [f.code for f in _scan(text, options=Options()).findings] == ["POOL019"]


def test_a_noqa_on_the_command_applies():
    text = "CFG='{\"normalize\": true}'\nvllm serve M --pooler-config \"$CFG\"  # noqa: POOL015\n"
    assert _scan(text).findings == []


def test_markdown_shell_block():
    text = "# Serve\n\n```bash\nCFG='{\"softmax\": true}'\nvllm serve M --pooler-config \"$CFG\"\n```\n"
    result = _scan(text, "README.md")
    assert [f.code for f in result.findings] == ["POOL015"]
    assert '"use_activation": true' in result.fixed_source


def test_look_alikes_are_left_alone():
    clean = "CFG='{\"use_activation\": true}'\nvllm serve M --pooler-config \"$CFG\"\n"
    assert _scan(clean).findings == []
    twice = (
        "if [ -n \"$NORM\" ]; then\n  CFG='{\"normalize\": true}'\nelse\n  CFG='{\"use_activation\": false}'\nfi\n"
        "vllm serve M --pooler-config \"$CFG\"\n"
    )
    assert _scan(twice).findings == []  # assigned twice: which one reaches the server is decided at run time
    literal = "CFG='{\"normalize\": true}'\nvllm serve M --pooler-config '$CFG'\n"
    assert _scan(literal).findings == []  # single quotes: the text $CFG itself
    later = "vllm serve M --pooler-config \"$CFG\"\nCFG='{\"normalize\": true}'\n"
    assert _scan(later).findings == []  # assigned after the command
    prefix = "CFG='{\"normalize\": true}' other-tool\nvllm serve M --pooler-config \"$CFG\"\n"
    assert _scan(prefix).findings == []  # a prefix assignment is for that one command
    shared = "TASK=embed\necho $TASK\nvllm serve M --task \"$TASK\"\n"
    [task] = _scan(shared).findings  # not a JSON flag: reported as written, the assignment is not touched
    assert task.code == "POOL013" and task.fix is None
