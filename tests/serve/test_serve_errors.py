"""Bad requests get vLLM's status and body (online-serving.md "Error body shapes", §2 "Further rules", §3 items 3-4).

Validation texts depend on the FastAPI version (online-serving.md: "never assert it byte for byte"): for those the
status, the type "Bad Request" and a telling fragment are checked; every other body is compared whole."""

from __future__ import annotations

import asyncio

import pytest
from serve_helpers import METHOD_NOT_ALLOWED, NOT_FOUND, error, too_long, validation_error

from vllm_pooling_migrate.shim.serve.app.middleware import ConcurrencyLimitMiddleware

TEXT = "the model is fast"
LONG = " ".join(["model"] * 70)  # 72 tokens with [CLS] and [SEP]; the tiny models take 64


@pytest.fixture
def client(serve):
    return serve("E", "0.20")


def bad_request(response, fragment: str = "") -> None:
    assert response.status_code == 400, response.text
    body = response.json()["error"]
    assert (body["type"], body["code"], body["param"]) == ("Bad Request", 400, None)
    assert fragment in body["message"]


def test_malformed_json(client):
    response = client.post("/v1/embeddings", content=b'{"input": ', headers={"content-type": "application/json"})
    bad_request(response, "JSON decode error")


@pytest.mark.parametrize("headers", [{"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"}, {}])
def test_wrong_or_missing_content_type(client, headers):
    response = client.post("/v1/embeddings", content=b'{"input": "a"}', headers=headers)
    bad_request(response, "Unsupported Media Type: Only 'application/json' is allowed")


def test_json_content_type_with_charset_is_fine(client):
    response = client.post("/v1/embeddings", content=b'{"input": "a"}',
                           headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/embeddings"), ("GET", "/pooling"), ("PUT", "/score"),
                                              ("POST", "/health"), ("DELETE", "/v1/models")])
def test_wrong_method_is_405_detail(client, method, path):
    response = client.request(method, path)
    assert (response.status_code, response.json()) == (405, METHOD_NOT_ALLOWED)


@pytest.mark.parametrize("path", ["/v1/nothing", "/embeddings", "/v1/classify", "/v1/pooling"])
def test_unknown_route_is_404_detail(client, path):
    response = client.post(path, json={"input": "a"})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize("body", [
    {"input": 5}, {}, {"input": [1, "a"]}, {"input": "a", "dimensions": "abc"},
    {"input": "a", "encoding_format": "hex"}, {"input": "a", "embed_dtype": "int8"},
    {"input": "a", "endianness": "middle"}, {"input": "a", "truncate_prompt_tokens": -2},
    {"input": "a", "use_activation": "maybe"}, {"input": "a", "truncation_side": "middle"},
], ids=["input-int", "no-input", "mixed-list", "dimensions-str", "encoding", "embed-dtype", "endianness",
        "truncate-below-minus-1", "use-activation", "truncation-side"])
def test_wrong_field_types_are_validation_errors(client, body):
    bad_request(client.post("/v1/embeddings", json=body))


@pytest.mark.parametrize("value", [[], [[]], [[2, 5, 3], []]])
def test_empty_prompts(client, value):
    response = client.post("/v1/embeddings", json={"input": value})
    assert response.json() == error("The decoder prompt cannot be empty")


@pytest.mark.parametrize(("ids", "reported"), [([2, 5, 99999], 99999), ([2, -1, 3], -1)])
def test_token_ids_out_of_vocabulary(client, ids, reported):
    response = client.post("/v1/embeddings", json={"input": ids})
    assert response.json() == error(f"Token id {reported} is out of vocabulary")


@pytest.mark.parametrize(("route", "body", "reported"), [
    # A text is tokenized up to 65 tokens only: "at least 65"; token ids are counted, and 65 (= limit + 1) could
    # be a cut-off count too, so vLLM says "at least" there as well.
    ("/v1/embeddings", {"input": LONG}, "at least 65"), ("/v1/embeddings", {"input": [5] * 65}, "at least 65"),
    ("/v1/embeddings", {"input": [5] * 66}, "66"),
    ("/pooling", {"input": LONG}, "at least 65"), ("/score", {"text_1": TEXT, "text_2": LONG}, "at least 65"),
])
def test_too_long_input_is_400_input_tokens(client, route, body, reported):
    response = client.post(route, json=body)
    at_least = reported.startswith("at least")
    count = int(reported.split()[-1])
    assert response.json() == validation_error(too_long(64, count, at_least=at_least), "input_tokens", count)


def test_a_text_longer_than_the_character_bound_is_refused_before_tokenizing(client):
    """The tiny vocabulary's longest entry has 8 characters: 64 x 8 = 512 characters at most, untruncated."""
    text = "the " * 130  # 520 characters
    response = client.post("/v1/embeddings", json={"input": ["a", text, "the " * 200]})
    assert response.json() == validation_error(
        "This model's maximum context length is 64 tokens. However, you requested 0 output tokens and your prompt "
        "contains 520 characters (more than 512 characters, which is the upper bound for 64 input tokens). Please "
        "reduce the length of the input prompt or the number of requested output tokens.", "input_text", 520)
    # Prompts are checked in order: a too-long prompt before it is reported first; truncation lifts the bound.
    response = client.post("/v1/embeddings", json={"input": [LONG, text]})
    assert response.json() == validation_error(too_long(64, 65, at_least=True), "input_tokens", 65)
    assert client.post("/v1/embeddings", json={"input": text, "truncate_prompt_tokens": -1}).status_code == 200


def test_too_long_pair_for_a_cross_encoder(serve):
    response = serve("X", "0.20").post("/score", json={"text_1": LONG, "text_2": TEXT})
    assert response.json() == validation_error(too_long(64, 72 + 5), "input_tokens", 77)


def test_truncation_larger_than_max_model_len(client):
    response = client.post("/v1/embeddings", json={"input": "a", "truncate_prompt_tokens": 65})
    assert response.json() == error("truncate_prompt_tokens value is greater than max_model_len. Please request a "
                                    "smaller truncation size.")


@pytest.mark.parametrize("route", ["/v1/embeddings", "/score", "/rerank", "/tokenize"])
def test_unknown_model_is_404_not_found(client, route):
    body = {"/v1/embeddings": {"input": "a"}, "/score": {"text_1": "a", "text_2": "b"},
            "/rerank": {"query": "a", "documents": ["b"]}, "/tokenize": {"prompt": "a"}}[route]
    response = client.post(route, json={**body, "model": "gpt-4"})
    assert response.json() == error("The model `gpt-4` does not exist.", "NotFoundError", 404)


def test_019_score_names_the_model_param(serve):
    response = serve("E", "0.19").post("/score", json={"text_1": "a", "text_2": "b", "model": "gpt-4"})
    assert response.json() == error("The model `gpt-4` does not exist.", "NotFoundError", 404, "model")


def test_served_model_names_are_all_accepted(serve):
    client = serve("E", "0.20", "--served-model-name", "mini", "alias")
    for name in ("mini", "alias"):
        assert client.post("/v1/embeddings", json={"input": "a", "model": name}).json()["model"] == name
    assert client.post("/v1/embeddings", json={"input": "a"}).json()["model"] == "mini"


@pytest.mark.parametrize("source", ["flag", "env"])
def test_api_key_guards_v1_paths_only(serve, monkeypatch, source):
    if source == "env":
        monkeypatch.setenv("VLLM_API_KEY", "sesame")
        client = serve("E", "0.20")
    else:
        client = serve("E", "0.20", "--api-key", "sesame")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "sesame"}):
        response = client.post("/v1/embeddings", json={"input": "a"}, headers=headers)
        assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
    assert client.get("/v1/models").status_code == 401
    ok = {"Authorization": "Bearer sesame"}
    assert client.post("/v1/embeddings", json={"input": "a"}, headers=ok).status_code == 200
    for path, body in (("/pooling", {"input": "a"}), ("/score", {"text_1": "a", "text_2": "b"}),
                       ("/rerank", {"query": "a", "documents": ["b"]}), ("/v2/rerank", {"query": "a", "documents": ["b"]}),
                       ("/v2/embed", {"texts": ["a"]}), ("/tokenize", {"prompt": "a"})):
        assert client.post(path, json=body).status_code == 200, path
    for path in ("/health", "/metrics", "/version"):
        assert client.get(path).status_code == 200, path


def test_dimensions_on_a_model_without_matryoshka_is_m18a(serve):
    client = serve("E", "0.20", "--served-model-name", "mini")
    response = client.post("/v1/embeddings", json={"input": "a", "dimensions": 8})
    assert response.json() == error('Model "mini" does not support matryoshka representation, changing output '
                                    "dimensions will lead to poor results.")


@pytest.mark.parametrize(("body", "message"), [
    ({"text_1": ["a", "b"], "text_2": ["a", "b", "c"]}, "Input lengths must be either 1:1, 1:N or N:N"),
    ({"text_1": "a", "text_2": []}, "At least one text_pair element must be given"),
    ({"text_1": [], "text_2": ["a"]}, "At least one text element must be given"),
])
def test_score_input_lengths(client, body, message):
    assert client.post("/score", json=body).json() == error(message)


@pytest.mark.parametrize("body", [{"query": "a"}, {"documents": ["a"]}, {"query": "a", "documents": "b"},
                                  {"text_1": "a"}, {"queries": "a", "text_2": "b"}])
def test_incomplete_score_and_rerank_bodies(client, body):
    route = "/rerank" if "query" in body or "documents" in body else "/score"
    bad_request(client.post(route, json=body))


def test_invocations_without_a_matching_type(client):
    response = client.post("/invocations", json={"nothing": 1})
    assert response.json() == error("Cannot find suitable handler for request. Expected one of: ['EmbeddingRequest', "
                                    "'RerankRequest', 'ScoreRequest', 'PoolingRequest']", "Bad Request")


@pytest.mark.parametrize(("route", "body"), [
    ("/v1/embeddings", {"messages": [{"role": "user", "content": "a"}]}),
    ("/pooling", {"messages": [{"role": "user", "content": "a"}]}),
    ("/score", {"text_1": "a", "text_2": {"type": "image_url", "image_url": {"url": "x"}}}),
    ("/v2/embed", {"images": ["data:image/png;base64,AAAA"]}),
    ("/v2/embed", {"texts": ["a"], "embedding_types": ["binary"]}),
])
def test_what_the_engine_cannot_do_is_refused_as_501(client, route, body):
    response = client.post(route, json=body)
    assert response.status_code == 501
    assert response.json()["error"]["type"] == "NotImplementedError"
    assert response.json()["error"]["message"].startswith("pooling shim: ")


def test_score_length_limits_exist_from_020(serve):
    body = {"text_1": "a", "text_2": "b", "max_tokens_per_query": 4}
    assert serve("E", "0.19").post("/score", json=body).status_code == 200  # an ignored extra key in 0.19
    assert serve("E", "0.20").post("/score", json=body).status_code == 501


def test_detokenize_out_of_vocabulary(client):
    assert client.post("/detokenize", json={"tokens": [2, 99999]}).json() == error(
        "Token id 99999 is out of vocabulary")


def test_payload_limit_is_413(serve):
    client = serve("E", "0.20", "--payload-limit", "64")
    assert client.post("/v1/embeddings", json={"input": "a"}).status_code == 200
    response = client.post("/v1/embeddings", json={"input": "the model " * 20})
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "Request Entity Too Large"

    def chunks():  # no Content-Length: counted while it streams in
        yield b'{"input": "'
        yield b"model " * 30
        yield b'"}'

    response = client.post("/v1/embeddings", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_concurrency_limit_is_429():
    release = asyncio.Event()
    answered: list[int] = []

    async def slow_app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def call(app, method="POST"):
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                answered.append(message["status"])

        await app({"type": "http", "method": method, "path": "/pooling", "headers": []}, receive, send)

    async def scenario():
        counter = [0]
        app = ConcurrencyLimitMiddleware(slow_app, limit=2, counter=counter)
        first = [asyncio.create_task(call(app)) for _ in range(2)]
        await asyncio.sleep(0.01)
        await call(app)  # the third POST in flight is refused at once
        assert answered == [429]
        release.set()
        await asyncio.gather(*first)
        assert counter == [0]
        await call(app)
        await call(app, "GET")

    asyncio.run(scenario())
    assert answered == [429, 200, 200, 200, 200]


def test_default_server_has_no_limits(client):
    response = client.post("/v1/embeddings", json={"input": ["the model " * 3] * 300})
    assert response.status_code == 200 and len(response.json()["data"]) == 300
