"""The engine stage: ``PoolingPredictor`` (one task, one engine) and the worker usage-report channel."""

from __future__ import annotations

from vllm_pooling_migrate.runtime.batch.stage.predictor import DEFAULT_BATCH_ROWS, PoolingPredictor, as_table
from vllm_pooling_migrate.runtime.batch.stage.usage import merge_worker_usage

__all__ = ["DEFAULT_BATCH_ROWS", "PoolingPredictor", "as_table", "merge_worker_usage"]
