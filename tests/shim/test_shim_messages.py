"""The message catalogue against the expected texts kept beside this file, byte for byte.

``expected_messages.json`` (id -> exact text) was copied once from the spec's JSON string literals (spec §6, §8)
and checked by eye; it is the reference here, so these tests never depend on a checkout of ``../shared``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vllm_pooling_migrate.shim.messages import MESSAGES, old_flag_text, render, text

EXPECTED_FILE = Path(__file__).with_name("expected_messages.json")
EXPECTED: dict[str, str] = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "vllm-pooling-spec.md"
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def test_the_catalogue_has_exactly_the_expected_ids():
    assert sorted(MESSAGES) == sorted(EXPECTED)
    assert len(EXPECTED) == 41


@pytest.mark.parametrize("message_id", sorted(EXPECTED))
def test_text_is_the_expected_text_byte_for_byte(message_id):
    message = MESSAGES[message_id]
    assert message.id == message_id
    assert message.text.encode("utf-8") == EXPECTED[message_id].encode("utf-8")
    assert text(message_id) == EXPECTED[message_id]


def test_the_expected_texts_are_spec_literals():
    """A cheap cross-check of the data file itself, only where the spec is checked out next to the repository."""
    if not SPEC.is_file():
        pytest.skip(f"spec not found at {SPEC}")
    spec_literals = set()
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        for match in JSON_STRING.finditer(line):
            try:
                spec_literals.add(json.loads(match.group()))
            except json.JSONDecodeError:
                pass
    assert {mid: t for mid, t in EXPECTED.items() if t not in spec_literals} == {}


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


def test_render_without_fields_is_the_text_unchanged():
    assert render("M02b") == EXPECTED["M02b"]


def test_old_flag_texts_differ_only_in_the_name():
    expected_normalize = EXPECTED["M64"]
    assert old_flag_text("normalize") == expected_normalize
    assert old_flag_text("softmax") == \
        "`softmax` is deprecated and will be removed in v0.15. Please use `use_activation` instead."
    assert old_flag_text("activation") == \
        "`activation` is deprecated and will be removed in v0.15. Please use `use_activation` instead."
