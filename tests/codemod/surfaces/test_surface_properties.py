"""Property tests: the non-Python scanners report only locations inside the text, deterministically and without\nerrors, and fixing twice changes nothing."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vllm_pooling_migrate.codemod.argv.shell_lexer import split_commands
from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX_ALL = Options(fix=True, unsafe_fixes=True)

FLAGS = [
    "--task",
    "--task=embed",
    "--convert",
    "--runner",
    "--override-pooler-config",
    "--override_pooler_config",
    "--pooler-config",
    "--pooler-config.task",
    "--pooler-config.pooling-type",
    "--pooler_config.dimensions",
    "--hf-overrides",
    "--port",
]
VALUES = [
    "embed",
    "embedding",
    "classify",
    "reward",
    "score",
    "MEAN",
    "8000",
    "'{\"normalize\": false}'",
    '\'{"pooling_task": "embed", "logit_bias": 1}\'',
    '"{\\"softmax\\": true}"',
    '\'{"architectures": ["BgeM3EmbeddingModel"]}\'',
    "'{}'",
    "'not json'",
]
SEPARATORS = [" ", " \\\n    ", "  "]

words = st.lists(st.sampled_from(FLAGS + VALUES), min_size=0, max_size=10)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words, st.lists(st.sampled_from(SEPARATORS), min_size=10, max_size=10))
def test_shell_fixes_are_stable_and_keep_the_command_whole(args, separators):
    text = "vllm serve M" + "".join(sep + word for sep, word in zip(separators, args)) + "\n"
    first = scan_file("s.sh", text, FIX_ALL, None)
    fixed = first.fixed_source or text
    assert len(split_commands(fixed)) == 1
    second = scan_file("s.sh", fixed, FIX_ALL, None)
    assert second.fixed_source is None and second.applied == []


NOISE = st.text(alphabet=st.sampled_from(list("vlm serv-_=.{}[]\"'\\\n#;&|$()`tsk")), max_size=12)
CHECK_ONLY = Options()


def _inside(text: str, row: int, column: int) -> bool:
    """A 1-based (row, column) that points into ``text`` or just past the end of one of its lines."""
    lines = text.split("\n")
    return 1 <= row <= len(lines) and 1 <= column <= len(lines[row - 1]) + 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(FLAGS + VALUES), NOISE), max_size=12),
    st.sampled_from([" ", " \\\n    ", "\n", "; ", " | ", " && "]),
)
def test_shell_scanner_reports_inside_the_text_and_is_deterministic(pieces, separator):
    text = "vllm serve M " + separator.join(pieces) + "\n"
    for options in (CHECK_ONLY, FIX_ALL):
        result = scan_file("s.sh", text, options, None)
        assert result.error is None, (text, result.error)
        for finding in result.findings:
            assert finding.path == "s.sh" and finding.code.startswith("POOL"), finding
            assert _inside(text, finding.location.row, finding.location.column), (text, finding)
            assert _inside(text, finding.end_location.row, finding.end_location.column), (text, finding)
            assert finding.location <= finding.end_location, finding
            for edit in finding.fix.edits if finding.fix else ():
                assert _inside(text, edit.location.row, edit.location.column), (text, edit)
                assert _inside(text, edit.end_location.row, edit.end_location.column), (text, edit)
                assert edit.location <= edit.end_location, edit
        assert scan_file("s.sh", text, options, None) == result  # same input, same answer
        if result.fixed_source is not None:
            assert scan_file("s.sh", result.fixed_source, options, None).error is None


@settings(max_examples=150, deadline=None)
@given(words)
def test_yaml_and_dockerfile_fixes_are_stable(args):
    listed = json.dumps(["vllm", "serve", "M", *[a.strip("'") for a in args]])
    for path, text in (
        ("k.yaml", f"spec:\n  command: {listed}\n"),
        ("Dockerfile", f"FROM x\nCMD {listed}\n"),
    ):
        first = scan_file(path, text, FIX_ALL, None)
        fixed = first.fixed_source or text
        second = scan_file(path, fixed, FIX_ALL, None)
        assert second.error is None and second.fixed_source is None, (text, fixed)


CONFIG_LINES = [
    "task: embed",
    "task: score",
    "runner: pooling",
    "convert: reward",
    "convert: embed",
    "override-pooler-config:\n  normalize: false",
    "pooler-config: {softmax: true}",
    "pooler_config: '{\"logit_bias\": 1.0}'",
    "pooler-config.pooling-type: MEAN",
    "pooler-config.task: embed",
    "hf-overrides: {architectures: [BgeM3EmbeddingModel]}",
    "port: 8000  # comment",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(CONFIG_LINES), unique=True, max_size=6))
def test_vllm_config_fixes_are_stable_and_keep_yaml_valid(lines):
    text = "model: M\n" + "".join(line + "\n" for line in lines)
    first = scan_file("c.yaml", text, FIX_ALL, None)
    assert first.error is None
    fixed = first.fixed_source or text
    assert isinstance(yaml.safe_load(fixed), dict)
    second = scan_file("c.yaml", fixed, FIX_ALL, None)
    assert second.fixed_source is None, (text, fixed)
