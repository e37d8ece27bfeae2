"""The pooling engine: loads a Hugging Face or sentence-transformers model once and runs every vLLM pooling task.

    from runtime import load_engine
    engine = load_engine("path/or/cached-repo-id")
    vectors = [r.data for r in engine.run("embed", ["a text", "another"])]

Names are imported lazily so that ``import runtime`` does not pay for torch and transformers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.engine import PoolingEngine, PoolingResult, TaskParams, load_engine
    from runtime.model_info import ModelInfo
    from runtime.settings import PoolerSettings

_EXPORTS = {
    "load_engine": "runtime.engine",
    "PoolingEngine": "runtime.engine",
    "PoolingResult": "runtime.engine",
    "TaskParams": "runtime.engine",
    "ModelInfo": "runtime.model_info",
    "PoolerSettings": "runtime.settings",
}

__all__ = ["ModelInfo", "PoolerSettings", "PoolingEngine", "PoolingResult", "TaskParams", "load_engine"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
