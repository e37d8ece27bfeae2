from __future__ import annotations

import os

import pytest

from vllm_pooling_migrate.shim import deprecations, llm, versions
from shim_fake_engine import fake_runtime

_HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_collection_modifyitems(items):
    """Every test here uses the legacy API on purpose: keep their hits out of the plugin's summary."""
    for item in items:
        if str(item.path).startswith(_HERE + os.sep):
            item.add_marker(pytest.mark.pooling_legacy)


@pytest.fixture(autouse=True)
def _isolated_shim_state(monkeypatch):
    """Each test starts at the default target with vLLM's once-only log memory empty."""
    monkeypatch.setattr(versions, "_target", versions.DEFAULT_SHIM_TARGET)
    monkeypatch.setattr(deprecations, "_logged_once", set())


@pytest.fixture
def target():
    return versions.set_target_version


@pytest.fixture
def fake_llm(monkeypatch):
    """``fake_llm("classifier", pooler_config=...)``: an ``LLM`` over the fake engine describing that model."""
    def build(kind: str = "embedding", *, info: dict | None = None, **llm_kwargs):
        monkeypatch.setattr(llm, "runtime_api", fake_runtime(kind, **(info or {})))
        return llm.LLM("tiny-model", **llm_kwargs)

    return build


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, str]:
    """Paths of seeded tiny random checkpoints (bert, bert-cls, bert-ce, bert-ner) for the real engine."""
    pytest.importorskip("vllm_pooling_migrate.runtime.engine")
    from vllm_pooling_migrate.runtime.testing import build_tiny_bert_models

    return build_tiny_bert_models(tmp_path_factory.mktemp("tiny-models"))
