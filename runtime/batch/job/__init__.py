"""The batch job: options, the in-process run, the final check and the summary."""

from __future__ import annotations

from vllm_pooling_migrate.runtime.batch.job.options import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_TOKEN_TASK_CHUNK_ROWS,
    BatchOptions,
    RayOptions,
)
from vllm_pooling_migrate.runtime.batch.job.run import EXIT_ROW_ERRORS, BatchSummary, run_batch

__all__ = ["DEFAULT_CHUNK_ROWS", "DEFAULT_TOKEN_TASK_CHUNK_ROWS", "EXIT_ROW_ERRORS", "BatchOptions",
           "BatchSummary", "RayOptions", "run_batch"]
