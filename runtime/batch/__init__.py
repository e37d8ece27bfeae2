"""Batch pooling over a dataset: JSONL/CSV/Parquet in, Parquet shards out, in process or on Ray Data.

    from vllm_pooling_migrate.runtime.batch import BatchOptions, run_batch
    summary = run_batch(BatchOptions(model=path, tasks=("embed",), input=Path("docs.jsonl"),
                                     output=Path("vectors.parquet")))

``PoolingPredictor`` is the stage on its own, a callable class for ``ray.data.Dataset.map_batches``;
``merge_worker_usage`` brings its actors' deprecated-API hits into the driver's usage report. The command line is
``vllm-pooling-batch`` (``cli.main``). See docs/batch.md.

Names are imported on first use, so that ``--help`` and ``import`` do not pay for pyarrow, torch or Ray.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vllm_pooling_migrate.runtime.batch.columns import BATCH_TASKS, RESULT_COLUMNS, BatchTask
    from vllm_pooling_migrate.runtime.batch.errors import BatchError
    from vllm_pooling_migrate.runtime.batch.job import (EXIT_ROW_ERRORS, BatchOptions, BatchSummary, RayOptions,
                                                        run_batch)
    from vllm_pooling_migrate.runtime.batch.stage import PoolingPredictor, merge_worker_usage

_EXPORTS = {
    **dict.fromkeys(["BATCH_TASKS", "RESULT_COLUMNS", "BatchTask"], "vllm_pooling_migrate.runtime.batch.columns"),
    "BatchError": "vllm_pooling_migrate.runtime.batch.errors",
    **dict.fromkeys(["EXIT_ROW_ERRORS", "BatchOptions", "BatchSummary", "RayOptions", "run_batch"],
                    "vllm_pooling_migrate.runtime.batch.job"),
    **dict.fromkeys(["PoolingPredictor", "merge_worker_usage"], "vllm_pooling_migrate.runtime.batch.stage"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vllm_pooling_migrate.runtime.batch' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
