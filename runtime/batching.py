"""Tokenize once, check lengths, cut length-sorted batches by a token budget, pack each batch flat.

Sorting by token length keeps padding inside a batch small (unsorted batches of a mixed corpus carry ~25% real
tokens); a token budget instead of a fixed count keeps every batch about the same amount of work.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vllm_pooling_migrate.runtime.tokenization import TokenizedPrompt, encoder_for

__all__ = [
    "PackedBatch",
    "Prompt",
    "TokenizedPrompt",
    "bucketed_rows",
    "pack",
    "plan_batches",
    "tokenize_prompts",
    "truncation_length",
]

Prompt = str | Sequence[int] | tuple[str, str]


@dataclass(frozen=True)
class PackedBatch:
    """A batch in flat layout: every token of every sequence back to back, no padding.

    ``indices`` are the positions of the sequences in the caller's prompt list. The index tensors are built on
    the CPU once per batch so that nothing in the forward pass has to read a device tensor back (no syncs).
    """

    indices: list[int]
    seq_lens: list[int]
    input_ids: torch.Tensor  # [T] int64
    token_type_ids: torch.Tensor | None  # [T] int64
    position_ids: torch.Tensor  # [T], restarting at 0 for each sequence
    lens: torch.Tensor  # [B]
    starts: torch.Tensor  # [B], index of each sequence's first token
    segment_ids: torch.Tensor  # [T], which sequence each token belongs to
    padded_rows: torch.Tensor  # [T], each token's row in the right-padded [B * max_len] layout

    @property
    def max_len(self) -> int:
        return max(self.seq_lens)

    @property
    def uniform(self) -> bool:
        return min(self.seq_lens) == max(self.seq_lens)

    def to(self, device: torch.device) -> PackedBatch:
        if device.type == "cpu":
            return self
        from vllm_pooling_migrate.runtime.devices import to_device

        def move(tensor: torch.Tensor) -> torch.Tensor:
            return to_device(tensor, device)

        # Every field named: a new tensor field cannot be left behind on the host unnoticed.
        return PackedBatch(
            indices=self.indices,
            seq_lens=self.seq_lens,
            input_ids=move(self.input_ids),
            token_type_ids=None if self.token_type_ids is None else move(self.token_type_ids),
            position_ids=move(self.position_ids),
            lens=move(self.lens),
            starts=move(self.starts),
            segment_ids=move(self.segment_ids),
            padded_rows=move(self.padded_rows),
        )


def too_long_message(length: int, max_model_len: int) -> str:
    return (
        f"The decoder prompt (length {length}) is longer than the maximum model length of {max_model_len}. "
        "Make sure that `max_model_len` is no smaller than the number of text tokens."
    )


class PromptTooLongError(ValueError):
    """The engine's refusal of a prompt longer than the model, with vLLM's engine text. It also says whether the
    prompt was a text, because vLLM's offline ``LLM`` checks lengths in its renderer first and reports them in
    other words (the shim's ``prompt_limits``)."""

    def __init__(self, length: int, max_model_len: int, *, from_text: bool) -> None:
        super().__init__(too_long_message(length, max_model_len))
        self.length = length
        self.max_model_len = max_model_len
        self.from_text = from_text


def out_of_vocabulary_message(token_id: int) -> str:
    """vLLM's text for a prompt token the model has no embedding for (``vllm/v1/engine`` input validation)."""
    return f"Token id {token_id} is out of vocabulary"


def truncation_length(truncate_prompt_tokens: int | None, max_model_len: int) -> int | None:
    """vLLM's ``truncate_prompt_tokens``: None = no truncation, -1 = the model's length, k = the last k tokens."""
    if truncate_prompt_tokens is None:
        return None
    if not is_integer(truncate_prompt_tokens):
        raise TypeError(
            "truncate_prompt_tokens must be an int (-1 for the model's maximum length, or k >= 1), "
            f"got {type(truncate_prompt_tokens).__name__} {truncate_prompt_tokens!r}"
        )
    truncate_prompt_tokens = int(truncate_prompt_tokens)
    if truncate_prompt_tokens == -1:
        return max_model_len
    if truncate_prompt_tokens < 1:
        raise ValueError(f"truncate_prompt_tokens must be -1 or a positive integer, got {truncate_prompt_tokens}")
    if truncate_prompt_tokens > max_model_len:
        raise ValueError(
            f"truncate_prompt_tokens value ({truncate_prompt_tokens}) is greater than "
            f"max_model_len ({max_model_len}). Please, select a smaller truncation size."
        )
    return truncate_prompt_tokens


def is_integer(value: object) -> bool:
    """An int or a numpy integer, never a bool (``True`` is an ``int`` in Python but not a token id or a count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def tokenize_prompts(
    tokenizer, prompts: Sequence[Prompt], *, max_model_len: int, truncate_to: int | None, vocab_size: int | None = None
) -> list[TokenizedPrompt]:
    """Texts and text pairs go through the tokenizer in one call each; token-id prompts are taken as given after
    their type and range are checked. Truncation keeps the last ``truncate_to`` tokens (vLLM's left truncation;
    texts keep their special tokens, see ``runtime/tokenization.py``). ``tokenizer`` is a Hugging Face tokenizer
    or a :class:`TextEncoder`; it is never modified, so concurrent calls are safe.

    ``vocab_size``: the number of rows of the model's token embedding; an id outside ``[0, vocab_size)`` raises
    vLLM's "Token id N is out of vocabulary"."""
    encoder = encoder_for(tokenizer)
    tokenized: dict[int, TokenizedPrompt] = {}
    texts: list[int] = []
    pairs: list[int] = []
    for i, prompt in enumerate(prompts):
        if isinstance(prompt, str):
            texts.append(i)
        elif isinstance(prompt, tuple) and len(prompt) == 2 and all(isinstance(p, str) for p in prompt):
            pairs.append(i)
        else:
            ids = token_id_list(prompt, i)
            tokenized[i] = TokenizedPrompt(ids[-truncate_to:] if truncate_to is not None else ids)
    text_prompts = [prompt for i in texts if isinstance(prompt := prompts[i], str)]
    for row, encoded in zip(texts, encoder.encode(text_prompts, truncate_to), strict=True):
        tokenized[row] = encoded
    pair_prompts = [(prompt[0], prompt[1]) for i in pairs if isinstance(prompt := prompts[i], tuple)]
    for row, encoded in zip(pairs, encoder.encode_pairs(pair_prompts, truncate_to), strict=True):
        tokenized[row] = encoded
    in_order = [tokenized[i] for i in range(len(prompts))]
    for index, tokens in enumerate(in_order):
        if not tokens.token_ids:
            raise ValueError("The decoder prompt cannot be empty")
        if len(tokens.token_ids) > max_model_len:
            raise PromptTooLongError(len(tokens.token_ids), max_model_len, from_text=isinstance(prompts[index], str))
        if vocab_size is not None:
            check_vocabulary(tokens.token_ids, vocab_size)
    return in_order


def token_id_list(prompt: object, index: int) -> list[int]:
    """A token-id prompt as a list of ints, or a TypeError that names the prompt and the offending value."""
    if isinstance(prompt, bytes | bytearray):
        raise TypeError(
            f"Prompt {index} is {type(prompt).__name__}, not a prompt: decode it to str, or pass token ids as a list "
            "of int"
        )
    if not isinstance(prompt, list | tuple):
        raise TypeError(
            f"Prompt {index} must be a string, a (text, text) pair or a list of token ids, "
            f"got {type(prompt).__name__}"
        )
    for position, token in enumerate(prompt):
        if not is_integer(token):
            raise TypeError(
                f"Prompt {index}: token ids must be integers, got {type(token).__name__} {token!r} "
                f"at position {position}"
            )
    return [int(token) for token in prompt]


def check_vocabulary(token_ids: Sequence[int], vocab_size: int) -> None:
    """vLLM checks the largest id; a negative id (which vLLM would pass to the model) is refused the same way."""
    highest, lowest = max(token_ids), min(token_ids)
    if highest >= vocab_size:
        raise ValueError(out_of_vocabulary_message(highest))
    if lowest < 0:
        raise ValueError(out_of_vocabulary_message(lowest))


def plan_batches(lengths: Sequence[int], *, max_tokens: int, max_seqs: int) -> list[list[int]]:
    """Longest first (an out-of-memory batch shows up at once), then cut so that each batch's padded size
    ``count × longest`` stays within ``max_tokens`` and its count within ``max_seqs``. A sequence longer than the
    budget gets a batch of its own."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = lengths[current[0]] if current else lengths[i]
        if current and ((len(current) + 1) * longest > max_tokens or len(current) >= max_seqs):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def bucketed_rows(count: int) -> int:
    """``count`` rounded up to a bounded set of sizes: a multiple of 16, and of 1/16 of the power of two below it
    (at most 6.25% more rows; 16 sizes per octave, about 100 up to 8,192).

    On a CPU, oneDNN keeps memory for every distinct bf16 GEMM shape (about 0.6 MB each, never released), and
    glibc's heap fragments under blocks of ever-new sizes. Packed batches have one GEMM row per real token, so
    nearly every batch is a new shape and RSS climbs for as long as the process runs; padded to these sizes, it
    levels off (docs/runtime.md, "Memory over long runs")."""
    if count <= 16:
        return 16
    granule = max(16, 1 << (count.bit_length() - 5))
    return -(-count // granule) * granule


def pack(prompts: Sequence[TokenizedPrompt], indices: list[int]) -> PackedBatch:
    chosen = [prompts[i] for i in indices]
    seq_lens = [len(p.token_ids) for p in chosen]
    lens = torch.tensor(seq_lens)
    input_ids = torch.tensor([t for p in chosen for t in p.token_ids], dtype=torch.long)
    has_types = any(p.token_type_ids is not None for p in chosen)
    token_type_ids = (
        torch.tensor([t for p in chosen for t in (p.token_type_ids or [0] * len(p.token_ids))], dtype=torch.long)
        if has_types
        else None
    )
    position_ids = torch.cat([torch.arange(n) for n in seq_lens])
    segment_ids = torch.repeat_interleave(torch.arange(len(seq_lens)), lens)
    return PackedBatch(
        indices=indices,
        seq_lens=seq_lens,
        input_ids=input_ids,
        token_type_ids=token_type_ids,
        position_ids=position_ids,
        lens=lens,
        starts=torch.cumsum(lens, 0) - lens,
        segment_ids=segment_ids,
        padded_rows=segment_ids * max(seq_lens) + position_ids,
    )
