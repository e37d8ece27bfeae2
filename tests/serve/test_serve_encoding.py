"""``encoding_format`` float/base64/bytes/bytes_only with ``embed_dtype`` and ``endianness`` (online-serving.md §2),
and the official ``openai`` client, which sends base64 unless told otherwise."""

from __future__ import annotations

import asyncio
import base64
import json

import numpy as np
import pytest
import torch

from vllm_pooling_migrate.shim.serve.app.factory import build_app
from vllm_pooling_migrate.shim.serve.cli.args import parse_serve_args

TEXTS = ["the model is fast", "a query of the document"]


@pytest.fixture
def client(serve):
    return serve("E", "0.20")


def embed(client, **body):
    response = client.post("/v1/embeddings", json={"input": TEXTS, **body})
    assert response.status_code == 200, response.text
    return response


def floats(client) -> list[list[float]]:
    return [item["embedding"] for item in embed(client).json()["data"]]


@pytest.mark.parametrize(("endianness", "numpy_dtype"), [("native", "=f4"), ("little", "<f4"), ("big", ">f4")])
def test_base64_float32(client, endianness, numpy_dtype):
    data = embed(client, encoding_format="base64", endianness=endianness).json()["data"]
    decoded = [np.frombuffer(base64.b64decode(item["embedding"]), dtype=numpy_dtype).tolist() for item in data]
    assert decoded == floats(client)  # float32 both ways: exact


@pytest.mark.parametrize(("embed_dtype", "torch_dtype"), [
    ("float16", torch.float16), ("bfloat16", torch.bfloat16), ("fp8_e4m3", torch.float8_e4m3fn),
    ("fp8_e5m2", torch.float8_e5m2),
])
@pytest.mark.parametrize("endianness", ["little", "big"])
def test_base64_reduced_precision(client, embed_dtype, torch_dtype, endianness):
    data = embed(client, encoding_format="base64", embed_dtype=embed_dtype, endianness=endianness).json()["data"]
    for item, reference in zip(data, floats(client)):
        raw = np.frombuffer(base64.b64decode(item["embedding"]), dtype=np.uint8)
        width = torch.tensor([], dtype=torch_dtype).element_size()
        if endianness == "big" and width > 1:
            raw = raw.reshape(-1, width)[:, ::-1].copy()
        decoded = torch.frombuffer(bytearray(raw.tobytes()), dtype=torch_dtype)
        assert torch.equal(decoded, torch.tensor(reference).to(torch_dtype))


def test_bytes_with_metadata_header(client):
    response = embed(client, encoding_format="bytes")
    assert response.headers["content-type"] == "application/octet-stream"
    metadata = json.loads(response.headers["metadata"])
    assert metadata["id"].startswith("embd-") and metadata["model"] == client.app.state.server.model_name
    assert metadata["usage"]["prompt_tokens"] == 6 + 7
    assert [(d["index"], d["start"], d["end"], d["shape"], d["embed_dtype"], d["endianness"])
            for d in metadata["data"]] == [(0, 0, 128, [32], "float32", "native"),
                                           (1, 128, 256, [32], "float32", "native")]
    vectors = np.frombuffer(response.content, dtype="=f4").reshape(2, 32).tolist()
    assert vectors == floats(client)


def test_bytes_only_has_no_header(client):
    response = embed(client, encoding_format="bytes_only", embed_dtype="float16", endianness="big")
    assert "metadata" not in response.headers
    decoded = np.frombuffer(response.content, dtype=">f2").reshape(2, 32)
    assert np.array_equal(decoded, np.array(floats(client), dtype=np.float16))


def test_pooling_token_embed_in_base64_and_bytes(client):
    body = {"input": TEXTS[0], "task": "token_embed"}
    with pytest.warns(Warning):  # token_embed is not E's default task: POOL019 in warn mode
        plain = client.post("/pooling", json=body).json()["data"][0]["data"]
        encoded = client.post("/pooling", json={**body, "encoding_format": "base64"}).json()["data"][0]["data"]
        response = client.post("/pooling", json={**body, "encoding_format": "bytes"})
    assert np.frombuffer(base64.b64decode(encoded), dtype="=f4").reshape(6, 32).tolist() == plain
    assert json.loads(response.headers["metadata"])["data"][0]["shape"] == [6, 32]


def test_official_openai_client_default_base64_equals_float(model_paths, engines):
    openai = pytest.importorskip("openai")
    httpx2 = pytest.importorskip("httpx2")
    app = build_app(parse_serve_args([model_paths["bert"]]), engine=engines["bert"])

    async def call():
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test/v1")
        client = openai.AsyncOpenAI(base_url="http://test/v1", api_key="EMPTY", http_client=http, max_retries=0)
        default = await client.embeddings.create(model=model_paths["bert"], input=TEXTS)
        explicit = await client.embeddings.create(model=model_paths["bert"], input=TEXTS, encoding_format="float")
        await http.aclose()
        return default, explicit

    try:
        default, explicit = asyncio.run(call())
    finally:
        app.state.server.close()
    assert [d.embedding for d in default.data] == [d.embedding for d in explicit.data]
    offline = engines["bert"].run("embed", TEXTS)
    torch.testing.assert_close(torch.tensor([d.embedding for d in default.data]),
                               torch.stack([r.data for r in offline]))
    assert default.usage.prompt_tokens == 13 and default.model == model_paths["bert"]
