"""Incomplete or foreign checkpoints are refused, with vLLM's texts where vLLM has them.

Before, each of these loaded and answered: a folder without tokenizer files got transformers' 5-token placeholder
tokenizer (every word ``[UNK]``); a head the checkpoint lacks was initialised at random (``classify`` ≈ 0.5/0.5,
changing with ``seed``); a config pointing at the repository's own code ran transformers' built-in class instead.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from vllm_pooling_migrate.runtime import load_engine
from vllm_pooling_migrate.runtime.loading import VLLM_REMOTE_CODE_TEXT

NOT_INITIALIZED = "Following weights were not initialized from checkpoint: "


def _copy(tiny, name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny[name], tmp_path / name))


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


# -- tokenizer -------------------------------------------------------------------------------------------------


def test_a_folder_without_tokenizer_files_is_refused_naming_it(tiny, tmp_path):
    model = _copy(tiny, "bert", tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        (model / name).unlink(missing_ok=True)
    with pytest.raises(OSError, match="Can't load tokenizer for") as caught:
        load_engine(model, dtype="float32")
    assert str(model) in str(caught.value) and "tokenizer.json" in str(caught.value)


def test_tokenizer_config_alone_is_not_a_tokenizer(tiny, tmp_path):
    model = _copy(tiny, "bert", tmp_path)
    (model / "tokenizer.json").unlink()
    assert (model / "tokenizer_config.json").is_file()
    with pytest.raises(OSError, match="Can't load tokenizer for"):
        load_engine(model, dtype="float32")


def test_the_shim_refuses_it_too(tiny, tmp_path):
    from vllm_pooling_migrate.shim import LLM

    model = _copy(tiny, "bert", tmp_path)
    (model / "tokenizer.json").unlink()
    with pytest.raises(OSError, match="Can't load tokenizer for"):
        LLM(str(model))


# -- weights the checkpoint does not provide ------------------------------------------------------------------------


def test_a_classifier_head_missing_from_the_checkpoint_is_refused_with_vllms_text(tiny):
    """hf_overrides naming a classification architecture on an encoder: the head (and BERT's pooler, which this
    encoder was saved without) would be random."""
    overrides = {"architectures": ["BertForSequenceClassification"], "num_labels": 2}
    with pytest.raises(ValueError) as caught:
        load_engine(tiny["bert"], dtype="float32", hf_overrides=overrides, seed=0)
    assert type(caught.value) is ValueError
    assert str(caught.value) == NOT_INITIALIZED + (
        "{'bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight'}"
    )


def test_the_refusal_does_not_depend_on_the_seed(tiny):
    overrides = {"architectures": ["BertForSequenceClassification"]}
    for seed in (0, 1, None):
        with pytest.raises(ValueError, match=NOT_INITIALIZED):
            load_engine(tiny["bert"], dtype="float32", hf_overrides=overrides, seed=seed)


def test_a_causal_lm_converted_to_classify_has_no_score_head(tiny):
    with pytest.raises(ValueError) as caught:
        load_engine(tiny["llama-lm"], dtype="float32", convert="classify")
    assert str(caught.value) == NOT_INITIALIZED + "{'score.weight'}"


def test_a_backbone_weight_missing_from_the_checkpoint_is_refused(tiny, tmp_path):
    model = _copy(tiny, "bert", tmp_path)
    weights = load_file(str(model / "model.safetensors"))
    dropped = next(name for name in weights if name.endswith("layer.1.output.dense.weight"))
    del weights[dropped]
    save_file(weights, str(model / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ValueError) as caught:
        load_engine(model, dtype="float32")
    assert str(caught.value) == NOT_INITIALIZED + "{'encoder.layer.1.output.dense.weight'}"


def test_a_head_of_the_wrong_shape_is_refused_with_vllms_loader_text(tiny):
    """num_labels overridden to 1 on a 3-label classifier: transformers would re-initialise the head."""
    with pytest.raises(AssertionError) as caught:
        load_engine(tiny["bert-cls"], dtype="float32", hf_overrides={"num_labels": 1})
    assert str(caught.value) == "Attempted to load weight (torch.Size([3])) into parameter (torch.Size([1]))"


def test_a_dense_module_missing_its_bias_is_refused(tiny, tmp_path):
    model = _copy(tiny, "bert-st-dense", tmp_path)
    weights = load_file(str(model / "2_Dense" / "model.safetensors"))
    del weights["linear.bias"]
    save_file(weights, str(model / "2_Dense" / "model.safetensors"))
    with pytest.raises(ValueError) as caught:
        load_engine(model, dtype="float32")
    assert str(caught.value) == NOT_INITIALIZED + "{'2_Dense.bias'}"


def test_a_bge_m3_head_file_without_its_weight_is_refused(tiny, tmp_path):
    model = _copy(tiny, "bge-m3", tmp_path)
    torch.save({"bias": torch.zeros(1)}, model / "sparse_linear.pt")
    with pytest.raises(ValueError) as caught:
        load_engine(model, dtype="float32", hf_overrides={"architectures": ["BgeM3EmbeddingModel"]})
    assert str(caught.value) == NOT_INITIALIZED + "{'sparse_linear.weight'}"


def test_complete_checkpoints_still_load(tiny):
    for name in ("bert", "bert-cls", "bert-ner", "xlmr-cls", "llama-cls", "qwen2-ner", "bert-st-dense"):
        load_engine(tiny[name], dtype="float32")


# -- remote code ------------------------------------------------------------------------------------------------


def test_custom_code_without_trust_remote_code_gets_vllms_error(tiny, tmp_path):
    model = _copy(tiny, "bert", tmp_path)
    _edit_json(model / "config.json", model_type="my_bert", auto_map={"AutoConfig": "configuration_my.MyConfig",
                                                                      "AutoModel": "modeling_my.MyModel"})
    with pytest.raises(RuntimeError) as caught:
        load_engine(model, dtype="float32")
    assert str(caught.value) == VLLM_REMOTE_CODE_TEXT


@pytest.mark.parametrize("model_type", ["my_bert", "bert"])
def test_trust_remote_code_is_refused_clearly(tiny, tmp_path, model_type):
    model = _copy(tiny, "bert", tmp_path)
    _edit_json(model / "config.json", model_type=model_type, auto_map={"AutoModel": "modeling_my.MyModel"})
    (model / "modeling_my.py").write_text("raise SystemExit('remote code ran')\n")
    with pytest.raises(RuntimeError, match="this engine runs no remote code") as caught:
        load_engine(model, dtype="float32", trust_remote_code=True)
    assert "trust_remote_code=True is not honoured" in str(caught.value)
    assert "AutoModel -> modeling_my.MyModel" in str(caught.value)


def test_a_known_model_type_with_custom_code_is_refused_without_the_flag(tiny, tmp_path):
    """Like jina-embeddings-v2 (model_type "bert", its own ALiBi code): transformers would run plain BERT."""
    model = _copy(tiny, "bert", tmp_path)
    _edit_json(model / "config.json", auto_map={"AutoModel": "modeling_jina.JinaBertModel"})
    with pytest.raises(RuntimeError, match="this engine runs no remote code.*built-in 'bert' classes"):
        load_engine(model, dtype="float32")


def test_a_custom_tokenizer_class_is_refused(tiny, tmp_path):
    model = _copy(tiny, "bert", tmp_path)
    _edit_json(model / "tokenizer_config.json", auto_map={"AutoTokenizer": ["tok_my.MyTokenizer", None]})
    with pytest.raises(RuntimeError, match="AutoTokenizer"):
        load_engine(model, dtype="float32")


def test_trust_remote_code_on_a_plain_model_loads_without_running_anything(tiny):
    load_engine(tiny["bert"], dtype="float32", trust_remote_code=True)


# -- damaged files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file", ["modules.json", "1_Pooling/config.json", "sentence_bert_config.json", "config.json"])
def test_a_damaged_json_file_is_named(tiny, tmp_path, file):
    model = _copy(tiny, "bert-st-mean", tmp_path)
    (model / file).write_text('[{"idx": 0, "path": ""')
    with pytest.raises(ValueError, match="is not valid JSON") as caught:
        load_engine(model, dtype="float32")
    assert str(model / file) in str(caught.value)


def test_modules_json_of_the_wrong_shape_is_named(tiny, tmp_path):
    model = _copy(tiny, "bert-st-mean", tmp_path)
    (model / "modules.json").write_text('{"0": "sentence_transformers.models.Pooling"}')
    with pytest.raises(ValueError, match="modules.json must hold a JSON list"):
        load_engine(model, dtype="float32")


def test_a_bad_max_seq_length_is_named(tiny, tmp_path):
    model = _copy(tiny, "bert-st-mean", tmp_path)
    (model / "sentence_bert_config.json").write_text('{"max_seq_length": 0}')
    with pytest.raises(ValueError, match="sentence_bert_config.json: max_seq_length must be a positive integer"):
        load_engine(model, dtype="float32")
