"""Tokenize once, check lengths, cut length-sorted batches by a token budget, pack each batch flat.

Sorting by token length keeps padding inside a batch small (unsorted batches of a mixed corpus carry ~25% real
tokens); a token budget instead of a fixed count keeps every batch about the same amount of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

Prompt = str | Sequence[int] | tuple[str, str]


@dataclass(frozen=True)
class TokenizedPrompt:
    token_ids: list[int]
    token_type_ids: list[int] | None = None


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


def truncation_length(truncate_prompt_tokens: int | None, max_model_len: int) -> int | None:
    """vLLM's ``truncate_prompt_tokens``: None = no truncation, -1 = the model's length, k = the last k tokens."""
    if truncate_prompt_tokens is None:
        return None
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


def tokenize_prompts(
    tokenizer, prompts: Sequence[Prompt], *, max_model_len: int, truncate_to: int | None
) -> list[TokenizedPrompt]:
    """Texts and text pairs go through the fast tokenizer in one call each; token-id prompts are taken as given.
    Truncation keeps the last ``truncate_to`` tokens (vLLM's left truncation); texts keep their special tokens."""
    tokenized: dict[int, TokenizedPrompt] = {}
    texts = [i for i, p in enumerate(prompts) if isinstance(p, str)]
    pairs = [i for i, p in enumerate(prompts) if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)]
    for index_group, is_pair in ((texts, False), (pairs, True)):
        if not index_group:
            continue
        args = (
            ([prompts[i][0] for i in index_group], [prompts[i][1] for i in index_group])
            if is_pair
            else ([prompts[i] for i in index_group],)
        )
        encoded = _call_tokenizer(tokenizer, args, truncate_to)
        type_ids = encoded.get("token_type_ids")
        for row, i in enumerate(index_group):
            tokenized[i] = TokenizedPrompt(encoded["input_ids"][row], type_ids[row] if type_ids is not None else None)
    for i, prompt in enumerate(prompts):
        if i in tokenized:
            continue
        if not isinstance(prompt, list | tuple) or not all(isinstance(t, int) for t in prompt):
            raise TypeError(f"Prompt {i} must be a string, a (text, text) pair or a list of token ids")
        ids = list(prompt)
        tokenized[i] = TokenizedPrompt(ids[-truncate_to:] if truncate_to is not None else ids)
    in_order = [tokenized[i] for i in range(len(prompts))]
    for tokens in in_order:
        if not tokens.token_ids:
            raise ValueError("The decoder prompt cannot be empty")
        if len(tokens.token_ids) > max_model_len:
            raise ValueError(too_long_message(len(tokens.token_ids), max_model_len))
    return in_order


def _call_tokenizer(tokenizer, args: tuple, truncate_to: int | None):
    if truncate_to is None:
        return tokenizer(*args, add_special_tokens=True)
    previous_side = tokenizer.truncation_side
    tokenizer.truncation_side = "left"
    try:
        return tokenizer(*args, add_special_tokens=True, truncation=True, max_length=truncate_to)
    finally:
        tokenizer.truncation_side = previous_side


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
