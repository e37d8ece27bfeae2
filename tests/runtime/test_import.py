"""``import runtime`` stays cheap: torch and transformers load on first use of an engine name."""

from __future__ import annotations

import subprocess
import sys


def test_import_runtime_does_not_import_torch():
    code = "import sys, vllm_pooling_migrate.runtime; print('torch' in sys.modules, 'transformers' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["False", "False"]


def test_engine_names_resolve_lazily():
    from vllm_pooling_migrate import runtime

    assert runtime.TaskParams().use_activation is None
    assert set(runtime.__all__) == {
        "ModelInfo",
        "PoolerSettings",
        "PoolingEngine",
        "PoolingResult",
        "TaskParams",
        "load_engine",
    }
