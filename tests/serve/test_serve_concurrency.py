"""Real serving in process (httpx's ASGI transport): concurrent requests are answered in full and in order, share
engine calls, and a client that disconnects cancels its work."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import torch

from vllm_pooling_migrate.shim.serve.app.factory import build_app
from vllm_pooling_migrate.shim.serve.cli.args import parse_serve_args

WORDS = "the a of and to in is it model engine token embed query document fast slow red blue step".split()


def texts_for(client_index: int) -> list[str]:
    return [" ".join(WORDS[(client_index + k) % len(WORDS):][: 1 + (client_index * 7 + k) % 12]) for k in range(3)]


def test_concurrent_clients_get_their_own_answers_and_share_batches(model_paths, engines):
    app = build_app(parse_serve_args([model_paths["bert"]]), engine=engines["bert"])
    clients = 48

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
            responses = await asyncio.gather(*[
                client.post("/v1/embeddings", json={"input": texts_for(i)}) for i in range(clients)])
            metrics = (await client.get("/metrics")).text
        return responses, metrics

    try:
        responses, metrics = asyncio.run(scenario())
    finally:
        app.state.server.close()
    everything = [text for index in range(clients) for text in texts_for(index)]
    expected = torch.stack([r.data for r in engines["bert"].run("embed", everything)])
    assert [response.status_code for response in responses] == [200] * clients
    got = torch.tensor([item["embedding"] for response in responses for item in response.json()["data"]])
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)
    calls = float(re.search(r"^pooling_serve_batch_prompts_count (\S+)$", metrics, re.M).group(1))
    prompts = float(re.search(r"^pooling_serve_batch_prompts_sum (\S+)$", metrics, re.M).group(1))
    assert prompts == clients * 3
    assert calls < clients, "concurrent requests should share engine calls"


def test_a_disconnected_client_cancels_its_request(model_paths, engines):
    app = build_app(parse_serve_args([model_paths["bert"]]), engine=engines["bert"])
    state = app.state.server
    cancelled = asyncio.Event()

    async def never_answers(*args, **kwargs):
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    state.scheduler.run = never_answers
    body = json.dumps({"input": "the model"}).encode()
    sent: list[dict] = []

    async def scenario():
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            if messages:
                return messages.pop(0)
            await asyncio.sleep(0.05)  # the client hangs up while the engine works
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/v1/embeddings", "raw_path": b"/v1/embeddings", "query_string": b"",
                 "root_path": "", "headers": [(b"content-type", b"application/json"),
                                              (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 1), "server": ("test", 80)}
        await asyncio.wait_for(app(scope, receive, send), 10)

    try:
        asyncio.run(scenario())
    finally:
        state.close()
    assert cancelled.is_set()
    assert sent[0]["status"] == 499
