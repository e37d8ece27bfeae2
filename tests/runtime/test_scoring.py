"""Score types (spec §10.4): cross-encoder on pairs with token type ids, bi-encoder cosine, late-interaction MaxSim."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import transformers

from vllm_pooling_migrate.runtime import load_engine

PAIRS = [("the model is fast", "a fast engine"), ("a query", "the document of the query is red"), ("it", "it")]


def test_cross_encoder_scores_pairs_with_token_type_ids(tiny):
    engine = load_engine(tiny["bert-ce"], dtype="float32")
    scores = engine.score(PAIRS, "cross-encoder")
    model = transformers.BertForSequenceClassification.from_pretrained(tiny["bert-ce"]).eval()
    for (query, document), score in zip(PAIRS, scores, strict=True):
        encoded = engine.tokenizer(query, document, return_tensors="pt")
        assert encoded["token_type_ids"].sum() > 0  # the second segment is marked
        with torch.inference_mode():
            logit = model(**encoded).logits[0, 0]
            without_types = model(input_ids=encoded["input_ids"]).logits[0, 0]
        assert score == pytest.approx(torch.sigmoid(logit).item(), abs=1e-5)
        assert score != pytest.approx(torch.sigmoid(without_types).item(), abs=1e-5)
    raw = engine.score(PAIRS[:1], "cross-encoder", use_activation=False)[0]
    assert raw == pytest.approx(torch.logit(torch.tensor(scores[0]), eps=0).item(), abs=1e-4)


def test_bi_encoder_is_the_cosine_of_embeddings(tiny):
    engine = load_engine(tiny["bert-st-mean"], dtype="float32")
    scores = engine.score(PAIRS, "bi-encoder")
    for (query, document), score in zip(PAIRS, scores, strict=True):
        a, b = (r.data for r in engine.run("embed", [query, document]))
        assert score == pytest.approx(F.cosine_similarity(a, b, dim=0).item(), abs=1e-6)
    assert scores[2] == pytest.approx(1.0, abs=1e-6)


def test_late_interaction_is_maxsim_over_token_embeddings(tiny):
    engine = load_engine(tiny["bert"], dtype="float32")
    scores = engine.score(PAIRS, "late-interaction")
    for (query, document), score in zip(PAIRS, scores, strict=True):
        q, d = (r.data for r in engine.run("token_embed", [query, document]))
        expected = max_sim = (q @ d.T).max(dim=1).values.sum().item()
        assert score == pytest.approx(expected, abs=1e-5)
        assert max_sim <= len(q) + 1e-5  # unit vectors: each query token contributes at most 1


def test_unknown_score_type_and_cross_encoder_on_an_embedding_model(tiny):
    engine = load_engine(tiny["bert"], dtype="float32")
    with pytest.raises(ValueError, match="Unknown score type"):
        engine.score(PAIRS, "dot")
    with pytest.raises(ValueError, match="Unsupported task: 'classify'"):
        engine.score(PAIRS, "cross-encoder")


def test_pairs_on_a_model_with_one_token_type(tiny):
    engine = load_engine(tiny["xlmr-cls"], dtype="float32")
    model = transformers.XLMRobertaForSequenceClassification.from_pretrained(tiny["xlmr-cls"]).eval()
    for pair, result in zip(PAIRS, engine.run("classify", PAIRS), strict=True):
        with torch.inference_mode():
            logits = model(input_ids=engine.tokenizer(*pair, return_tensors="pt")["input_ids"]).logits[0]
        torch.testing.assert_close(result.data, logits.softmax(-1), atol=2e-5, rtol=1e-4)


def test_empty_inputs(tiny):
    engine = load_engine(tiny["bert"], dtype="float32")
    assert engine.run("embed", []) == []
    assert engine.score([], "bi-encoder") == [] and engine.score([], "late-interaction") == []
