"""The message catalogue against the spec's table, byte for byte (spec §6, §8: texts are JSON string literals)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vllm_pooling_migrate.shim.messages import MESSAGES, old_flag_text, render, text

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "vllm-pooling-spec.md"
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# A definition starts a line: "**M06**: ...", a table row "| M20 | ...", or a §8 row "| **M61** ...".
ENTRY_START = re.compile(r"^(?:\*\*(M\d+[a-z]?)\*\*:|\| (M\d+[a-z]?) \||\| \*\*(M\d+[a-z]?)\*\* )", re.MULTILINE)


def literals(section: str) -> set[str]:
    """Every JSON string literal in the text, line by line (no literal spans lines)."""
    found = set()
    for line in section.splitlines():
        for match in JSON_STRING.finditer(line):
            try:
                found.add(json.loads(match.group()))
            except json.JSONDecodeError:
                pass
    return found


@pytest.fixture(scope="module")
def spec_text() -> str:
    if not SPEC.is_file():
        pytest.skip(f"spec not found at {SPEC}")
    return SPEC.read_text(encoding="utf-8")


def spec_entry(spec: str, message_id: str) -> str:
    """The spec text of one message id: from its marker to the next message marker or heading."""
    starts = [m for m in ENTRY_START.finditer(spec) if message_id in m.groups()]
    assert starts, f"{message_id} is not defined in the spec"
    start = starts[0].start()
    following = [m.start() for m in ENTRY_START.finditer(spec, start + 1)] + [spec.find("\n#", start), len(spec)]
    return spec[start:min(pos for pos in following if pos > start)]


@pytest.mark.parametrize("message", MESSAGES.values(), ids=lambda m: m.id)
def test_text_is_the_spec_literal_byte_for_byte(spec_text, message):
    where = spec_entry(spec_text, message.spec_ref) if message.spec_ref else spec_text
    assert message.text in literals(where)


def test_render_fills_the_spec_placeholders():
    assert render("M05", task_repr=repr("score"), tuple_repr=repr(("embed", "token_embed"))) == \
        "Unsupported task: 'score' Supported tasks: ('embed', 'token_embed')"
    assert render("M07", task="token_embed") == "Try switching the model's pooling_task via " \
        "`PoolerConfig(task=\"token_embed\")`"
    assert render("M10", param_task_repr="'embed'", task_repr="'token_embed'") == \
        "You cannot overwrite param.task='embed' with pooling_task='token_embed'!"
    assert render("M19", task_repr="'classify'", valid_list=["use_activation"], invalid_list=["dimensions"]) == \
        "Task 'classify' only supports ['use_activation'] parameters, does not support ['dimensions'] parameters"
    assert text("M06") % "token_embed" == "Pooling multitask support is deprecated and will be removed in v0.20. " \
        "When the default pooling task is not what you want, you need to manually specify it via " \
        "PoolerConfig(task=\"token_embed\"). "


def test_old_flag_texts_differ_only_in_the_name():
    assert old_flag_text("softmax") == text("M64").replace("normalize", "softmax")
    assert old_flag_text("normalize") == text("M64")
