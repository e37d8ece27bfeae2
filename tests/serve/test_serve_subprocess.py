"""The real server: ``python -m vllm_pooling_migrate.shim.serve`` on 127.0.0.1 and a free port, called with the
official ``openai`` client (its default base64) and plain HTTP; SIGTERM drains in-flight requests and exits 0;
the usage report is written at exit; an unsupported ``--pooler-config.task`` exits 1 with vLLM's text."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import torch

START_TIMEOUT = 120.0
TEXTS = ["the model is fast", "a query of the document", "red blue step"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE", "POOLING_SHIM_REPORT_STDERR": "0",
            **extra}


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    report: Path
    log: Path


@pytest.fixture(scope="module")
def server(model_paths, tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    log = folder / "server.log"
    report = folder / "usage.json"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "vllm_pooling_migrate.shim.serve", model_paths["bert"], "--host", "127.0.0.1",
             "--port", str(port), "--served-model-name", "tiny", "--uvicorn-log-level", "warning",
             "--dtype", "float32"],  # "auto" is bf16 on a CPU with AMX; the reference engine is fp32
            stdout=sink, stderr=subprocess.STDOUT,
            env=server_env(POOLING_SHIM_REPORT=str(report), POOLING_SHIM_TARGET_VERSION="0.20"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server did not answer /health within {START_TIMEOUT}s:\n{log.read_text()}")
        time.sleep(0.1)
    yield Server(process, url, report, log)
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_openai_client_default_base64_equals_float_and_the_offline_engine(server, engines):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="EMPTY", max_retries=0, timeout=30)
    default = client.embeddings.create(model="tiny", input=TEXTS)
    explicit = client.embeddings.create(model="tiny", input=TEXTS, encoding_format="float")
    vectors = [d.embedding for d in default.data]
    assert vectors == [d.embedding for d in explicit.data]
    offline = torch.stack([r.data for r in engines["bert"].run("embed", TEXTS)])
    torch.testing.assert_close(torch.tensor(vectors), offline)
    assert default.model == "tiny" and default.usage.prompt_tokens == 6 + 7 + 5
    assert [m.id for m in client.models.list().data] == ["tiny"]


def test_plain_http_routes(server, engines):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        pooled = client.post("/pooling", json={"input": TEXTS[0], "task": "token_embed"})
        assert pooled.status_code == 200 and len(pooled.json()["data"][0]["data"]) == 6
        scores = client.post("/score", json={"text_1": TEXTS[0], "text_2": TEXTS[1:]}).json()["data"]
        expected = engines["bert"].score([(TEXTS[0], t) for t in TEXTS[1:]], "bi-encoder")
        torch.testing.assert_close(torch.tensor([s["score"] for s in scores]), torch.tensor(expected))
        assert client.post("/rerank", json={"query": "a", "documents": TEXTS}).status_code == 200
        assert client.post("/classify", json={"input": "a"}).json() == {"detail": "Not Found"}
        assert client.get("/version").json() == {"version": "0.20.2"}
        assert 'route="/pooling",status="200"' in client.get("/metrics").text
    # vLLM's M14b record went to the server's log
    deadline = time.monotonic() + 5
    while "--pooler-config.task token_embed. " not in server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "--pooler-config.task token_embed. " in server.log.read_text()


def test_sigterm_drains_in_flight_requests_and_exits_0(server):
    """Runs last in this module: it stops the server."""
    legacy = httpx.post(f"{server.url}/pooling", json={"input": "a", "task": "token_embed"}, timeout=30)
    assert legacy.status_code == 200  # a POOL019 hit, for the report written at exit
    texts = [f"{TEXTS[i % 3]} {i}" for i in range(1500)]
    results: list[object] = [None] * 6

    def call(slot: int) -> None:
        try:
            response = httpx.post(f"{server.url}/v1/embeddings", json={"input": texts}, timeout=120)
            results[slot] = (response.status_code, len(response.json()["data"]))
        except Exception as error:  # recorded, asserted below
            results[slot] = error

    threads = [threading.Thread(target=call, args=(slot,)) for slot in range(len(results))]
    for thread in threads:
        thread.start()
    in_flight = 0.0
    deadline = time.monotonic() + 30
    while in_flight < 7 and time.monotonic() < deadline:  # all six inside (the metrics call is a seventh)
        metrics = httpx.get(f"{server.url}/metrics", timeout=5).text
        in_flight = float(re.search(r"^pooling_serve_requests_in_flight (\S+)$", metrics, re.M).group(1))
    # Connections that arrive after SIGTERM are refused (uvicorn stops listening): only send it once all are in.
    assert in_flight >= 7, "the requests were not all in flight together: nothing to prove about draining"
    server.process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(120)
    assert results == [(200, 1500)] * len(results)
    assert server.process.wait(60) == 0
    report = json.loads(server.report.read_text())
    assert report["target_version"] == "0.20"
    assert any(row["code"] == "POOL019" and row["path"].endswith("<http POST /pooling>")
               for row in report["sites"]), report


def test_unsupported_pooler_task_exits_1_with_vllms_text(model_paths):
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "vllm_pooling_migrate.shim.serve", model_paths["bert"], "--host", "127.0.0.1",
         "--port", str(port), "--pooler-config.task", "classify"],
        capture_output=True, text=True, timeout=START_TIMEOUT, env=server_env())
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "RuntimeError: Unsupported task: 'classify' Supported tasks: ('embed', 'token_embed')")
