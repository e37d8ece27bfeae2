"""vLLM's online pooling API (``vllm serve``) per release 0.18-0.21, on this project's engine.

    vllm-pooling-serve path/to/model --pooler-config.task embed --target-version 0.21
    python -m vllm_pooling_migrate.shim.serve path/to/model

Routes, gating, status codes and error bodies follow ``shared/spec/online-serving.md``; the shim's profiles,
messages, default-task resolver and warnings are reused from ``vllm_pooling_migrate.shim``. See ``docs/serve.md``.
Needs the ``serve`` extra (FastAPI, uvicorn, prometheus-client) and the ``runtime`` extra. Importing this package
imports neither: ``build_app`` and ``main`` load them on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_app", "main", "parse_serve_args"]


def __getattr__(name: str) -> Any:
    if name == "build_app":
        from vllm_pooling_migrate.shim.serve.app.factory import build_app

        return build_app
    if name == "main":
        from vllm_pooling_migrate.shim.serve.main import main

        return main
    if name == "parse_serve_args":
        from vllm_pooling_migrate.shim.serve.cli.args import parse_serve_args

        return parse_serve_args
    raise AttributeError(f"module 'vllm_pooling_migrate.shim.serve' has no attribute {name!r}")
