"""vLLM's offline pooling API with version-exact deprecation behaviour, on this project's engine.

    from shim import LLM, PoolerConfig
    llm = LLM("path/to/model", pooler_config=PoolerConfig(task="embed"))

The emulated vLLM release is ``POOLING_SHIM_TARGET_VERSION`` (read at import; default 0.20) or
:func:`set_target_version`; ``0.21`` previews the removal. Importing ``shim`` does not import torch: building an
``LLM`` does. See ``docs/shim.md``.

Names are imported on first use: the pytest plugin lives in this package and is loaded by every pytest run, so
``import shim`` itself must cost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Read the target from the environment now, as documented: a bad value fails at import, not at first use.
from shim.versions import get_target_version, set_target_version  # light: no engine, no torch

if TYPE_CHECKING:
    from shim.config import PoolerConfig, PoolingParams, ValidationError
    from shim.deprecations import (AlreadyRemovedWarning, PoolingDeprecationWarning, RemovedInNextVersionWarning,
                                   RemovedInV021Warning, RemovedInV023Warning)
    from shim.llm import LLM
    from shim.outputs import (ClassificationOutput, ClassificationRequestOutput, EmbeddingOutput,
                              EmbeddingRequestOutput, PoolingOutput, PoolingRequestOutput, ScoringOutput,
                              ScoringRequestOutput)

_EXPORTS = {
    "LLM": "shim.llm",
    **dict.fromkeys(["PoolerConfig", "PoolingParams", "ValidationError"], "shim.config"),
    **dict.fromkeys(["PoolingOutput", "PoolingRequestOutput", "EmbeddingOutput", "EmbeddingRequestOutput",
                     "ClassificationOutput", "ClassificationRequestOutput", "ScoringOutput",
                     "ScoringRequestOutput"], "shim.outputs"),
    **dict.fromkeys(["PoolingDeprecationWarning", "AlreadyRemovedWarning", "RemovedInV021Warning",
                     "RemovedInV023Warning", "RemovedInNextVersionWarning"], "shim.deprecations"),
}

__all__ = [
    "LLM", "PoolerConfig", "PoolingParams", "ValidationError", "get_target_version", "set_target_version",
    "PoolingOutput", "PoolingRequestOutput", "EmbeddingOutput", "EmbeddingRequestOutput", "ClassificationOutput",
    "ClassificationRequestOutput", "ScoringOutput", "ScoringRequestOutput",
    "PoolingDeprecationWarning", "AlreadyRemovedWarning", "RemovedInV021Warning", "RemovedInV023Warning",
    "RemovedInNextVersionWarning",
]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
