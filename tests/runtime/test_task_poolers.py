"""The task → pooler map the engine dispatches on, and the per-setting grouping every pooler shares."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vllm_pooling_migrate.runtime import load_engine
from vllm_pooling_migrate.runtime.heads import BgeM3Heads, ClassifierActivation, ClassifierHead, EmbeddingHead
from vllm_pooling_migrate.runtime.poolers import (
    BgeM3DenseAndSparsePooler,
    BgeM3SparsePooler,
    ClassifyPooler,
    EmbedPooler,
    TokenClassifyPooler,
    TokenEmbedPooler,
    apply_grouped,
    build_task_poolers,
)
from vllm_pooling_migrate.runtime.settings import PoolerSettings
from vllm_pooling_migrate.tasks import POOLING_TASKS

SETTINGS = PoolerSettings(seq_pooling_type="CLS", tok_pooling_type="ALL")


def classifier_head() -> ClassifierHead:
    linear = nn.Linear(4, 2)
    return ClassifierHead(linear, linear, ClassifierActivation(None, None, 2), None, None)


def bge_m3_heads() -> BgeM3Heads:
    return BgeM3Heads(nn.Linear(4, 4), nn.Linear(4, 1), bos_token_id=2, eos_token_id=3)


def pooler_types(poolers) -> dict[str, type]:
    return {task: type(pooler) for task, pooler in poolers.items()}


def test_an_embedding_model_has_the_embedding_poolers():
    poolers = build_task_poolers(SETTINGS, EmbeddingHead(None), None, None)
    assert pooler_types(poolers) == {"embed": EmbedPooler, "token_embed": TokenEmbedPooler}


def test_a_classifier_adds_the_classification_poolers():
    poolers = build_task_poolers(SETTINGS, EmbeddingHead(None), classifier_head(), None)
    assert pooler_types(poolers)["classify"] is ClassifyPooler
    assert pooler_types(poolers)["token_classify"] is TokenClassifyPooler


def test_bge_m3_heads_take_the_token_tasks_and_add_the_combined_one():
    poolers = build_task_poolers(SETTINGS, EmbeddingHead(None), None, bge_m3_heads())
    assert pooler_types(poolers) == {
        "embed": EmbedPooler,
        "token_embed": TokenEmbedPooler,
        "token_classify": BgeM3SparsePooler,
        "embed&token_classify": BgeM3DenseAndSparsePooler,
    }
    assert set(poolers) <= set(POOLING_TASKS)


@pytest.mark.parametrize(
    "name, overrides",
    [("bert", None), ("bert-cls", None), ("bert-ner", None), ("llama-lm", None),
     ("bge-m3", {"architectures": ["BgeM3EmbeddingModel"]})],
)
def test_the_engine_dispatches_exactly_the_tasks_the_model_reports(tiny, name, overrides):
    engine = load_engine(tiny[name], dtype="float32", hf_overrides=overrides)
    assert tuple(engine._poolers) == engine.info.supported_tasks


def test_apply_grouped_calls_the_head_once_per_distinct_setting_and_keeps_the_order():
    calls: list[str] = []

    def head(rows: torch.Tensor, key: str) -> torch.Tensor:
        calls.append(key)
        return rows * (10 if key == "x10" else 1)

    pooled = torch.arange(4.0)[:, None]
    result = apply_grouped(pooled, ["x10", "x1", "x10", "x1"], head)
    assert sorted(calls) == ["x1", "x10"]
    assert [t.item() for t in torch.cat(result)] == [0.0, 1.0, 20.0, 3.0]

    per_sequence = [torch.ones(2, 1), torch.ones(1, 1), torch.ones(3, 1)]
    calls.clear()
    result = apply_grouped(per_sequence, ["x1", "x10", "x1"], head)
    assert sorted(calls) == ["x1", "x10"]
    assert [t.shape[0] for t in result] == [2, 1, 3]
    assert [t.sum().item() for t in result] == [2.0, 10.0, 3.0]
