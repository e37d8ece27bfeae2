"""Engine results as Arrow columns: one row per input row, null where the row failed.

| result (per row)                | Arrow type                              | tasks                         |
|---------------------------------|-----------------------------------------|-------------------------------|
| a float                         | float64                                 | score                         |
| a vector, same width every row  | fixed_size_list<float32>[width]         | embed, classify               |
| a vector whose width varies     | list<float32>                           | embed&token_classify (bge-m3) |
| one vector per token            | list<fixed_size_list<float32>[width]>   | token_embed, token_classify   |
| one value per token             | list<float32>                           | token tasks with 1-D results  |
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.columns import BatchTask

Result = np.ndarray | float
_FIXED_WIDTH_TASKS = frozenset({"embed", "classify"})


def result_type(task: BatchTask, sample: Result) -> pa.DataType:
    """The column type for a task, from one result of the model (so that a batch whose rows all failed still
    gets a column of the same type as the others)."""
    if task == "score":
        return pa.float64()
    array = np.asarray(sample)
    if array.ndim == 2:
        return pa.list_(pa.list_(pa.float32(), array.shape[1]))
    if array.ndim == 1 and task in _FIXED_WIDTH_TASKS:
        return pa.list_(pa.float32(), array.shape[0])
    if array.ndim == 1:
        return pa.list_(pa.float32())
    raise ValueError(f"{task}: a result of shape {array.shape} has no column type")


def to_arrow(results: Sequence[Result | None], kind: pa.DataType) -> pa.Array:
    mask = pa.array([r is None for r in results], pa.bool_())
    has_nulls = any(r is None for r in results)
    if pa.types.is_floating(kind):
        return pa.array(results, kind)
    if pa.types.is_fixed_size_list(kind):
        return _fixed_size_rows(results, kind, mask if has_nulls else None)
    rows = [np.asarray(r, np.float32) if r is not None else None for r in results]
    lengths = [len(r) if r is not None else 0 for r in rows]
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    item = kind.value_type
    present = [r for r in rows if r is not None]
    if pa.types.is_fixed_size_list(item):
        width = item.list_size
        flat = np.concatenate([r.reshape(-1) for r in present]) if present else np.empty(0, np.float32)
        values = pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), width)
    else:
        values = pa.array(np.concatenate(present) if present else np.empty(0, np.float32), pa.float32())
    return pa.ListArray.from_arrays(offsets, values, type=kind, mask=mask if has_nulls else None)


def _fixed_size_rows(results: Sequence[Result | None], kind: pa.DataType, mask: pa.Array | None) -> pa.Array:
    width = kind.list_size
    matrix = np.zeros((len(results), width), np.float32)
    for index, result in enumerate(results):
        if result is not None:
            row = np.asarray(result, np.float32)
            if row.shape != (width,):
                raise ValueError(f"a result of shape {row.shape} in a column of width {width}")
            matrix[index] = row
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), type=kind, mask=mask)
