"""PoolerConfig / PoolingParams field sets and validation per emulated release (spec §9.1, §9.2, M50-M55)."""

from __future__ import annotations

import logging
import warnings

import pytest

from vllm_pooling_migrate.shim import PoolerConfig, PoolingParams, ValidationError
from vllm_pooling_migrate.shim.messages import text


def test_task_field_arrives_in_019(target):
    target("0.18")
    with pytest.raises(ValidationError) as error:
        PoolerConfig(task="token_embed")
    assert str(error.value) == ("1 validation error for PoolerConfig\ntask\n  Unexpected keyword argument "
                                "[type=unexpected_keyword_argument, input_value='token_embed', input_type=str]")
    assert isinstance(error.value, ValueError)
    target("0.19")
    assert PoolerConfig(task="token_embed").task == "token_embed"


def test_task_values_are_a_literal():
    with pytest.raises(ValidationError) as error:
        PoolerConfig(task="encode")
    assert "Input should be 'embed', 'classify', 'token_embed', 'token_classify', 'plugin' or " \
           "'embed&token_classify' [type=literal_error, input_value='encode', input_type=str]" in str(error.value)


def test_score_task_value_is_mapped_in_warn_mode_and_a_literal_error_in_the_preview(target):
    with pytest.warns(Warning) as record:
        assert PoolerConfig(task="score").task == "classify"
    assert [(w.message.code, w.message.vllm_text, w.filename) for w in record] == [("POOL021", text("M17"), __file__)]
    target("0.21")
    with pytest.raises(ValidationError, match="literal_error, input_value='score'"):
        PoolerConfig(task="score")


@pytest.mark.parametrize("version", ["0.18", "0.19"])
def test_logit_bias_is_a_plain_field_before_020(target, version, recwarn):
    target(version)
    config = PoolerConfig(logit_bias=0.5)
    assert config.engine_overrides() == {"logit_mean": 0.5}
    assert not recwarn.list
    for field in ("logit_mean", "logit_sigma", "logit_scale"):  # all three arrived in 0.20 (spec §9.1)
        with pytest.raises(ValidationError, match=f"{field}\n  Unexpected keyword argument"):
            PoolerConfig(**{field: 0.5})


@pytest.mark.parametrize("version", ["0.20", "0.21"])
def test_logit_aliases_warn_on_every_construction(target, caplog, version):
    target(version)
    with caplog.at_level(logging.WARNING, logger="vllm.config.pooler"), pytest.warns(Warning) as record:
        for _ in range(2):
            config = PoolerConfig(logit_bias=0.5, logit_scale=4.0)
    assert (config.logit_mean, config.logit_sigma) == (0.5, 0.25)
    assert [r.msg for r in caplog.records] == [text("M50"), text("M51")] * 2
    assert [(w.message.code, w.lineno) for w in record] == [("POOL011", record[0].lineno)] * 4


@pytest.mark.parametrize("kwargs, message", [
    (dict(logit_bias=1.0, logit_mean=1.0), "M52"), (dict(logit_scale=1.0, logit_sigma=1.0), "M53"),
    (dict(logit_scale=0), "M54"), (dict(logit_sigma=0), "M55"),
    (dict(pooling_type="MEAN", seq_pooling_type="CLS"), "pooling-type-seq"),
    (dict(pooling_type="ALL", tok_pooling_type="STEP"), "pooling-type-tok"),
])
def test_construction_errors_carry_vllms_line(kwargs, message):
    with warnings.catch_warnings(), pytest.raises(ValidationError) as error:
        warnings.simplefilter("ignore")
        PoolerConfig(**kwargs)
    assert f"\n  Value error, {text(message)} [type=value_error," in str(error.value)


def test_pooling_type_goes_to_the_matching_specific_field():
    assert PoolerConfig(pooling_type="MEAN").engine_overrides() == {"seq_pooling_type": "MEAN"}
    assert PoolerConfig(pooling_type="STEP", step_tag_id=7).engine_overrides() == {"tok_pooling_type": "STEP",
                                                                                   "step_tag_id": 7}


@pytest.mark.parametrize("flag", ["normalize", "softmax", "activation"])
def test_old_activation_flags(flag, target, caplog):
    with caplog.at_level(logging.WARNING), pytest.warns(Warning) as record:
        config = PoolerConfig(**{flag: False})
        params = PoolingParams(**{flag: False})
    assert config.use_activation is False and params.use_activation is False
    assert {w.message.code for w in record} == {"POOL010"}
    assert [(r.name, r.msg) for r in caplog.records] == [
        ("vllm.config.pooler", f"`{flag}` is deprecated and will be removed in v0.15. Please use `use_activation` "
                               "instead."),
        ("vllm.pooling_params", f"`{flag}` is deprecated and will be removed in v0.15. Please use `use_activation` "
                                "instead.")]
    target("0.21")
    with pytest.raises(ValidationError, match=f"{flag}\n  Unexpected keyword argument"):
        PoolerConfig(**{flag: False})
    with pytest.raises(TypeError) as error:
        PoolingParams(**{flag: False})
    assert str(error.value) == f"Unexpected keyword argument '{flag}'"


def test_pooling_task_typo(target):
    with pytest.warns(Warning) as record:
        assert PoolerConfig(pooling_task="token_embed").task == "token_embed"
    assert [w.message.code for w in record] == ["POOL012"]
    target("0.18")  # no task field at all
    with pytest.raises(ValidationError, match="pooling_task\n  Unexpected keyword argument"):
        PoolerConfig(pooling_task="token_embed")


def test_unknown_fields_are_rejected_like_vllm():
    with pytest.raises(ValidationError) as error:
        PoolerConfig(pooling_typ="MEAN", colour=1)
    assert str(error.value).startswith("2 validation errors for PoolerConfig\npooling_typ\n")
    with pytest.raises(TypeError, match="^Unexpected keyword argument 'truncate_prompt_tokens'$"):
        PoolingParams(truncate_prompt_tokens=3)


def test_llm_takes_a_dict_pooler_config_and_merges_the_override(fake_llm):
    llm = fake_llm("embedding", pooler_config={"pooling_type": "MEAN"})
    assert llm.engine.load_kwargs["pooler_overrides"] == {"seq_pooling_type": "MEAN"}
    with pytest.warns(Warning):
        llm = fake_llm("embedding", pooler_config=PoolerConfig(dimensions=4, use_activation=False),
                       override_pooler_config=PoolerConfig(use_activation=True))
    assert llm.engine.load_kwargs["pooler_overrides"] == {"use_activation": True, "dimensions": 4}


def test_override_pooler_config_logs_on_vllms_model_config_logger(fake_llm, caplog):
    with caplog.at_level(logging.WARNING, logger="vllm.config.model"), pytest.warns(Warning) as record:
        fake_llm("embedding", override_pooler_config={"pooling_type": "CLS"})
    assert [r.msg for r in caplog.records] == [text("M61")]
    assert [(w.message.code, w.message.vllm_text) for w in record] == [("POOL003", text("M61"))]


@pytest.mark.parametrize("task, convert, hint", [
    ("embedding", "embed", "Please replace this option with `--convert embed` to continue using this model as a "
                           "pooling model."),
    ("classify", "classify", "Please replace this option with `--convert classify` to continue using this model "
                             "as a pooling model."),
    ("generate", "auto", "Please remove this option."),
])
def test_legacy_llm_task_argument(fake_llm, task, convert, hint):
    with pytest.warns(Warning) as record:
        llm = fake_llm("embedding", task=task)
    assert llm.engine.load_kwargs["convert"] == convert
    [warning] = record
    assert warning.message.vllm_text == f"{text('M60')} {hint}"


def test_unknown_engine_arguments(fake_llm):
    fake_llm("embedding", enforce_eager=True, gpu_memory_utilization=0.5)  # GPU tuning knobs: accepted
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        fake_llm("embedding", colour="blue")


def test_configs_compare_by_their_fields():
    assert PoolerConfig(pooling_type="MEAN") == PoolerConfig(pooling_type="MEAN")
    assert PoolerConfig(task="embed") != PoolerConfig(task="token_embed")
    assert repr(PoolingParams(dimensions=4)) == "PoolingParams(dimensions=4)"
    assert PoolingParams(dimensions=4) == PoolingParams(dimensions=4) != PoolingParams(dimensions=8)
