"""Offline, ``enable_chunked_processing``/``max_embed_len`` change nothing (vLLM chunks only in the server's embed
IO processor): the config is accepted, short prompts give the same vectors, a too-long prompt is refused as usual."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.shim import LLM, PoolerConfig

LONG = " ".join(["the model is fast and the engine is slow"] * 10)  # 92 tokens, 409 characters (under 64 × 8)
# vLLM's renderer (shim/prompt_limits.py) tokenizes a text only up to the limit + 1 tokens.
TOO_LONG = ("This model's maximum context length is 64 tokens. However, you requested 0 output tokens and your prompt "
            "contains at least 65 input tokens, for a total of at least 65 tokens. Please reduce the length of the "
            "input prompt or the number of requested output tokens. (parameter=input_tokens, value=65)")


@pytest.mark.parametrize("version", ["0.18", "0.19", "0.20", "0.21"])
def test_chunking_settings_are_accepted_and_inert_offline(tiny_models, target, version):
    target(version)
    plain = LLM(tiny_models["bert"])
    chunked = LLM(tiny_models["bert"], pooler_config=PoolerConfig(enable_chunked_processing=True, max_embed_len=500))
    assert chunked.pooler_config.enable_chunked_processing and chunked.pooler_config.max_embed_len == 500
    [expected] = plain.embed(["a query of the document"], use_tqdm=False)
    [actual] = chunked.embed(["a query of the document"], use_tqdm=False)
    assert actual.outputs.embedding == expected.outputs.embedding
    for llm in (plain, chunked):
        with pytest.raises(ValueError) as raised:
            llm.embed([LONG], use_tqdm=False)
        assert str(raised.value) == TOO_LONG


def test_max_embed_len_alone_is_accepted_offline(tiny_models):
    llm = LLM(tiny_models["bert"], pooler_config={"max_embed_len": 10})
    [output] = llm.embed(["the model is fast and the engine is slow today"], use_tqdm=False)  # 12 tokens > 10
    assert len(output.prompt_token_ids) > 10
