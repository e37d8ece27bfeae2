"""Offline, ``enable_chunked_processing``/``max_embed_len`` change nothing (vLLM chunks only in the server's embed
IO processor): the config is accepted, short prompts give the same vectors, a too-long prompt is refused as usual."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.shim import LLM, PoolerConfig

LONG = " ".join(["the model is fast and the engine is slow"] * 15)  # 137 tokens on a 64-position model
TOO_LONG = ("The decoder prompt (length 137) is longer than the maximum model length of 64. Make sure that "
            "`max_model_len` is no smaller than the number of text tokens.")


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
