"""vLLM's offline pooling API with version-exact deprecation behaviour, on this project's engine.

    from vllm_pooling_migrate.shim import LLM, PoolerConfig
    llm = LLM("path/to/model", pooler_config=PoolerConfig(task="embed"))

The emulated vLLM release is :func:`set_target_version`'s, else ``POOLING_SHIM_TARGET_VERSION`` (read when an
``LLM`` is built, never at import; default 0.20); ``0.21`` previews the removal. Importing the shim does not import
torch: building an ``LLM`` does. See ``docs/shim.md``.

Names are imported on first use: the pytest plugin lives in this package and is loaded by every pytest run, so
importing the package must cost nothing, read no environment variable and be unable to fail.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vllm_pooling_migrate.shim.config import PoolerConfig, PoolingParams, ValidationError
    from vllm_pooling_migrate.shim.deprecations import (AlreadyRemovedWarning, PoolingDeprecationWarning, RemovedInNextVersionWarning,
                                   RemovedInV021Warning, RemovedInV023Warning)
    from vllm_pooling_migrate.shim.llm import LLM
    from vllm_pooling_migrate.shim.versions import get_target_version, set_target_version
    from vllm_pooling_migrate.shim.outputs import (ClassificationOutput, ClassificationRequestOutput, EmbeddingOutput,
                              EmbeddingRequestOutput, PoolingOutput, PoolingRequestOutput, ScoringOutput,
                              ScoringRequestOutput)

_EXPORTS = {
    "LLM": "vllm_pooling_migrate.shim.llm",
    **dict.fromkeys(["get_target_version", "set_target_version"], "vllm_pooling_migrate.shim.versions"),
    **dict.fromkeys(["PoolerConfig", "PoolingParams", "ValidationError"], "vllm_pooling_migrate.shim.config"),
    **dict.fromkeys(["PoolingOutput", "PoolingRequestOutput", "EmbeddingOutput", "EmbeddingRequestOutput",
                     "ClassificationOutput", "ClassificationRequestOutput", "ScoringOutput",
                     "ScoringRequestOutput"], "vllm_pooling_migrate.shim.outputs"),
    **dict.fromkeys(["PoolingDeprecationWarning", "AlreadyRemovedWarning", "RemovedInV021Warning",
                     "RemovedInV023Warning", "RemovedInNextVersionWarning"], "vllm_pooling_migrate.shim.deprecations"),
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
        raise AttributeError(f"module 'vllm_pooling_migrate.shim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
