"""Tokenization, length checks, token-budget batches and the flat layout."""

from __future__ import annotations

import pytest
import torch

from vllm_pooling_migrate.runtime.batching import (PromptTooLongError, pack, plan_batches, tokenize_prompts,
                                                   truncation_length)


def test_batches_are_length_sorted_and_respect_the_token_budget():
    lengths = [5, 50, 7, 48, 6, 100, 49]
    batches = plan_batches(lengths, max_tokens=100, max_seqs=8)
    assert [i for batch in batches for i in batch] == sorted(range(7), key=lambda i: -lengths[i])
    assert batches[0] == [5]  # 100 tokens fill the budget alone
    for batch in batches:
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 100
    assert all(len(b) <= 2 for b in plan_batches(lengths, max_tokens=10_000, max_seqs=2))
    assert plan_batches([300], max_tokens=100, max_seqs=4) == [[0]]  # longer than the budget: alone


def test_pack_builds_the_flat_layout(tokenizer):
    prompts = tokenize_prompts(tokenizer, ["the model", ("a", "query is red")], max_model_len=64, truncate_to=None)
    batch = pack(prompts, [1, 0])
    assert batch.seq_lens == [7, 4] and batch.indices == [1, 0]  # [CLS] a [SEP] query is red [SEP]
    assert batch.starts.tolist() == [0, 7] and batch.position_ids.tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3]
    assert batch.token_type_ids.tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
    assert batch.padded_rows.tolist() == list(range(7)) + [7, 8, 9, 10]
    assert not batch.uniform and batch.max_len == 7
    assert torch.equal(batch.segment_ids, torch.tensor([0] * 7 + [1] * 4))


def test_truncation_rules():
    assert truncation_length(None, 64) is None
    assert truncation_length(-1, 64) == 64
    with pytest.raises(ValueError, match=r"truncate_prompt_tokens value \(65\) is greater than max_model_len \(64\)"):
        truncation_length(65, 64)
    with pytest.raises(ValueError, match="must be -1 or a positive integer"):
        truncation_length(0, 64)


def test_length_errors_name_the_length_and_limit(tokenizer):
    with pytest.raises(ValueError) as error:
        tokenize_prompts(tokenizer, ["the model is fast"], max_model_len=4, truncate_to=None)
    assert str(error.value) == (
        "The decoder prompt (length 6) is longer than the maximum model length of 4. "
        "Make sure that `max_model_len` is no smaller than the number of text tokens."
    )
    assert isinstance(error.value, PromptTooLongError)
    assert (error.value.length, error.value.max_model_len, error.value.from_text) == (6, 4, True)
    with pytest.raises(PromptTooLongError) as ids_error:
        tokenize_prompts(tokenizer, ["a", [5, 6, 7, 8, 9]], max_model_len=4, truncate_to=None)
    assert (ids_error.value.length, ids_error.value.from_text) == (5, False)  # the shim words it by prompt kind
    with pytest.raises(ValueError, match="cannot be empty"):
        tokenize_prompts(tokenizer, [[]], max_model_len=4, truncate_to=None)
    with pytest.raises(TypeError, match="Prompt 0 must be"):
        tokenize_prompts(tokenizer, [3.5], max_model_len=4, truncate_to=None)
