"""Response bodies: vectors equal the offline engine's, vLLM's shapes and id prefixes per release, usage blocks,
truncation, the informational routes, legacy body keys, and one warn-mode server answering several tasks."""

from __future__ import annotations

import logging
import os

import pytest
import torch
from serve_helpers import V1_RERANK, V1_SCORE, records

from vllm_pooling_migrate.runtime import TaskParams
from vllm_pooling_migrate.shim import report
from vllm_pooling_migrate.shim.deprecations import AlreadyRemovedWarning

TEXTS = ["the model is fast", "a query of the document", "red"]
LONG = " ".join(["model", "engine", "token"] * 25)


def post(client, route, **body):
    response = client.post(route, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_embeddings_equal_the_offline_engine(serve, engines):
    body = post(serve("E", "0.20"), "/v1/embeddings", input=TEXTS)
    assert list(body) == ["id", "object", "created", "model", "data", "usage"]
    assert body["id"].startswith("embd-") and body["object"] == "list" and isinstance(body["created"], int)
    assert [list(item) for item in body["data"]] == [["index", "object", "embedding"]] * 3
    assert [item["index"] for item in body["data"]] == [0, 1, 2]
    expected = torch.stack([r.data for r in engines["bert"].run("embed", TEXTS)])
    torch.testing.assert_close(torch.tensor([item["embedding"] for item in body["data"]]), expected)
    assert body["usage"] == {"prompt_tokens": 6 + 7 + 3, "total_tokens": 16, "completion_tokens": 0,
                             "prompt_tokens_details": None}


def test_token_id_inputs_equal_text_inputs(serve):
    client = serve("E", "0.20")
    ids = client.post("/tokenize", json={"prompt": TEXTS[0]}).json()["tokens"]
    by_ids = post(client, "/v1/embeddings", input=ids)["data"][0]["embedding"]
    assert by_ids == post(client, "/v1/embeddings", input=TEXTS[0])["data"][0]["embedding"]
    assert len(post(client, "/v1/embeddings", input=[ids, ids])["data"]) == 2


def test_use_activation_false_gives_unnormalised_vectors(serve, engines):
    vector = post(serve("E", "0.20"), "/v1/embeddings", input=TEXTS[0], use_activation=False)["data"][0]["embedding"]
    expected = engines["bert"].run("embed", [TEXTS[0]], TaskParams(use_activation=False))[0].data
    torch.testing.assert_close(torch.tensor(vector), expected)
    assert abs(expected.norm().item() - 1.0) > 1e-3


def test_classify_body(serve, engines):
    body = post(serve("C", "0.21"), "/classify", input=TEXTS[:2])
    assert body["id"].startswith("classify-") and list(body) == ["id", "object", "created", "model", "data", "usage"]
    expected = [r.data for r in engines["bert-cls"].run("classify", TEXTS[:2])]
    for item, probs in zip(body["data"], expected):
        assert list(item) == ["index", "label", "probs", "num_classes"]
        torch.testing.assert_close(torch.tensor(item["probs"]), probs)
        assert item["label"] == f"LABEL_{int(probs.argmax())}" and item["num_classes"] == 3


@pytest.mark.parametrize(("release", "prefix"), [("0.19", "rerank-"), ("0.20", "score-"), ("0.21", "score-")])
def test_rerank_body(serve, engines, release, prefix):
    documents = ["red blue step", "the model is fast", "a query"]
    body = post(serve("X", release), "/rerank", query="the model", documents=documents, top_n=2)
    assert list(body) == ["id", "model", "usage", "results"] and body["id"].startswith(prefix)
    scores = engines["bert-ce"].score([("the model", d) for d in documents], "cross-encoder")
    order = sorted(range(3), key=lambda i: -scores[i])[:2]
    assert [r["index"] for r in body["results"]] == order
    assert [r["document"] for r in body["results"]] == [{"text": documents[i]} for i in order]
    torch.testing.assert_close(torch.tensor([r["relevance_score"] for r in body["results"]]),
                               torch.tensor([scores[i] for i in order]))
    assert list(body["usage"]) == ["prompt_tokens", "total_tokens"]
    assert len(post(serve("X", release), "/v2/rerank", query="a", documents=documents)["results"]) == 3  # top_n 0


def test_score_body_and_the_four_spellings(serve):
    client = serve("E", "0.20")
    results = []
    for left, right in (("queries", "documents"), ("queries", "items"), ("data_1", "data_2"), ("text_1", "text_2")):
        body = post(client, "/score", **{left: "the model", right: ["the model", "red"]})
        assert body["id"].startswith("score-") and list(body["data"][0]) == ["index", "object", "score"]
        results.append([item["score"] for item in body["data"]])
    assert all(r == results[0] for r in results) and results[0][0] == pytest.approx(1.0, abs=1e-6)
    pairs = post(client, "/score", text_1=["the model", "red"], text_2=["red", "red"])["data"]  # N:N
    assert pairs[1]["score"] == pytest.approx(1.0, abs=1e-6)


def test_v1_score_logs_every_call_and_v1_rerank_once(serve, caplog):
    client = serve("E", "0.20")
    for _ in range(2):
        post(client, "/v1/score", text_1="a", text_2="b")
        post(client, "/v1/rerank", query="a", documents=["b"])
    assert records(caplog, "vllm.entrypoints.pooling.scoring.api_router") == [V1_SCORE, V1_RERANK, V1_SCORE]
    client = serve("E", "0.19")
    post(client, "/v1/score", text_1="a", text_2="b")
    assert records(caplog, "vllm.entrypoints.pooling.score.api_router") == [V1_SCORE]


def test_truncate_prompt_tokens(serve, engines):
    client = serve("E", "0.20")
    engine = engines["bert"]
    for k in (10, -1):
        vector = post(client, "/v1/embeddings", input=LONG, truncate_prompt_tokens=k)["data"][0]["embedding"]
        expected = engine.run("embed", [LONG], truncate_prompt_tokens=k)[0].data
        torch.testing.assert_close(torch.tensor(vector), expected)
    ids = list(range(5, 25))
    left = post(client, "/v1/embeddings", input=ids, truncate_prompt_tokens=4)
    assert left["usage"]["prompt_tokens"] == 4
    torch.testing.assert_close(torch.tensor(left["data"][0]["embedding"]), engine.run("embed", [ids[-4:]])[0].data)
    right = post(client, "/v1/embeddings", input=ids, truncate_prompt_tokens=4, truncation_side="right")
    torch.testing.assert_close(torch.tensor(right["data"][0]["embedding"]), engine.run("embed", [ids[:4]])[0].data)


def test_add_special_tokens_false(serve):
    assert post(serve("E", "0.20"), "/v1/embeddings", input="red", add_special_tokens=False)["usage"][
        "prompt_tokens"] == 1


def test_request_ids(serve):
    client = serve("E", "0.20")
    assert post(client, "/v1/embeddings", input="a", request_id="mine")["id"] == "embd-mine"
    response = client.post("/v1/embeddings", json={"input": "a", "request_id": "mine"}, headers={"X-Request-Id": "hdr"})
    assert response.json()["id"] == "embd-hdr"


@pytest.mark.parametrize("key", ["normalize", "softmax", "activation"])
def test_legacy_body_keys_are_ignored_but_said(serve, caplog, key):
    client = serve("E", "0.20")
    plain = post(client, "/v1/embeddings", input="a")["data"][0]["embedding"]
    with caplog.at_level(logging.DEBUG, logger="vllm.entrypoints.openai.engine.protocol"):
        with pytest.warns(AlreadyRemovedWarning) as caught:
            legacy = post(client, "/v1/embeddings", input="a", **{key: False})["data"][0]["embedding"]
            post(client, "/v1/embeddings", input="a", **{key: False})
    assert legacy == plain  # ignored, as vLLM 0.17+ ignores it
    ignored = f"The following fields were present in the request but ignored: {{{key!r}}}"
    assert ignored in records(caplog, "vllm.entrypoints.openai.engine.protocol")
    ours = records(caplog, "vllm_pooling_migrate.shim.serve")
    assert len(ours) == 1 and ours[0].startswith(f"POOL010: request field '{key}' on /v1/embeddings is ignored")
    assert caught[0].message.code == "POOL010" and caught[0].message.vllm_text == ignored
    assert report.snapshot()[("POOL010", "<http POST /v1/embeddings>", 0)] >= 2


def test_warn_mode_serves_several_tasks_from_one_model(serve):
    client = serve("E", "0.20")
    assert len(post(client, "/v1/embeddings", input="a")["data"][0]["embedding"]) == 32
    with pytest.warns(Warning, match="POOL019"):
        assert len(post(client, "/pooling", input="the model", task="token_embed")["data"][0]["data"]) == 4
    assert len(post(client, "/score", text_1="a", text_2=["b", "c"])["data"]) == 2
    assert len(post(client, "/rerank", query="a", documents=["b"])["results"]) == 1


def test_models_tokenize_detokenize_version_load(serve, model_paths):
    client = serve("E", "0.21", "--served-model-name", "mini")
    models = client.get("/v1/models").json()
    assert models["object"] == "list" and [m["id"] for m in models["data"]] == ["mini"]
    card = models["data"][0]
    assert list(card) == ["id", "object", "created", "owned_by", "root", "parent", "max_model_len", "permission"]
    assert (card["object"], card["owned_by"], card["root"], card["parent"], card["max_model_len"]) == (
        "model", "vllm", model_paths["bert"], None, 64)
    assert card["permission"][0]["object"] == "model_permission"
    tokens = post(client, "/tokenize", prompt="the model", return_token_strs=True)
    assert tokens == {"count": 4, "max_model_len": 64, "tokens": [2, 5, 13, 3],
                      "token_strs": ["[CLS]", "the", "model", "[SEP]"]}
    assert post(client, "/tokenize", prompt="the model", add_special_tokens=False)["token_strs"] is None
    assert post(client, "/detokenize", tokens=[5, 13]) == {"prompt": "the model"}
    assert client.get("/version").json() == {"version": "0.21.0"}
    assert client.get("/load").json() == {"server_load": 0}
    health = client.get("/health")
    assert (health.status_code, health.content) == (200, b"")


@pytest.mark.parametrize(("release", "version"), [("0.18", "0.18.1"), ("0.19", "0.19.1"), ("0.20", "0.20.2")])
def test_version_per_release(serve, release, version):
    assert serve("E", release).get("/version").json() == {"version": version}


def test_health_is_503_when_the_engine_worker_is_gone(serve):
    client = serve("E", "0.20")
    client.app.state.server.scheduler.close()
    assert client.get("/health").status_code == 503 and client.get("/ping").status_code == 503


def test_docs_can_be_turned_off(serve):
    client = serve("E", "0.20", "--disable-fastapi-docs")
    assert [client.get(p).status_code for p in ("/docs", "/openapi.json", "/redoc")] == [404, 404, 404]
    assert "/v1/embeddings" in serve("E", "0.20").get("/openapi.json").json()["paths"]


def test_metrics(serve):
    client = serve("E", "0.20")
    post(client, "/v1/embeddings", input=TEXTS)
    client.get("/nowhere")
    text = client.get("/metrics").text
    assert 'pooling_serve_requests_total{method="POST",route="/v1/embeddings",status="200"} 1.0' in text
    assert 'pooling_serve_requests_total{method="GET",route="<unmatched>",status="404"} 1.0' in text
    assert 'pooling_serve_request_duration_seconds_count{method="POST",route="/v1/embeddings"} 1.0' in text
    assert "pooling_serve_batch_prompts_sum 3.0" in text and "pooling_serve_prompt_tokens_total 16.0" in text
    assert "pooling_serve_queue_prompts 0.0" in text and "pooling_serve_requests_in_flight 1.0" in text


@pytest.mark.parametrize(("kind", "release", "body", "key"), [
    ("E", "0.20", {"input": "the model"}, "embedding"),
    ("C", "0.20", {"input": "the model"}, "probs"),
    ("E'", "0.21", {"input": "the model"}, "data"),  # no embeddings handler: validated as a pooling request
    ("X", "0.20", {"query": "a", "documents": ["b"]}, "results"),
    ("X", "0.20", {"text_1": "a", "text_2": "b"}, "score"),
])
def test_invocations_dispatch(serve, kind, release, body, key):
    answer = post(serve(kind, release), "/invocations", **body)
    assert key in answer or key in answer["data"][0]
    if kind == "E'":
        assert len(answer["data"][0]["data"]) == 4  # per-token vectors


def test_cohere_v2_embed(serve, engines):
    body = post(serve("E", "0.20"), "/v2/embed", texts=TEXTS[:2], input_type="search_document")
    assert list(body) == ["id", "embeddings", "texts", "meta", "response_type"]
    assert body["response_type"] == "embeddings_by_type" and body["texts"] == TEXTS[:2]
    assert body["meta"] == {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 13, "image_tokens": 0}}
    torch.testing.assert_close(torch.tensor(body["embeddings"]["float"]),
                               torch.stack([r.data for r in engines["bert"].run("embed", TEXTS[:2])]))
