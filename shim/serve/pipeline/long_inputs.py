"""Input length limits per route, and vLLM's chunked processing of long embedding inputs.

vLLM 0.18.1-0.21.0 build a ``TokenizeParams`` per request (``renderers/params.py``). ``/v1/embeddings`` and
``/v2/embed`` take theirs from the pooler config (``embed/protocol.py``, ``_get_max_total_output_tokens``):

| pooler config | input limit | refusal |
|---|---|---|
| ``enable_chunked_processing`` | none: every prompt is cut into ``max_model_len`` chunks | — |
| ``max_embed_len=N`` (chunking off) | ``N`` ("output tokens" = ``max_model_len - N``) | "maximum context length is L … you requested L-N output tokens …" |
| neither | ``max_model_len`` | the same text with 0 output tokens |

With ``N > max_model_len`` a prompt of ``max_model_len < n <= N`` tokens passes this limit and the engine refuses it
("The decoder prompt (length n) is longer than the maximum model length of L…"). ``/pooling`` and the other routes
keep ``max_model_len``; on 0.20/0.21 ``/pooling``'s embed task runs through the same embed IO processor, so with
chunking on its results also go through the chunk mean (one chunk each). Facts and line numbers: ``docs/runtime.md``,
"Long inputs".
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vllm_pooling_migrate.runtime.chunking import split_into_chunks, weighted_mean
from vllm_pooling_migrate.shim.prompt_limits import too_many_characters, too_many_tokens
from vllm_pooling_migrate.shim.serve.errors.bodies import RequestError
from vllm_pooling_migrate.shim.serve.messages import online_text

if TYPE_CHECKING:
    from vllm_pooling_migrate.shim.serve.state import ServerState

#: Releases whose /pooling embed task goes through the embed IO processor (factories.py@v0.20.2, @v0.21.0).
POOLING_EMBED_PROCESSOR_FLOWS = ("0.20", "0.21")


@dataclass(frozen=True)
class InputLimit:
    """One request's ``TokenizeParams`` limits, with the parameter names vLLM's texts use."""

    max_model_len: int
    max_input_tokens: int | None  # None: no limit (chunked processing)
    output_tokens: int = 0
    total_param: str = "max_total_tokens"
    output_param: str = "max_output_tokens"
    #: 0.18/0.19 print "…={out}cannot be greater…" (no space); 0.20+ add the space (params.py:207).
    spaced_output_text: bool = True
    #: ``/v1/embeddings`` refuses ``truncate_prompt_tokens > max_model_len`` in the serving layer first
    #: (``base/serving.py``); ``/v2/embed`` has no such field and reaches the ``TokenizeParams`` check directly.
    serving_truncation_check: bool = True

    def check_request(self) -> None:
        """``TokenizeParams.__post_init__``: more output tokens than the context (a negative ``max_embed_len``)."""
        if self.max_input_tokens is not None and self.output_tokens > self.max_model_len:
            gap = " " if self.spaced_output_text else ""
            raise RequestError(
                f"{self.output_param}={self.output_tokens}{gap}cannot be greater than "
                f"{self.total_param}=max_total_tokens={self.max_model_len}. Please request fewer output tokens.",
                self.output_param, self.output_tokens)

    def truncation(self, truncate_prompt_tokens: int | None) -> int | None:
        """The number of tokens to keep, or None; -1 means the input limit (none when chunking)."""
        if truncate_prompt_tokens is None:
            return None
        if self.serving_truncation_check and truncate_prompt_tokens > self.max_model_len:
            raise ValueError(online_text("truncate-too-large"))  # the spec gives no param for it
        if truncate_prompt_tokens < 0:
            return self.max_input_tokens
        if self.max_input_tokens is not None and truncate_prompt_tokens > self.max_input_tokens:
            raise RequestError(
                f"truncate_prompt_tokens={truncate_prompt_tokens} cannot be greater than {self.total_param} - "
                f"{self.output_param} = {self.max_input_tokens}. Please request a smaller truncation size.",
                "truncate_prompt_tokens", truncate_prompt_tokens)
        return truncate_prompt_tokens

    def check_text(self, text: str, max_chars_per_token: int) -> None:
        """Before tokenizing a text sent without truncation: longer than the limit times the longest vocabulary
        entry is refused outright (``_text_len_check``, ``param="input_text"``)."""
        if self.max_input_tokens is not None and len(text) > self.max_input_tokens * max_chars_per_token:
            raise too_many_characters(self.max_model_len, len(text), max_chars_per_token,
                                      max_input_tokens=self.max_input_tokens, output_tokens=self.output_tokens)

    def reported_length(self, token_count: int, *, text: bool) -> int:
        """What vLLM counts: it tokenizes an untruncated text only up to ``limit + 1`` tokens."""
        if text and self.max_input_tokens is not None:
            return min(token_count, self.max_input_tokens + 1)
        return token_count

    def check_length(self, token_count: int, *, bounded: bool = True) -> None:
        """``_token_len_check``: a count of exactly ``limit + 1`` may be a cut-off tokenization, so vLLM says
        "at least" (``bounded``; the score routes' pair texts are reported without it here)."""
        if self.max_input_tokens is not None and token_count > self.max_input_tokens:
            raise too_many_tokens(self.max_model_len, token_count, max_input_tokens=self.max_input_tokens,
                                  output_tokens=self.output_tokens, bounded=bounded)


def default_limit(max_model_len: int) -> InputLimit:
    """``/pooling``, ``/classify``, the score routes: the model's length, 0 output tokens."""
    return InputLimit(max_model_len=max_model_len, max_input_tokens=max_model_len, total_param="max_model_len")


def chunked_processing(state: ServerState) -> bool:
    return bool(state.settings.pooler_config.enable_chunked_processing)


def embed_limit(state: ServerState, *, serving_truncation_check: bool = True) -> InputLimit:
    """The limit of ``/v1/embeddings`` and ``/v2/embed`` under this server's pooler config."""
    max_model_len = state.info.max_model_len
    config = state.settings.pooler_config
    spaced = state.release.version >= (0, 20)
    common = functools.partial(InputLimit, max_model_len=max_model_len, total_param="max_model_len",
                               output_param="max_model_len - max_embed_len", spaced_output_text=spaced,
                               serving_truncation_check=serving_truncation_check)
    if config.enable_chunked_processing:
        return common(max_input_tokens=None)
    max_embed_len = config.max_embed_len or max_model_len
    output_tokens = max_model_len - max_embed_len
    return common(max_input_tokens=max_model_len - output_tokens, output_tokens=output_tokens)


def pooling_runs_chunked(state: ServerState, task: str) -> bool:
    """``/pooling``'s embed task goes through the chunk mean on 0.20/0.21 when chunking is on."""
    return (task == "embed" and chunked_processing(state)
            and state.release.pooling_flow in POOLING_EMBED_PROCESSOR_FLOWS)


async def run_embed(state: ServerState, token_ids: Sequence[list[int]], params: Any, *,
                    chunked: bool) -> list[Any]:
    """``embed`` for prepared prompts. Chunked: every prompt is cut into ``max_model_len``-token chunks that queue
    like any other prompt, and its result is the token-weighted mean of its chunks (``runtime/chunking.py``)."""
    if not chunked:
        return await state.scheduler.run("embed", token_ids, [params] * len(token_ids),
                                         tokens=[len(ids) for ids in token_ids])
    from vllm_pooling_migrate.runtime.engine import PoolingResult

    chunks: list[list[int]] = []
    owners: list[int] = []
    for index, ids in enumerate(token_ids):
        for chunk in split_into_chunks(ids, state.info.max_model_len):
            chunks.append(chunk)
            owners.append(index)
    outputs = await state.scheduler.run("embed", chunks, [params] * len(chunks),
                                        tokens=[len(chunk) for chunk in chunks])
    positions: list[list[int]] = [[] for _ in token_ids]
    for position, owner in enumerate(owners):
        positions[owner].append(position)
    return [PoolingResult(weighted_mean([outputs[i].data for i in mine], [len(chunks[i]) for i in mine]), list(ids))
            for ids, mine in zip(token_ids, positions, strict=True)]
