"""Data prompts and the plugin task per release (spec §4.1-§4.2): the shim has no IO-processor plugin."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.shim import PoolingParams
from vllm_pooling_migrate.shim.messages import render, text


@pytest.mark.parametrize("version, task, message", [
    ("0.18", "classify", "M08"),  # 0.18 has no verification: the data prompt takes the plugin path
    ("0.18", "plugin", "M08"),
    ("0.19", "classify", "M04"),  # 0.19 verifies the task first (§4.1), then takes the plugin path
    ("0.19", "plugin", "M08"),
])
def test_data_prompt_goes_to_the_plugin_path_before_0_20(fake_llm, target, version, task, message):
    target(version)
    with pytest.raises(ValueError) as error:
        fake_llm("embedding").encode({"data": 1}, pooling_task=task)
    assert str(error.value) == text(message)


@pytest.mark.parametrize("version", ["0.18", "0.19"])
def test_plugin_task_checks_the_params_task_first_before_0_20(fake_llm, target, version):
    target(version)
    llm = fake_llm("embedding")
    with pytest.raises(ValueError) as error:
        llm.encode("a b", PoolingParams(task="embed"), pooling_task="plugin")
    assert str(error.value) == render("M10", param_task_repr="'embed'", task_repr="'plugin'")
    with pytest.raises(ValueError) as error:
        llm.encode("a b", pooling_task="plugin")
    assert str(error.value) == render("M05e", task_repr="'plugin'", list_repr="['embed', 'token_embed']")


@pytest.mark.parametrize("version", ["0.20", "0.21"])
def test_from_0_20_data_needs_plugin_and_plugin_fails_in_verification(fake_llm, target, version):
    target(version)
    llm = fake_llm("embedding")
    with pytest.raises(ValueError) as error:
        llm.encode({"data": 1}, pooling_task="embed")
    assert str(error.value) == text("M09")
    with pytest.raises(ValueError) as error:
        llm.encode("a b", PoolingParams(task="embed"), pooling_task="plugin")
    assert str(error.value) == text("M08")


def test_pooler_config_score_task_logs_m17_in_warn_mode(target, caplog):
    import logging

    from vllm_pooling_migrate.shim import PoolerConfig

    target("0.20")
    with caplog.at_level(logging.WARNING, logger="vllm.pooling_params"), pytest.warns(Warning):
        assert PoolerConfig(task="score").task == "classify"
    assert [r.getMessage() for r in caplog.records if r.name == "vllm.pooling_params"] == [text("M17")]
