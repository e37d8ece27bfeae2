"""The command line: ``main()`` is the ``vllm-pooling-batch`` console script."""

from __future__ import annotations

from vllm_pooling_migrate.runtime.batch.cli.main import main

__all__ = ["main"]
