"""Tiny random models (built once per session, no downloads), their engines (loaded once), and apps per release.

Model kinds, as online-serving.md names them: E (embedding), C (classifier, 3 labels), X (cross-encoder, 1 label),
M (bge-m3 with the BgeM3EmbeddingModel override); E', C', X' are E, C, X started with
``--pooler-config.task token_embed|token_classify``. The pooler task changes no weight, so one engine per model
serves every app built on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Read by OpenMP when torch loads: spin-waiting threads make every small op slow on a shared host (docs/runtime.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

pytest.importorskip("fastapi")
pytest.importorskip("vllm_pooling_migrate.runtime.engine")

from starlette.testclient import TestClient  # noqa: E402

from vllm_pooling_migrate.shim import deprecations, versions  # noqa: E402
from vllm_pooling_migrate.shim.serve.app.factory import build_app  # noqa: E402
from vllm_pooling_migrate.shim.serve.cli.args import parse_serve_args  # noqa: E402
from vllm_pooling_migrate.shim.serve.pipeline import legacy_keys  # noqa: E402

_HERE = os.path.dirname(os.path.abspath(__file__))
BGE_M3_OVERRIDE = '{"architectures": ["BgeM3EmbeddingModel"]}'

#: kind -> (model folder key, extra argv)
KINDS: dict[str, tuple[str, list[str]]] = {
    "E": ("bert", []),
    "E'": ("bert", ["--pooler-config.task", "token_embed"]),
    "C": ("bert-cls", []),
    "C'": ("bert-cls", ["--pooler-config.task", "token_classify"]),
    "X": ("bert-ce", []),
    "X'": ("bert-ce", ["--pooler-config.task", "token_classify"]),
    "M": ("bge-m3", ["--hf-overrides", BGE_M3_OVERRIDE]),
}


def pytest_collection_modifyitems(items):
    """These tests send legacy requests and flags on purpose: keep their hits out of the plugin's summary."""
    for item in items:
        if str(item.path).startswith(_HERE + os.sep):
            item.add_marker(pytest.mark.pooling_legacy)


@pytest.fixture(autouse=True)
def _isolated_shim_state(monkeypatch):
    """Each test starts at the default target with vLLM's once-only log memory empty."""
    monkeypatch.setattr(versions, "_target", None)
    monkeypatch.setattr(deprecations, "_logged_once", set())
    monkeypatch.setattr(legacy_keys, "_logged", set())


@pytest.fixture(scope="session")
def model_paths(tmp_path_factory) -> dict[str, str]:
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    from vllm_pooling_migrate.runtime.testing import CLS, PAD, SEP, build_tiny_bert_models, wordpiece_tokenizer

    root = tmp_path_factory.mktemp("serve-models")
    paths = build_tiny_bert_models(root)
    tokenizer = wordpiece_tokenizer()
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                              intermediate_size=64, max_position_embeddings=65, type_vocab_size=1, pad_token_id=PAD,
                              bos_token_id=CLS, eos_token_id=SEP)
    folder = Path(root) / "bge-m3"
    XLMRobertaModel(config, add_pooling_layer=False).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save(torch.nn.Linear(32, 32).state_dict(), folder / "colbert_linear.pt")
    torch.save(torch.nn.Linear(32, 1).state_dict(), folder / "sparse_linear.pt")
    paths["bge-m3"] = str(folder)
    return paths


@pytest.fixture(scope="session")
def engines(model_paths) -> dict[str, object]:
    from vllm_pooling_migrate.runtime import load_engine

    loaded = {name: load_engine(model_paths[name], dtype="float32", seed=0)
              for name in ("bert", "bert-cls", "bert-ce")}
    loaded["bge-m3"] = load_engine(model_paths["bge-m3"], dtype="float32", seed=0,
                                   hf_overrides={"architectures": ["BgeM3EmbeddingModel"]})
    return loaded


AppFactory = Callable[..., TestClient]


@pytest.fixture
def serve(model_paths, engines) -> Iterator[AppFactory]:
    """``serve("E", "0.21", *argv)``: a TestClient on an app of that model kind and release (lifespan running)."""
    clients: list[TestClient] = []

    def start(kind: str, release: str = "0.20", *argv: str, raise_server_exceptions: bool = True) -> TestClient:
        name, kind_argv = KINDS[kind]
        settings = parse_serve_args([model_paths[name], "--target-version", release, *kind_argv, *argv])
        client = TestClient(build_app(settings, engine=engines[name]),
                            raise_server_exceptions=raise_server_exceptions)
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)
