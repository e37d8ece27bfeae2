"""Poolers over the flat layout (spec §10.2): index operations, no masks.

Sequence poolers return ``[B, H]``; token poolers return one ``[n_i, H]`` tensor per sequence. Results are fp32,
the dtype vLLM runs its pooling heads in.
"""

from __future__ import annotations

import torch

from vllm_pooling_migrate.runtime.batching import PackedBatch


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
