"""vLLM's offline pooling API with version-exact deprecation behaviour, on this project's engine.

    from shim import LLM, PoolerConfig
    llm = LLM("path/to/model", pooler_config=PoolerConfig(task="embed"))

The emulated vLLM release is ``POOLING_SHIM_TARGET_VERSION`` (read at import; default 0.20) or
:func:`set_target_version`; ``0.21`` previews the removal. Importing ``shim`` does not import torch: building an
``LLM`` does. See ``docs/shim.md``.
"""

from __future__ import annotations

import sys
import warnings

from shim.config import PoolerConfig, PoolingParams, ValidationError
from shim.deprecations import (AlreadyRemovedWarning, PoolingDeprecationWarning, RemovedInNextVersionWarning,
                               RemovedInV021Warning, RemovedInV023Warning)
from shim.llm import LLM
from shim.outputs import (ClassificationOutput, ClassificationRequestOutput, EmbeddingOutput, EmbeddingRequestOutput,
                          PoolingOutput, PoolingRequestOutput, ScoringOutput, ScoringRequestOutput)
from shim.versions import get_target_version, set_target_version

# Deprecations visible once per call site even when DeprecationWarning-based, unless the user chose filters
# (the CPython docs' recipe; PYTHONWARNINGS also fills sys.warnoptions).
if not sys.warnoptions:
    warnings.filterwarnings("default", category=PoolingDeprecationWarning)

__all__ = [
    "LLM", "PoolerConfig", "PoolingParams", "ValidationError",
    "PoolingOutput", "PoolingRequestOutput", "EmbeddingOutput", "EmbeddingRequestOutput", "ClassificationOutput",
    "ClassificationRequestOutput", "ScoringOutput", "ScoringRequestOutput",
    "PoolingDeprecationWarning", "AlreadyRemovedWarning", "RemovedInV021Warning", "RemovedInV023Warning",
    "RemovedInNextVersionWarning", "get_target_version", "set_target_version",
]
