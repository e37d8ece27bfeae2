"""Long inputs: vLLM's chunked processing of embeddings (``PoolerConfig(enable_chunked_processing=True)``).

What vLLM 0.18.1-0.21.0 do (``vllm/entrypoints/pooling/embed/io_processor.py``, ``_pre_process_chunked`` and
``_post_process_chunked``; facts and line numbers in ``docs/runtime.md``, "Long inputs"):

* the prompt is tokenized once, special tokens included, with **no** length limit;
* its token ids are cut into consecutive slices of ``max_model_len`` tokens (the last one shorter); no special
  token is added per chunk, so only the first chunk starts with ``[CLS]`` and only the last ends with ``[SEP]``;
* every chunk is an ordinary ``embed`` request with the prompt's parameters: the model's own pooling (MEAN, CLS or
  LAST, on the chunk), projector, ``dimensions``, normalisation;
* the chunk vectors are averaged in float32, each weighted by its token count, in chunk order; the mean is **not**
  normalised again;
* every prompt takes this path, a short one as a single chunk (``v * n / n``).

This module holds the two pure steps (cut, average), shared by the server, and :func:`embed_in_chunks`, which does
the whole thing on a :class:`~vllm_pooling_migrate.runtime.engine.PoolingEngine` (``engine.embed_in_chunks``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from vllm_pooling_migrate.runtime.batching import tokenize_prompts

if TYPE_CHECKING:
    from vllm_pooling_migrate.runtime.engine import PoolingEngine, PoolingResult, TaskParams

__all__ = ["embed_in_chunks", "split_into_chunks", "weighted_mean"]


def split_into_chunks(token_ids: Sequence[int], chunk_len: int) -> list[list[int]]:
    """Consecutive slices of ``chunk_len`` ids (vLLM's ``chunk_list``); an empty prompt has no chunk."""
    if chunk_len < 1:
        raise ValueError(f"chunk_len must be a positive integer, got {chunk_len}")
    ids = list(token_ids)
    return [ids[start:start + chunk_len] for start in range(0, len(ids), chunk_len)]


def weighted_mean(vectors: Sequence[torch.Tensor], weights: Sequence[int]) -> torch.Tensor:
    """``sum(v_i * w_i) / sum(w_i)`` in float32, accumulated in the given (chunk) order as vLLM does."""
    if len(vectors) != len(weights) or not vectors:
        raise ValueError(f"need one weight per vector and at least one vector, got {len(vectors)} and "
                         f"{len(weights)}")
    total = vectors[0].to(dtype=torch.float32) * weights[0]
    for vector, weight in zip(vectors[1:], weights[1:]):
        total += vector.to(dtype=torch.float32) * weight
    return total / sum(weights)


def embed_in_chunks(
    engine: PoolingEngine,
    prompts: Sequence[str | Sequence[int]],
    params: TaskParams | Sequence[TaskParams] | None = None,
    *,
    use_tqdm: bool = False,
) -> list[PoolingResult]:
    """``embed`` for prompts of any length: each is cut into ``max_model_len``-token chunks, the chunks run as one
    batch of ordinary prompts, and each prompt's result is the token-weighted mean of its chunks' vectors.
    ``prompt_token_ids`` are the whole prompt's ids. Empty prompts and unknown token ids are refused as usual."""
    from vllm_pooling_migrate.runtime.engine import PoolingResult, TaskParams

    prompt_list = list(prompts)
    if params is None or isinstance(params, TaskParams):
        per_prompt = [params] * len(prompt_list)
    else:
        per_prompt = list(params)
        if len(per_prompt) != len(prompt_list):
            raise ValueError(f"Got {len(per_prompt)} params for {len(prompt_list)} prompts; pass one, or one per "
                             "prompt")
    tokenized = tokenize_prompts(engine.text_encoder, prompt_list, max_model_len=sys.maxsize, truncate_to=None,
                                 vocab_size=engine.vocab_size)
    chunks: list[list[int]] = []
    chunk_params: list[TaskParams] = []
    owners: list[int] = []
    for index, prompt in enumerate(tokenized):
        for chunk in split_into_chunks(prompt.token_ids, engine.info.max_model_len):
            chunks.append(chunk)
            chunk_params.append(per_prompt[index] or TaskParams())
            owners.append(index)
    outputs = engine.run("embed", chunks, chunk_params, use_tqdm=use_tqdm)
    grouped: list[list[int]] = [[] for _ in tokenized]
    for position, owner in enumerate(owners):
        grouped[owner].append(position)
    return [
        PoolingResult(weighted_mean([outputs[i].data for i in positions], [len(chunks[i]) for i in positions]),
                      list(prompt.token_ids))
        for prompt, positions in zip(tokenized, grouped, strict=True)
    ]
