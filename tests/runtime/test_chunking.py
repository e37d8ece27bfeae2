"""Long inputs (vLLM's chunked processing): cut into max_model_len-token chunks, embedded per chunk, token-weighted
mean of the chunk vectors. Checked against transformers run by hand on each chunk."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import transformers

from vllm_pooling_migrate.runtime import TaskParams, load_engine
from vllm_pooling_migrate.runtime.chunking import split_into_chunks, weighted_mean
from vllm_pooling_migrate.runtime.testing import CLS, SEP

# 15 * 9 words + [CLS] + [SEP] = 137 tokens: chunks of 64, 64 and 9 on a 64-position model.
LONG = " ".join(["the model is fast and the engine is slow"] * 15)
POOLS = {"CLS": lambda h: h[0], "MEAN": lambda h: h.mean(0), "LAST": lambda h: h[-1]}


def by_hand(path, token_ids: list[int], chunk_len: int, pool, normalize: bool) -> torch.Tensor:
    """What vLLM computes: each chunk through the model alone, pooled (and normalised) on its own, then
    sum(vector * len) / total len in float32."""
    model = transformers.BertModel.from_pretrained(path).eval()
    total, weight = None, 0
    for start in range(0, len(token_ids), chunk_len):
        chunk = token_ids[start:start + chunk_len]
        with torch.inference_mode():
            hidden = model(input_ids=torch.tensor([chunk])).last_hidden_state[0]
        vector = pool(hidden)
        vector = F.normalize(vector, dim=-1) if normalize else vector
        total = vector * len(chunk) if total is None else total + vector * len(chunk)
        weight += len(chunk)
    return total / weight


def test_split_into_chunks_is_consecutive_slices_without_added_tokens():
    assert split_into_chunks([CLS, 5, 6, 7, 8, SEP], 4) == [[CLS, 5, 6, 7], [8, SEP]]
    assert split_into_chunks([1, 2, 3, 4], 4) == [[1, 2, 3, 4]]
    assert split_into_chunks([], 4) == []
    with pytest.raises(ValueError, match="chunk_len must be a positive integer"):
        split_into_chunks([1], 0)


def test_weighted_mean_weights_by_token_count_in_float32_without_renormalising():
    a, b = torch.tensor([1.0, 0.0], dtype=torch.float16), torch.tensor([0.0, 1.0])
    mean = weighted_mean([a, b], [3, 1])
    assert mean.dtype == torch.float32
    torch.testing.assert_close(mean, torch.tensor([0.75, 0.25]))  # norm 0.79: not normalised again
    with pytest.raises(ValueError):
        weighted_mean([a], [1, 2])


@pytest.mark.parametrize("pooling", ["MEAN", "CLS", "LAST"])
def test_a_long_text_equals_the_chunks_embedded_by_hand(tiny, pooling):
    engine = load_engine(tiny["bert"], dtype="float32", pooler_overrides={"pooling_type": pooling})
    assert engine.info.max_model_len == 64
    (result,) = engine.embed_in_chunks([LONG])
    ids = engine.tokenizer(LONG)["input_ids"]
    assert len(ids) == 137 and result.prompt_token_ids == ids
    expected = by_hand(tiny["bert"], ids, 64, POOLS[pooling], normalize=True)
    torch.testing.assert_close(result.data, expected, atol=2e-5, rtol=1e-4)
    assert abs(result.data.norm().item() - 1.0) > 1e-3  # a mean of unit vectors, as vLLM returns it


def test_parameters_apply_per_chunk_and_prompts_keep_their_order(tiny):
    engine = load_engine(tiny["bert"], dtype="float32", pooler_overrides={"pooling_type": "MEAN"})
    ids = [5 + (i % 20) for i in range(130)]  # token ids: taken as given, no special tokens added
    short, long_raw, long_text = engine.embed_in_chunks(
        ["a query", ids, LONG], [TaskParams(), TaskParams(use_activation=False), TaskParams()])
    torch.testing.assert_close(long_raw.data, by_hand(tiny["bert"], ids, 64, POOLS["MEAN"], normalize=False),
                               atol=2e-5, rtol=1e-4)
    assert long_raw.prompt_token_ids == ids
    # A short prompt is one chunk: v * n / n, the ordinary result.
    torch.testing.assert_close(short.data, engine.run("embed", ["a query"])[0].data, atol=1e-6, rtol=1e-6)
    assert long_text.prompt_token_ids == engine.tokenizer(LONG)["input_ids"]


def test_matryoshka_dimensions_are_cut_per_chunk_before_the_mean(tiny):
    engine = load_engine(tiny["bert-matryoshka"], dtype="float32", pooler_overrides={"pooling_type": "MEAN"})
    (result,) = engine.embed_in_chunks([LONG], TaskParams(dimensions=8))
    ids = engine.tokenizer(LONG)["input_ids"]
    expected = by_hand(tiny["bert-matryoshka"], ids, 64, lambda h: h.mean(0)[:8], normalize=True)
    assert result.data.shape == (8,)
    torch.testing.assert_close(result.data, expected, atol=2e-5, rtol=1e-4)


def test_empty_and_out_of_vocabulary_prompts_are_refused_as_usual(tiny):
    engine = load_engine(tiny["bert"], dtype="float32")
    with pytest.raises(ValueError, match="The decoder prompt cannot be empty"):
        engine.embed_in_chunks([[]])
    with pytest.raises(ValueError, match="Token id 100000 is out of vocabulary"):
        engine.embed_in_chunks([[5] * 100 + [100000]])
    with pytest.raises(ValueError, match="Unsupported task: 'embed'"):
        load_engine(tiny["bert-cls"], dtype="float32").embed_in_chunks(["a"])
