"""The shim on the real engine with tiny random models: outputs, one engine per LLM, score types."""

from __future__ import annotations

import warnings

import pytest
import torch

from vllm_pooling_migrate.shim import LLM, PoolerConfig, PoolingParams

PROMPTS = ["the model is a token engine", "a query of the document"]


def quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def test_embed_returns_the_engines_numbers(tiny_models):
    llm = LLM(tiny_models["bert"])
    outputs = llm.embed(PROMPTS, use_tqdm=False)
    direct = llm.engine.run("embed", PROMPTS)
    for output, expected in zip(outputs, direct):
        assert output.outputs.embedding == expected.data.tolist()
        assert output.prompt_token_ids == expected.prompt_token_ids
    assert abs(torch.tensor(outputs[0].outputs.embedding).norm().item() - 1) < 1e-5  # normalised by default


def test_a_non_default_task_in_warn_mode_reuses_the_loaded_weights(tiny_models):
    llm = LLM(tiny_models["bert"])
    storage = {name: p.data_ptr() for name, p in llm.engine.model.named_parameters()}
    model = llm.engine.model
    embeddings = llm.embed(PROMPTS, use_tqdm=False)
    with pytest.warns(Warning, match="POOL005"):
        tokens = llm.encode(PROMPTS, pooling_task="token_embed", use_tqdm=False)
    assert llm.engine.model is model
    assert {name: p.data_ptr() for name, p in llm.engine.model.named_parameters()} == storage
    assert tokens[0].outputs.data.shape[0] == len(tokens[0].prompt_token_ids)
    assert len(embeddings[0].outputs.embedding) == tokens[0].outputs.data.shape[1]


def test_request_parameters_change_the_numbers(tiny_models):
    llm = LLM(tiny_models["bert-cls"])
    [probs] = llm.classify(PROMPTS[:1], use_tqdm=False)
    [logits] = llm.classify(PROMPTS[:1], pooling_params=PoolingParams(use_activation=False), use_tqdm=False)
    assert torch.allclose(torch.tensor(logits.outputs.probs).softmax(-1), torch.tensor(probs.outputs.probs))


def test_logit_bias_legacy_spelling_equals_logit_mean(tiny_models):
    [legacy] = LLM(tiny_models["bert-cls"], pooler_config=quiet(PoolerConfig, logit_bias=0.5)).classify(
        PROMPTS[:1], use_tqdm=False)
    [modern] = LLM(tiny_models["bert-cls"], pooler_config=PoolerConfig(logit_mean=0.5)).classify(
        PROMPTS[:1], use_tqdm=False)
    assert legacy.outputs.probs == modern.outputs.probs


def test_reward_is_token_classify(tiny_models):
    llm = LLM(tiny_models["bert-ner"])
    [reward] = quiet(llm.reward, PROMPTS[:1], use_tqdm=False)
    [encoded] = llm.encode(PROMPTS[:1], pooling_task="token_classify", use_tqdm=False)
    assert torch.equal(reward.outputs.data, encoded.outputs.data)


def test_cross_encoder_score_is_a_probability(tiny_models):
    results = LLM(tiny_models["bert-ce"]).score("the query", ["a document", "the model"], use_tqdm=False)
    assert [type(r.outputs.score) for r in results] == [float, float]
    assert all(0 < r.outputs.score < 1 for r in results)


def test_020_scores_by_architecture_and_021_by_default_task(tiny_models, target):
    config = PoolerConfig(task="token_embed")
    cosine = LLM(tiny_models["bert"], pooler_config=config).score("the query", "a document", use_tqdm=False)
    target("0.21")
    maxsim = LLM(tiny_models["bert"], pooler_config=config).score("the query", "a document", use_tqdm=False)
    assert -1 <= cosine[0].outputs.score <= 1
    assert maxsim[0].outputs.score > 1  # a sum over query tokens of per-token maxima of unit-vector dot products


def test_score_type_is_a_public_read_only_property(tiny_models, target):
    assert LLM(tiny_models["bert"]).score_type == "bi-encoder"
    cross_encoder = LLM(tiny_models["bert-ce"])
    assert cross_encoder.score_type == "cross-encoder"
    with pytest.raises(AttributeError):
        cross_encoder.score_type = "bi-encoder"
    late = LLM(tiny_models["bert"], pooler_config=PoolerConfig(task="token_embed"))
    assert late.score_type == "bi-encoder"  # 0.20: from the architecture
    target("0.21")
    assert LLM(tiny_models["bert"], pooler_config=PoolerConfig(task="token_embed")).score_type == "late-interaction"
    with pytest.raises(ValueError, match="This model does not support the Scoring API."):
        LLM(tiny_models["bert-ner"]).score_type  # noqa: B018 - the property raises vLLM's M26
