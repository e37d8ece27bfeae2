"""Tiny random models for the batch tests, built once per session from configs (no downloads)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from vllm_pooling_migrate.runtime.testing import CLS, SEP, build_tiny_bert_models, wordpiece_tokenizer


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, str]:
    """``bert`` (embed, token_embed), ``bert-cls`` (3 labels), ``bert-ce`` (cross-encoder), ``bert-ner`` (token
    classifier) and ``bge-m3`` (a tiny XLM-R with bge-m3's ColBERT and sparse heads)."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    root = tmp_path_factory.mktemp("batch_models")
    paths = build_tiny_bert_models(root)
    tokenizer = wordpiece_tokenizer()
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=64, max_position_embeddings=65, type_vocab_size=1, pad_token_id=0,
                              bos_token_id=CLS, eos_token_id=SEP)
    bge_m3 = root / "bge-m3"
    XLMRobertaModel(config, add_pooling_layer=False).eval().save_pretrained(bge_m3)
    tokenizer.save_pretrained(bge_m3)
    torch.save(torch.nn.Linear(32, 32).state_dict(), bge_m3 / "colbert_linear.pt")
    torch.save(torch.nn.Linear(32, 1).state_dict(), bge_m3 / "sparse_linear.pt")
    paths["bge-m3"] = str(bge_m3)
    return paths
