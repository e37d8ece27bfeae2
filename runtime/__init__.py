"""The pooling engine: loads a Hugging Face or sentence-transformers model once and runs every vLLM pooling task.

    from vllm_pooling_migrate.runtime import load_engine
    engine = load_engine("path/or/cached-repo-id")
    vectors = [r.data for r in engine.run("embed", ["a text", "another"])]

Names are imported lazily so that ``import runtime`` does not pay for torch and transformers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vllm_pooling_migrate.runtime.engine import PoolingEngine, PoolingResult, TaskParams, load_engine
    from vllm_pooling_migrate.runtime.model_info import ModelInfo
    from vllm_pooling_migrate.runtime.settings import PoolerSettings

_EXPORTS = {
    "load_engine": "vllm_pooling_migrate.runtime.engine",
    "PoolingEngine": "vllm_pooling_migrate.runtime.engine",
    "PoolingResult": "vllm_pooling_migrate.runtime.engine",
    "TaskParams": "vllm_pooling_migrate.runtime.engine",
    "ModelInfo": "vllm_pooling_migrate.runtime.model_info",
    "PoolerSettings": "vllm_pooling_migrate.runtime.settings",
}

__all__ = ["ModelInfo", "PoolerSettings", "PoolingEngine", "PoolingResult", "TaskParams", "load_engine"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
