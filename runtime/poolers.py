"""Poolers over the flat layout (spec §10.2): index operations, no masks; and one pooler per pooling task.

Sequence poolings return ``[B, H]``; token poolings return one ``[n_i, H]`` tensor per sequence. Results are fp32,
the dtype vLLM runs its pooling heads in.

A task pooler is a pooling step followed by the task's head. :func:`build_task_poolers` maps each task to its
pooler, the way vLLM's ``DispatchPooler`` does, and the engine dispatches on that map.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import torch

from vllm_pooling_migrate.runtime.batching import PackedBatch
from vllm_pooling_migrate.runtime.heads import BgeM3Heads, ClassifierHead, EmbeddingHead
from vllm_pooling_migrate.runtime.settings import PoolerSettings
from vllm_pooling_migrate.tasks import PoolingTask

Key = TypeVar("Key", bound=Hashable)


def pool_sequences(pooling_type: str, hidden: torch.Tensor, batch: PackedBatch) -> torch.Tensor:
    if pooling_type == "CLS":
        return hidden[batch.starts].float()
    if pooling_type == "LAST":
        return hidden[batch.starts + batch.lens - 1].float()
    if pooling_type == "MEAN":
        return mean_pool(hidden, batch)
    raise ValueError(f"Unsupported sequence pooling type {pooling_type!r}")


def mean_pool(hidden: torch.Tensor, batch: PackedBatch) -> torch.Tensor:
    """Mean over every token of each sequence, special tokens included, accumulated in fp32."""
    sums = torch.zeros(len(batch.seq_lens), hidden.shape[1], dtype=torch.float32, device=hidden.device)
    sums.index_add_(0, batch.segment_ids, hidden.float())
    return sums / batch.lens[:, None]


def pool_tokens(
    pooling_type: str, hidden: torch.Tensor, batch: PackedBatch, step_tag_id: int | None
) -> list[torch.Tensor]:
    """ALL: every token. STEP: the rows whose prompt token is ``step_tag_id`` (all rows when it is unset)."""
    if pooling_type not in ("ALL", "STEP"):
        raise ValueError(f"Unsupported token pooling type {pooling_type!r}")
    per_sequence = list(torch.split(hidden.float(), batch.seq_lens))
    if pooling_type == "ALL" or step_tag_id is None:
        return per_sequence
    ids = torch.split(batch.input_ids, batch.seq_lens)
    return [rows[token_ids == step_tag_id] for rows, token_ids in zip(per_sequence, ids)]


# -- one pooler per task -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadSettings:
    """One request's head settings, the engine's defaults already applied (spec §9.2)."""

    dimensions: int | None
    use_activation: bool


class TaskPooler(Protocol):
    def __call__(
        self, hidden: torch.Tensor, batch: PackedBatch, requests: Sequence[HeadSettings]
    ) -> list[torch.Tensor]: ...


class EmbedPooler:
    """``embed``: the sequence pooling, then the embedding head (projector, truncation, normalisation)."""

    def __init__(self, settings: PoolerSettings, head: EmbeddingHead):
        self.settings = settings
        self.head = head

    def __call__(
        self, hidden: torch.Tensor, batch: PackedBatch, requests: Sequence[HeadSettings]
    ) -> list[torch.Tensor]:
        pooled = pool_sequences(self.settings.seq_pooling_type, hidden, batch)
        return apply_grouped(pooled, requests, self._embed)

    def _embed(self, pooled: torch.Tensor, request: HeadSettings) -> torch.Tensor:
        return self.head(pooled, request.dimensions, request.use_activation)


class TokenEmbedPooler:
    """``token_embed``: the token pooling, bge-m3's ColBERT projection when the model has it, the embedding head."""

    def __init__(self, settings: PoolerSettings, head: EmbeddingHead, bge_m3_heads: BgeM3Heads | None):
        self.settings = settings
        self.head = head
        self.bge_m3_heads = bge_m3_heads

    def __call__(
        self, hidden: torch.Tensor, batch: PackedBatch, requests: Sequence[HeadSettings]
    ) -> list[torch.Tensor]:
        rows = pool_tokens(self.settings.tok_pooling_type, hidden, batch, self.settings.step_tag_id)
        if self.bge_m3_heads is not None:
            rows = self.bge_m3_heads.colbert_rows(rows, prompt_token_ids(batch))
        return apply_grouped(rows, requests, self._embed)

    def _embed(self, rows: torch.Tensor, request: HeadSettings) -> torch.Tensor:
        return self.head(rows, request.dimensions, request.use_activation)


class ClassifyPooler:
    """``classify``: the sequence pooling, then the classifier head (classifier, calibration, activation)."""

    def __init__(self, settings: PoolerSettings, head: ClassifierHead):
        self.settings = settings
        self.head = head

    def __call__(
        self, hidden: torch.Tensor, batch: PackedBatch, requests: Sequence[HeadSettings]
    ) -> list[torch.Tensor]:
        pooled = pool_sequences(self.settings.seq_pooling_type, hidden, batch)
        return apply_grouped(pooled, [r.use_activation for r in requests], self.head.sequences)


class TokenClassifyPooler:
    """``token_classify``: the token pooling, then the classifier head on every pooled row."""

    def __init__(self, settings: PoolerSettings, head: ClassifierHead):
        self.settings = settings
        self.head = head

    def __call__(
        self, hidden: torch.Tensor, batch: PackedBatch, requests: Sequence[HeadSettings]
    ) -> list[torch.Tensor]:
        rows = pool_tokens(self.settings.tok_pooling_type, hidden, batch, self.settings.step_tag_id)
        return apply_grouped(rows, [r.use_activation for r in requests], self._classify)

    def _classify(self, rows: torch.Tensor, use_activation: bool) -> torch.Tensor:
        return self.head.tokens(rows, use_activation, self.settings.returned_token_ids)


class BgeM3SparsePooler:
    """bge-m3's ``token_classify``: the token pooling, then the sparse lexical weights (ReLU as the activation)."""

    def __init__(self, settings: PoolerSettings, heads: BgeM3Heads):
        self.settings = settings
        self.heads = heads

    def __call__(
        self, hidden: torch.Tensor, batch: PackedBatch, requests: Sequence[HeadSettings]
    ) -> list[torch.Tensor]:
        rows = pool_tokens(self.settings.tok_pooling_type, hidden, batch, self.settings.step_tag_id)
        sparse_rows = self.heads.sparse_rows(rows, prompt_token_ids(batch))
        return apply_grouped(sparse_rows, [r.use_activation for r in requests], self.heads.sparse_activation)


class BgeM3DenseAndSparsePooler:
    """bge-m3's ``embed&token_classify``: the full-width embedding (no truncation), then the sparse weights,
    flattened into one vector per sequence."""

    def __init__(self, settings: PoolerSettings, embedding_head: EmbeddingHead, sparse: BgeM3SparsePooler):
        self.settings = settings
        self.embedding_head = embedding_head
        self.sparse = sparse

    def __call__(
        self, hidden: torch.Tensor, batch: PackedBatch, requests: Sequence[HeadSettings]
    ) -> list[torch.Tensor]:
        sparse = self.sparse(hidden, batch, requests)
        pooled = pool_sequences(self.settings.seq_pooling_type, hidden, batch)
        dense = apply_grouped(pooled, [r.use_activation for r in requests], self._embed_full)
        return [torch.cat([d, w.flatten()]) for d, w in zip(dense, sparse, strict=True)]

    def _embed_full(self, pooled: torch.Tensor, use_activation: bool) -> torch.Tensor:
        return self.embedding_head(pooled, None, use_activation)


def build_task_poolers(
    settings: PoolerSettings,
    embedding_head: EmbeddingHead,
    classifier_head: ClassifierHead | None,
    bge_m3_heads: BgeM3Heads | None,
    token_embedding_head: EmbeddingHead | None = None,
) -> dict[PoolingTask, TaskPooler]:
    """Every task the loaded heads can run, with its pooler. bge-m3's own heads take its token tasks; a ColBERT
    projection (``token_embedding_head``) replaces the embedding head for ``token_embed``."""
    poolers: dict[PoolingTask, TaskPooler] = {
        "embed": EmbedPooler(settings, embedding_head),
        "token_embed": TokenEmbedPooler(settings, token_embedding_head or embedding_head, bge_m3_heads),
    }
    if classifier_head is not None:
        poolers["classify"] = ClassifyPooler(settings, classifier_head)
        poolers["token_classify"] = TokenClassifyPooler(settings, classifier_head)
    if bge_m3_heads is not None:
        sparse = BgeM3SparsePooler(settings, bge_m3_heads)
        poolers["token_classify"] = sparse
        poolers["embed&token_classify"] = BgeM3DenseAndSparsePooler(settings, embedding_head, sparse)
    return poolers


def apply_grouped(
    items: torch.Tensor | list[torch.Tensor], keys: Sequence[Key], head: Callable[[torch.Tensor, Key], torch.Tensor]
) -> list[torch.Tensor]:
    """Apply ``head`` once per distinct request setting. ``items`` are pooled rows ``[B, H]`` (sequence tasks) or
    one ``[n_i, H]`` tensor per sequence (token tasks); the result has one tensor per sequence."""
    groups: dict[Key, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[key].append(position)
    piece_at: dict[int, torch.Tensor] = {}
    for key, positions in groups.items():
        pieces: Sequence[torch.Tensor]
        if isinstance(items, list):
            sizes = [items[p].shape[0] for p in positions]
            pieces = torch.split(head(torch.cat([items[p] for p in positions]), key), sizes)
        else:
            rows = items if len(groups) == 1 else items[positions]
            pieces = head(rows, key).unbind(0)
        piece_at.update(zip(positions, pieces))
    return [piece_at[position] for position in range(len(keys))]


def prompt_token_ids(batch: PackedBatch) -> list[list[int]]:
    return [ids.tolist() for ids in torch.split(batch.input_ids.cpu(), batch.seq_lens)]
