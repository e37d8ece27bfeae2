"""The argv scanner's parts: shell lexer, invocation detection, flag parsing, quoting, JSON keys."""

from __future__ import annotations

import json
import shlex

import pytest

from vllm_pooling_migrate.codemod.argv.flags import parse_dotted_value, parse_flags
from vllm_pooling_migrate.codemod.argv.invocation import is_vllm_image, pooling_args_start, vllm_args_start
from vllm_pooling_migrate.codemod.argv.json_object import json_object, top_level_key_spans, with_opaque_values
from vllm_pooling_migrate.codemod.argv.pooler_keys import legacy_key_problems
from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words, render_string_list, render_within, shell_word, string_literal
from vllm_pooling_migrate.codemod.argv.shell_lexer import split_commands
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, ValueSource
from vllm_pooling_migrate.codemod.finding import Location
from vllm_pooling_migrate.codemod.formats.masking import keep_only


def words(text: str) -> list[list[str]]:
    return [[w.value for w in command] for command in split_commands(text)]


@pytest.mark.parametrize(
    "line",
    [
        "vllm serve M --pooler-config '{\"a\": 1}'",
        'echo "a \\"b\\" \\\\ c" d\\ e',
        "x=\"mixed\"'quotes'bare",
        "a '' \"\" b",
    ],
)
def test_lexer_agrees_with_shlex_on_plain_commands(line):
    assert words(line) == [shlex.split(line)]


def test_lexer_follows_bash_where_shlex_does_not():
    assert words('echo "\\$HOME \\`x\\`"') == [["echo", "$HOME `x`"]]


def test_lexer_splits_commands_and_joins_continuations():
    text = "a 1 \\\n  2 && b; c | d\n# e f\ng # h\n(i)"
    assert words(text) == [["a", "1", "2"], ["b"], ["c"], ["d"], ["g"], ["i"]]


def test_lexer_keeps_command_substitution_in_one_word_and_offsets_of_the_source():
    text = 'run $(cat "f g") --x="a b"'
    commands = split_commands(text)
    assert [w.value for w in commands[0]] == ["run", "$(cat f g)", "--x=a b"]
    last = commands[0][-1]
    assert text[last.start : last.end] == '--x="a b"' and last.quote == ""
    assert split_commands("'q' x")[0][0].quote == "'"


def test_lexer_honours_the_range_it_is_given():
    text = "ignored --task embed\nvllm serve M\n"
    assert [[w.value for w in c] for c in split_commands(text, start=21)] == [["vllm", "serve", "M"]]


@pytest.mark.parametrize(
    ("values", "start"),
    [
        (["vllm", "serve", "M"], 2),
        (["/opt/venv/bin/vllm", "serve"], 2),
        (["env", "A=1", "nohup", "vllm", "serve", "M"], 5),
        (["python3", "-u", "-m", "vllm.entrypoints.openai.api_server", "--model", "M"], 4),
        (["docker", "run", "--gpus", "all", "-p", "8000:8000", "vllm/vllm-openai:v0.11.0", "--model", "M"], 7),
        (["podman", "run", "ghcr.io/mirror/vllm/vllm-openai@sha256:abc", "--model", "M"], 3),
        (["docker", "run", "nginx", "--task", "embed"], None),
        (["vllm", "bench", "serve"], None),
        (["vllm", None, "serve"], None),
        ([], None),
    ],
)
def test_vllm_args_start(values, start):
    assert vllm_args_start(values) == start


def test_vllm_image_names():
    assert is_vllm_image("vllm/vllm-openai") and is_vllm_image("registry.local:5000/vllm/vllm-openai:latest")
    assert not is_vllm_image("vllm/vllm-openai-fork") and not is_vllm_image(None)


def token(value: str | None, quote: str = "") -> ArgToken:
    return ArgToken(value, Location(1, 1), Location(1, 1), quote)


def test_flags_normalise_before_the_first_dot_only():
    tokens = [token(v) for v in ["M", "--pooler_config.pooling-type", "MEAN", "--task=embed", "--trust-remote-code"]]
    flags = parse_flags(tokens, 0)
    assert [(f.name, f.key, f.value, f.inline) for f in flags] == [
        ("pooler-config", "pooling-type", "MEAN", False),
        ("task", None, "embed", True),
        ("trust-remote-code", None, None, False),
    ]
    assert parse_flags([token("--a"), token(None)], 0)[0].value is None  # an unknown value is not matched


def test_dotted_values_are_json_else_strings():
    assert [parse_dotted_value(v) for v in ["256", "false", "embed", '{"a": 1}']] == [256, False, "embed", {"a": 1}]


def test_shell_words_keep_the_quote_style_when_they_can():
    assert shell_word("embed") == "embed"
    assert shell_word('{"a": 1}') == "'{\"a\": 1}'"
    assert shell_word('{"a": 1}', '"') == '"{\\"a\\": 1}"'
    assert shell_word("it's", "'") == "'it'\"'\"'s'"
    assert words(shell_word("$HOME `x` \\", '"')) == [["$HOME `x` \\"]]
    assert render_shell_words(["--runner", "pooling"], token("--task", "'")) == "'--runner' 'pooling'"


def test_string_lists_for_python_and_json():
    assert render_string_list(["a", 'b"c'], token("x", '"')) == '"a", "b\\"c"'
    assert render_string_list(["it's"], token("x", "'")) == "'it\\'s'"
    assert json.loads(f"[{render_string_list(['é', 'x'], token('x'))}]") == ["é", "x"]
    assert eval(string_literal("a\\b\n'", "'")) == "a\\b\n'"


def test_top_level_key_spans_skip_nested_keys_and_strings():
    text = '{"a": {"normalize": 1}, "b": "normalize", "normalize" : [1, {"c": 2}]}'
    spans = top_level_key_spans(text)
    assert [key for key, _, _ in spans] == ["a", "b", "normalize"]
    for key, start, end in spans:
        assert json.loads(text[start:end]) == key
    assert top_level_key_spans("[1]") is None and top_level_key_spans("{bad") is None


def test_legacy_key_problems_gate_on_target_and_conflicts():
    assert [(p.key, p.fixable) for p in legacy_key_problems(["normalize", "pooling_type"], (0, 21))] == [
        ("normalize", True)
    ]
    assert legacy_key_problems(["normalize"], (0, 11)) == []  # still the spelling before 0.11.2
    assert legacy_key_problems(["logit_bias"], (0, 19)) == []
    [early] = legacy_key_problems(["pooling_task"], (0, 18))
    assert not early.fixable and "0.19" in early.reason
    clash = legacy_key_problems(["softmax", "activation"], (0, 21))
    assert [p.fixable for p in clash] == [False, False] and "both set `use_activation`" in clash[0].reason
    [scale] = legacy_key_problems(["logit_scale"], (0, 20))
    assert scale.replacement == "logit_sigma" and not scale.fixable


def test_keep_only_preserves_offsets_and_newlines():
    assert keep_only("ab\ncd\nef", [(1, 2), (6, 8)]) == " b\n  \nef"


def test_render_within_escapes_for_the_enclosing_string():
    like = token("--x")
    inner = render_within(render_shell_words, "python", "'")
    assert inner(['{"a": 1}'], like) == "\\'{\"a\": 1}\\'"
    assert eval("'" + inner(["it's"], like) + "'") == shell_word("it's")
    assert render_within(render_shell_words, "json", '"')(["a b"], like) == "'a b'"
    assert render_within(render_shell_words, "shell", '"')(['{"a": 1}'], like) == "'{\\\"a\\\": 1}'"
    assert render_within(render_shell_words, "plain", "")(["x"], like) == "x"


def test_lexer_marks_the_expansions_the_shell_performs():
    text = "X=\"{\\\"a\\\": \\\"$P\\\", \\\"n\\\": ${V:-1}}\" '$Z' \\$Y $(date) `id` $1"
    [command] = split_commands(text)
    found = [[w.value[s:e] for s, e in w.expansions] for w in command]
    assert found == [["$P", "${V:-1}"], [], [], ["$(date)"], ["`id`"], ["$1"]]
    [assignment, *_] = command
    # Each character written as itself is located; escaped quotes are not.
    assert [text[p] if p >= 0 else None for p in assignment.positions[:5]] == ["X", "=", "{", None, "a"]
    assert split_commands("plain 'words' only")[0][1].positions == ()  # no expansions: no positions kept


def test_value_source_spans_only_characters_written_as_themselves():
    source = ValueSource((Location(1, 5), Location(1, 6), None, Location(1, 9), Location(2, 1)), ((3, 4),))
    assert source.span(0, 2) == (Location(1, 5), Location(1, 7))
    assert source.span(1, 3) is None  # an escaped character
    assert source.span(3, 4) is None  # an expansion
    assert source.span(3, 5) is None  # two rows
    assert source.shifted(3).expansions == ((0, 1),)


def test_opaque_values_keep_offsets_and_strings():
    text = '{"p": "$P", "n": ${N}, "m": $M}'
    spans = [(7, 9), (17, 21), (28, 30)]
    opaque = with_opaque_values(text, spans)
    assert len(opaque) == len(text) and json.loads(opaque) == {"p": "$P", "n": 0, "m": 0}
    assert json_object(with_opaque_values('{"a": 1, ${MORE}}', [(9, 16)])) is None


@pytest.mark.parametrize(
    ("values", "start"),
    [
        (["--hf-overrides", '{"architectures": ["BgeM3EmbeddingModel"]}'], 0),
        (["--hf-overrides", '{"architectures": ["XLMRobertaModel"]}'], None),
        (["--task", "generate"], None),
        ([None, "serve", "M", "--task=embed"], 2),
        (["grep", "--task", "embed"], None),
    ],
)
def test_pooling_args_start(values, start):
    assert pooling_args_start(values) == start
