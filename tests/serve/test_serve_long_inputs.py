"""Long inputs online (vLLM 0.18.1-0.21.0): ``enable_chunked_processing`` lifts the input limit of /v1/embeddings and
/v2/embed and embeds every prompt as the token-weighted mean of its max_model_len-token chunks; ``max_embed_len``
(chunking off) sets the input limit with vLLM's "output tokens" text. Checked against transformers run by hand."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
import transformers
from starlette.testclient import TestClient

from serve_helpers import error, too_long, validation_error
from vllm_pooling_migrate.shim.serve.app.factory import build_app
from vllm_pooling_migrate.shim.serve.cli.args import parse_serve_args

LONG = " ".join(["the model is fast and the engine is slow"] * 15)  # 137 tokens; the model has 64 positions
SHORT = "a query of the document"
CHUNKED = ["--pooler-config", '{"enable_chunked_processing": true}']
# LONG has 614 characters: over 64 tokens x 8 (the tiny vocabulary's longest entry), refused before tokenizing.
LONG_TEXT_REFUSAL = ("This model's maximum context length is 64 tokens. However, you requested 0 output tokens and your "
                     "prompt contains 614 characters (more than 512 characters, which is the upper bound for 64 input "
                     "tokens). Please reduce the length of the input prompt or the number of requested output tokens.")
POOLS = {"CLS": lambda h: h[0], "MEAN": lambda h: h.mean(0), "LAST": lambda h: h[-1]}


def by_hand(path: str, token_ids: list[int], pool) -> list[float]:
    """vLLM's chunked processing: 64-token slices, each pooled and normalised alone, mean weighted by length."""
    model = transformers.BertModel.from_pretrained(path).eval()
    total, weight = None, 0
    for start in range(0, len(token_ids), 64):
        chunk = token_ids[start:start + 64]
        with torch.inference_mode():
            vector = F.normalize(pool(model(input_ids=torch.tensor([chunk])).last_hidden_state[0]), dim=-1)
        total = vector * len(chunk) if total is None else total + vector * len(chunk)
        weight += len(chunk)
    return (total / weight).tolist()


def close(actual: list[float], expected: list[float], tol: float = 2e-5) -> None:
    torch.testing.assert_close(torch.tensor(actual), torch.tensor(expected), atol=tol, rtol=1e-4)


def config(**fields) -> list[str]:
    return ["--pooler-config", json.dumps(fields)]


@pytest.mark.parametrize("release", ["0.18", "0.19", "0.20", "0.21"])
def test_a_long_input_is_embedded_by_chunks(serve, engines, model_paths, release):
    client = serve("E", release, *CHUNKED)
    response = client.post("/v1/embeddings", json={"input": [SHORT, LONG]})
    assert response.status_code == 200, response.text
    body = response.json()
    ids = engines["bert"].tokenizer(LONG)["input_ids"]
    assert len(ids) == 137
    assert body["usage"]["prompt_tokens"] == 137 + len(engines["bert"].tokenizer(SHORT)["input_ids"])
    close(body["data"][1]["embedding"], by_hand(model_paths["bert"], ids, POOLS["CLS"]))
    plain = serve("E", release).post("/v1/embeddings", json={"input": SHORT}).json()
    close(body["data"][0]["embedding"], plain["data"][0]["embedding"], tol=1e-6)  # one chunk: v * n / n


def test_token_id_input_is_chunked_as_given(serve, model_paths):
    ids = [5 + (i % 20) for i in range(150)]
    body = serve("E", "0.21", *CHUNKED).post("/v1/embeddings", json={"input": ids}).json()
    close(body["data"][0]["embedding"], by_hand(model_paths["bert"], ids, POOLS["CLS"]))


@pytest.mark.parametrize("pooling", ["MEAN", "LAST"])
def test_every_pooling_type_is_accepted_and_pools_each_chunk(model_paths, pooling):
    """vLLM has no pooling-type check for chunked processing: each chunk is pooled the model's way."""
    from vllm_pooling_migrate.runtime import load_engine

    engine = load_engine(model_paths["bert"], dtype="float32", pooler_overrides={"pooling_type": pooling})
    settings = parse_serve_args([model_paths["bert"], "--target-version", "0.21",
                                 *config(pooling_type=pooling, enable_chunked_processing=True)])
    with TestClient(build_app(settings, engine=engine)) as client:
        body = client.post("/v1/embeddings", json={"input": LONG}).json()
    close(body["data"][0]["embedding"], by_hand(model_paths["bert"], engine.tokenizer(LONG)["input_ids"],
                                                 POOLS[pooling]))


def test_max_embed_len_is_ignored_when_chunking(serve):
    client = serve("E", "0.21", *config(enable_chunked_processing=True, max_embed_len=100))
    assert client.post("/v1/embeddings", json={"input": LONG}).status_code == 200


def test_cohere_embed_is_chunked_too(serve):
    client = serve("E", "0.20", *CHUNKED)
    openai = client.post("/v1/embeddings", json={"input": LONG}).json()["data"][0]["embedding"]
    cohere = client.post("/v2/embed", json={"texts": [LONG]}).json()
    close(cohere["embeddings"]["float"][0], openai, tol=1e-6)
    assert cohere["meta"]["billed_units"]["input_tokens"] == 137


@pytest.mark.parametrize("release", ["0.20", "0.21"])
def test_pooling_keeps_the_model_length_and_runs_embed_through_the_chunk_mean(serve, release):
    client = serve("E", release, *CHUNKED)
    response = client.post("/pooling", json={"input": LONG})
    assert response.json() == validation_error(LONG_TEXT_REFUSAL, "input_text", 614)
    response = client.post("/pooling", json={"input": [5] * 70})
    assert response.json() == validation_error(too_long(64, 70), "input_tokens", 70)
    pooled = client.post("/pooling", json={"input": SHORT, "task": "embed"}).json()["data"][0]["data"]
    embedded = client.post("/v1/embeddings", json={"input": SHORT}).json()["data"][0]["embedding"]
    assert pooled == embedded


def test_without_chunking_a_long_input_gets_the_usual_refusal(serve):
    client = serve("E", "0.21")
    assert client.post("/v1/embeddings", json={"input": LONG}).json() == validation_error(LONG_TEXT_REFUSAL, "input_text", 614)
    shorter = " ".join(["the model is fast and the engine is slow"] * 8)  # 74 tokens, 327 characters
    response = client.post("/v1/embeddings", json={"input": shorter})
    assert response.json() == validation_error(too_long(64, 65, at_least=True), "input_tokens", 65)


MAX_EMBED_20 = config(max_embed_len=20)


def test_max_embed_len_below_the_model_length_is_the_input_limit(serve, engines):
    client = serve("E", "0.21", *MAX_EMBED_20)
    ids = [5] * 30
    response = client.post("/v1/embeddings", json={"input": ids})
    assert response.json() == validation_error(
        "This model's maximum context length is 64 tokens. However, you requested 44 output tokens and your prompt "
        "contains 30 input tokens, for a total of 74 tokens. Please reduce the length of the input prompt or the "
        "number of requested output tokens.", "input_tokens", 30)
    assert client.post("/v1/embeddings", json={"input": [5] * 20}).status_code == 200
    truncated = client.post("/v1/embeddings", json={"input": ids, "truncate_prompt_tokens": -1}).json()
    assert truncated["usage"]["prompt_tokens"] == 20
    response = client.post("/v1/embeddings", json={"input": ids, "truncate_prompt_tokens": 30})
    assert response.json() == validation_error(
        "truncate_prompt_tokens=30 cannot be greater than max_model_len - max_model_len - max_embed_len = 20. "
        "Please request a smaller truncation size.", "truncate_prompt_tokens", 30)
    # Other routes keep max_model_len.
    assert client.post("/pooling", json={"input": ids}).status_code == 200


def test_max_embed_len_above_the_model_length_lets_the_engine_refuse(serve):
    client = serve("E", "0.21", *config(max_embed_len=100))
    response = client.post("/v1/embeddings", json={"input": [5] * 80})
    assert response.json() == error("The decoder prompt (length 80) is longer than the maximum model length of 64. "
                                    "Make sure that `max_model_len` is no smaller than the number of text tokens.")
    response = client.post("/v1/embeddings", json={"input": [5] * 101})
    assert response.json() == validation_error(
        "This model's maximum context length is 64 tokens. However, you requested -36 output tokens and your prompt "
        "contains at least 101 input tokens, for a total of at least 65 tokens. Please reduce the length of the "
        "input prompt or the number of requested output tokens.", "input_tokens", 101)


@pytest.mark.parametrize(("release", "gap"), [("0.19", ""), ("0.20", " ")])
def test_a_negative_max_embed_len_fails_every_embeddings_request(serve, release, gap):
    response = serve("E", release, *config(max_embed_len=-6)).post("/v1/embeddings", json={"input": SHORT})
    assert response.json() == validation_error(
        f"max_model_len - max_embed_len=70{gap}cannot be greater than max_model_len=max_total_tokens=64. Please "
        "request fewer output tokens.", "max_model_len - max_embed_len", 70)


def test_the_server_loads_a_model_with_both_fields_set(model_paths):
    settings = parse_serve_args([model_paths["bert"], "--target-version", "0.21",
                                 *config(enable_chunked_processing=True, max_embed_len=300)])
    with TestClient(build_app(settings)) as client:
        assert client.post("/v1/embeddings", json={"input": LONG}).status_code == 200


def test_cohere_max_tokens_is_checked_against_the_input_limit_not_the_serving_rule(serve):
    """/v2/embed has no truncate_prompt_tokens field, so vLLM's serving check (> max_model_len) does not run; its
    max_tokens reaches TokenizeParams, whose text names the embeddings limit."""
    body = {"texts": [LONG], "truncate": "END", "max_tokens": 100}
    response = serve("E", "0.21").post("/v2/embed", json=body)
    assert response.json() == validation_error(
        "truncate_prompt_tokens=100 cannot be greater than max_model_len - max_model_len - max_embed_len = 64. "
        "Please request a smaller truncation size.", "truncate_prompt_tokens", 100)
    chunked = serve("E", "0.21", *CHUNKED).post("/v2/embed", json=body).json()  # no limit: 100 tokens, 2 chunks
    assert chunked["meta"]["billed_units"]["input_tokens"] == 100
    start = serve("E", "0.21").post("/v2/embed", json={"texts": [LONG], "truncate": "START"}).json()
    assert start["meta"]["billed_units"]["input_tokens"] == 64  # -1: the input limit
