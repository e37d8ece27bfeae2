"""Architecture rules (spec §3.2, §3.4) and pooler-setting resolution (spec §10.1)."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.runtime.loading import read_st_folder
from vllm_pooling_migrate.runtime.model_info import default_pooling_types, runner_and_convert, supported_tasks
from vllm_pooling_migrate.runtime.settings import PoolerSettings, StPoolingDefaults, resolve_settings


@pytest.mark.parametrize(
    ("architecture", "model_type", "st_pooling", "convert", "expected"),
    [
        ("BertModel", "bert", False, "auto", ("pooling", "embed", ("embed", "token_embed"))),
        ("XLMRobertaModel", "xlm-roberta", False, "auto", ("pooling", "embed", ("embed", "token_embed"))),
        (
            "BertForSequenceClassification",
            "bert",
            False,
            "auto",
            ("pooling", "classify", ("classify", "token_classify")),
        ),
        ("BertForTokenClassification", "bert", False, "auto", ("pooling", "classify", ("token_classify",))),
        ("Qwen2ForCausalLM", "qwen2", False, "auto", ("generate", "none", ())),
        ("Qwen2ForCausalLM", "qwen2", True, "auto", ("pooling", "embed", ("embed", "token_embed"))),
        ("LlamaForCausalLM", "llama", False, "classify", ("pooling", "classify", ("classify", "token_classify"))),
        ("Qwen3Model", "qwen3", False, "classify", ("pooling", "classify", ("classify", "token_classify"))),
        ("GteEmbeddingModel", "new", False, "auto", ("pooling", "embed", ("embed", "token_embed"))),
        # An explicit convert is a no-op on natively implemented encoders.
        ("BertModel", "bert", False, "classify", ("pooling", "embed", ("embed", "token_embed"))),
    ],
)
def test_runner_convert_and_supported_tasks(architecture, model_type, st_pooling, convert, expected):
    runner, model_convert = runner_and_convert((architecture,), model_type, has_st_pooling=st_pooling, convert=convert)
    assert (runner, model_convert, supported_tasks((architecture,), runner, model_convert)) == expected


def test_default_pooling_types():
    assert default_pooling_types("bert") == ("CLS", "ALL")
    assert default_pooling_types("xlm-roberta") == ("CLS", "ALL")
    assert default_pooling_types("qwen2") == ("LAST", "ALL")


def test_settings_priority_user_then_st_then_model():
    st = StPoolingDefaults(seq_pooling_type="MEAN", use_activation=False)
    assert resolve_settings(None, st, ("CLS", "ALL")) == PoolerSettings("MEAN", "ALL", use_activation=False)
    user = {"pooling_type": "last", "use_activation": True, "dimensions": 8, "returned_token_ids": [1]}
    assert resolve_settings(user, st, ("CLS", "ALL")) == PoolerSettings(
        "LAST", "ALL", use_activation=True, dimensions=8, returned_token_ids=(1,)
    )
    assert resolve_settings({"pooling_type": "STEP"}, None, ("CLS", "ALL")).tok_pooling_type == "STEP"
    assert resolve_settings(None, None, ("LAST", "ALL")) == PoolerSettings("LAST", "ALL")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pooling_type": "CLS", "seq_pooling_type": "MEAN"}, "Cannot set both `pooling_type` and `seq_pooling_type`"),
        ({"pooling_type": "ALL", "tok_pooling_type": "STEP"}, "Cannot set both `pooling_type` and `tok_pooling_type`"),
        ({"logit_sigma": 0}, "logit_sigma cannot be 0"),
        ({"seq_pooling_type": "MAX"}, "Unsupported sequence pooling type"),
        ({"normalize": True}, "Unknown pooler settings"),
    ],
)
def test_settings_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        resolve_settings(overrides, None, ("CLS", "ALL"))


def test_st_folder_reading(tmp_path):
    (tmp_path / "modules.json").write_text(
        '[{"path": "", "type": "sentence_transformers.models.Transformer"},'
        ' {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]'
    )
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_lasttoken": true, "include_prompt": true}')
    folder = read_st_folder(tmp_path)
    assert folder.pooling == StPoolingDefaults(seq_pooling_type="LAST", use_activation=False)
    assert folder.dense_dirs == () and folder.max_seq_length is None
    assert read_st_folder(tmp_path / "1_Pooling").pooling is None  # no modules.json: nothing applies
