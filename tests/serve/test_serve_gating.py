"""Route gating per release: online-serving.md §1.2 ("What a client gets"), every row, plus the 0.18 column the
shim adds (spec §5.1) and the score type each release picks (§1.2, §5.1)."""

from __future__ import annotations

import logging

import pytest
import torch
from serve_helpers import M30, M31, NOT_FOUND, error

RELEASES = ("0.19", "0.20", "0.21")
TEXT = "the model is fast"
DOCUMENTS = ["a query of the document", "red blue step"]
BODIES = {
    "/v1/embeddings": {"input": TEXT},
    "/v2/embed": {"texts": [TEXT]},
    "/classify": {"input": TEXT},
    "/score": {"queries": TEXT, "documents": DOCUMENTS},
    "/v1/score": {"text_1": TEXT, "text_2": DOCUMENTS},
    "/rerank": {"query": TEXT, "documents": DOCUMENTS},
    "/v1/rerank": {"query": TEXT, "documents": DOCUMENTS},
    "/v2/rerank": {"query": TEXT, "documents": DOCUMENTS},
    "/pooling": {"input": TEXT},
}
SCORE_FAMILY = ("/score", "/v1/score", "/rerank", "/v1/rerank", "/v2/rerank")
E501 = {"status": 501, "body": error(M30, "NotImplementedError", 501)}
C501 = {"status": 501, "body": error(M31, "NotImplementedError", 501)}
OK, NF = {"status": 200}, {"status": 404, "body": NOT_FOUND}

# (routes, model kind) -> the answer per release 0.19, 0.20, 0.21 (online-serving.md §1.2).
TABLE = [
    (("/v1/embeddings", "/v2/embed"), "E", (OK, OK, OK)),
    (("/v1/embeddings", "/v2/embed"), "E'", (OK, OK, E501)),
    (("/v1/embeddings", "/v2/embed"), "M", (OK, OK, E501)),
    (("/v1/embeddings", "/v2/embed"), "C", (NF, NF, NF)),
    (("/v1/embeddings", "/v2/embed"), "X", (NF, NF, NF)),
    (("/classify",), "C", (OK, OK, OK)),
    (("/classify",), "X", (OK, OK, OK)),
    (("/classify",), "C'", (OK, OK, C501)),
    (("/classify",), "E", (NF, NF, NF)),
    (("/classify",), "M", (NF, NF, NF)),
    (SCORE_FAMILY, "E", (OK, OK, OK)),
    (SCORE_FAMILY, "E'", (OK, OK, OK)),
    (SCORE_FAMILY, "C", (NF, NF, NF)),
    (SCORE_FAMILY, "X", (OK, OK, OK)),
    (SCORE_FAMILY, "X'", (OK, OK, NF)),
    (SCORE_FAMILY, "M", (OK, OK, NF)),
    (("/pooling",), "E", (OK, OK, OK)),
    (("/pooling",), "C", (OK, OK, OK)),
]
CASES = [pytest.param(route, kind, release, expected, id=f"{route}-{kind}-{release}")
         for routes, kind, answers in TABLE for route in routes
         for release, expected in zip(RELEASES, answers)]


@pytest.mark.parametrize(("route", "kind", "release", "expected"), CASES)
def test_route_table(serve, route, kind, release, expected):
    response = serve(kind, release).post(route, json=BODIES[route])
    assert response.status_code == expected["status"], response.text
    if "body" in expected:
        assert response.json() == expected["body"]


@pytest.mark.parametrize(("route", "kind", "status"), [
    ("/v1/embeddings", "E", 200), ("/v1/embeddings", "C", 404), ("/classify", "C", 200), ("/classify", "E", 404),
    ("/pooling", "E", 200), ("/score", "E", 200), ("/score", "X", 200),
])
def test_018_registers_by_supported_task(serve, route, kind, status):
    assert serve(kind, "0.18").post(route, json=BODIES[route]).status_code == status


def test_018_registers_score_on_any_classifier_and_refuses_num_labels_3(serve):
    """0.18 still has the score task on every classifier (spec §5.1); scoring needs num_labels == 1 (M22)."""
    response = serve("C", "0.18").post("/score", json=BODIES["/score"])
    assert response.json() == error("Score API is only enabled for num_labels == 1.")


@pytest.mark.parametrize(("release", "logger_name", "text"), [
    ("0.19", "vllm.entrypoints.pooling", "Score API is only enabled for num_labels == 1."),
    ("0.20", "vllm.entrypoints.pooling.utils", "Scoring API is only enabled for num_labels == 1."),
    ("0.21", "vllm.entrypoints.pooling.utils", "Scoring API is only enabled for num_labels == 1."),
])
def test_score_routes_skipped_for_num_labels_3_log_m35(serve, caplog, release, logger_name, text):
    with caplog.at_level(logging.DEBUG, logger=logger_name):
        serve("C", release)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records if r.name == logger_name] == [
        (logger_name, logging.DEBUG, text)]


def _scores(client) -> list[float]:
    response = client.post("/score", json=BODIES["/score"])
    assert response.status_code == 200, response.text
    return [item["score"] for item in response.json()["data"]]


@pytest.mark.parametrize(("kind", "release", "score_type", "engine_name"), [
    ("E", "0.20", "bi-encoder", "bert"),
    ("E'", "0.20", "bi-encoder", "bert"),  # 0.19/0.20: the architecture decides
    ("E'", "0.21", "late-interaction", "bert"),  # 0.21: the default task decides (MaxSim)
    ("X", "0.21", "cross-encoder", "bert-ce"),
    ("X'", "0.20", "cross-encoder", "bert-ce"),
    ("M", "0.20", "bi-encoder", "bge-m3"),
])
def test_score_type_per_release(serve, engines, kind, release, score_type, engine_name):
    expected = engines[engine_name].score([(BODIES["/score"]["queries"], d) for d in DOCUMENTS], score_type)
    torch.testing.assert_close(torch.tensor(_scores(serve(kind, release))), torch.tensor(expected))


def test_late_interaction_scores_differ_from_cosine(serve):
    """The 0.21 switch is visible to a client: MaxSim sums over query tokens, cosine is at most 1."""
    assert max(_scores(serve("E'", "0.21"))) > 1.0
    assert max(_scores(serve("E'", "0.20"))) <= 1.0 + 1e-6


@pytest.mark.parametrize("release", ["0.18", "0.19", "0.20", "0.21"])
def test_always_registered_routes(serve, release):
    client = serve("C", release)
    for path in ("/health", "/ping", "/v1/models", "/version", "/metrics", "/load", "/docs", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    assert client.post("/ping").status_code == 200
    assert client.post("/tokenize", json={"prompt": TEXT}).status_code == 200
    assert client.post("/detokenize", json={"tokens": [2, 5, 3]}).status_code == 200
    assert client.post("/invocations", json={"input": TEXT}).status_code == 200


def test_018_bge_m3_has_no_combined_task(serve):
    """0.18's bge-m3 pooler lacks ``embed&token_classify``: the embed routes and scoring exist, /pooling falls back."""
    client = serve("M", "0.18")
    assert client.post("/v1/embeddings", json=BODIES["/v1/embeddings"]).status_code == 200
    assert client.post("/score", json=BODIES["/score"]).status_code == 200
    response = client.post("/pooling", json={"input": TEXT, "task": "embed&token_classify"})
    assert response.status_code == 400 and response.json()["error"]["type"] == "Bad Request"  # not a 0.18 literal
    assert len(client.post("/pooling", json={"input": TEXT}).json()["data"][0]["data"]) == 5  # ColBERT rows, BOS dropped
