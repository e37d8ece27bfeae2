"""Scores for /score and the rerank routes, by the score type the release chose at start-up (spec §4.4, §10.4).

bi-encoder: cosine of the two sides' ``embed`` vectors; late-interaction: MaxSim over their ``token_embed``
vectors (each side encoded once, a single query reused for every document, as vLLM does); cross-encoder: the
``classify`` logit of each (query, document) pair, after the activation, with token type ids (the engine
tokenizes the pair). 0.18 registers the score routes on any classifier; a cross-encoder needs ``num_labels == 1``
(M22, as the offline 0.18 ``LLM.score``).
"""

from __future__ import annotations

from typing import Any

from vllm_pooling_migrate.runtime.scoring import cosine_scores, maxsim
from vllm_pooling_migrate.shim.messages import text
from vllm_pooling_migrate.shim.serve.pipeline.engine_calls import off_loop, task_params
from vllm_pooling_migrate.shim.serve.state import ServerState

MULTIMODAL_REFUSAL = "pooling shim: multimodal score inputs are not supported; send text"


def text_list(side: Any) -> list[str]:
    items = side if isinstance(side, list) else [side]
    if not all(isinstance(item, str) for item in items):
        raise NotImplementedError(MULTIMODAL_REFUSAL)
    return list(items)


def check_lengths(queries: list[str], documents: list[str]) -> None:
    """vLLM's ``_validate_score_input_lens``."""
    if len(queries) > 1 and len(queries) != len(documents):
        raise ValueError("Input lengths must be either 1:1, 1:N or N:N")
    if not queries:
        raise ValueError("At least one text element must be given")
    if not documents:
        raise ValueError("At least one text_pair element must be given")


async def score_texts(state: ServerState, queries: list[str], documents: list[str], *,
                      use_activation: bool | None, truncate_prompt_tokens: int | None,
                      truncation_side: str | None) -> tuple[list[float], int]:
    """One score per document (a single query is paired with each), and the prompt tokens used."""
    check_lengths(queries, documents)
    score_type = state.plan.score_type
    if score_type == "cross-encoder":
        if state.info.num_labels != 1:
            raise ValueError(text("M22"))
        params = task_params(state, "classify", use_activation=use_activation)
        pairs = list(zip(queries * len(documents) if len(queries) == 1 else queries, documents))
        truncate_to = state.prompts.truncation_length(truncate_prompt_tokens)
        lengths = await state.prompts.pair_lengths(pairs, truncate_prompt_tokens=truncate_prompt_tokens)
        results = await state.scheduler.run("classify", pairs, [params] * len(pairs), tokens=lengths,
                                            engine_truncation=truncate_to)
        return [r.data[0].item() for r in results], sum(lengths)
    task = "embed" if score_type == "bi-encoder" else "token_embed"
    params = task_params(state, task, use_activation=use_activation)
    token_ids = await state.prompts.prompts(queries + documents, truncate_prompt_tokens=truncate_prompt_tokens,
                                            truncation_side=truncation_side)
    results = await state.scheduler.run(task, token_ids, [params] * len(token_ids),
                                        tokens=[len(ids) for ids in token_ids])
    left = [r.data for r in results[:len(queries)]]
    right = [r.data for r in results[len(queries):]]
    if len(left) == 1:
        left = left * len(right)

    def compute() -> list[float]:
        if score_type == "bi-encoder":
            return cosine_scores(left, right)
        return [maxsim(query, document) for query, document in zip(left, right)]

    return await off_loop(state, compute), sum(len(ids) for ids in token_ids)
