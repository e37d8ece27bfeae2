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
    if pa.types.is_floating(kind):
        return pa.array(results, kind)
    # Arrays are assembled from their buffers (validity bitmap, offsets, child values), which every pyarrow
    # release supports, rather than through from_arrays(mask=...), which older ones lack.
    valid = pa.array([r is not None for r in results], pa.bool_())
    validity = valid.buffers()[1] if valid.false_count else None
    if pa.types.is_fixed_size_list(kind):
        return pa.Array.from_buffers(kind, len(results), [validity], children=[_fixed_size_values(results, kind)])
    rows = [np.asarray(r, np.float32) if r is not None else None for r in results]
    lengths = [len(r) if r is not None else 0 for r in rows]
    offsets = pa.py_buffer(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    item = kind.value_type
    present = [r for r in rows if r is not None]
    if pa.types.is_fixed_size_list(item):
        flat = np.concatenate([r.reshape(-1) for r in present]) if present else np.empty(0, np.float32)
        values = pa.Array.from_buffers(item, len(flat) // item.list_size, [None], children=[pa.array(flat)])
    else:
        values = pa.array(np.concatenate(present) if present else np.empty(0, np.float32), pa.float32())
    return pa.Array.from_buffers(kind, len(results), [validity, offsets], children=[values])


def _fixed_size_values(results: Sequence[Result | None], kind: pa.DataType) -> pa.Array:
    """All rows' values back to back, zeros under failed rows (the validity bitmap hides them)."""
    width = kind.list_size
    matrix = np.zeros((len(results), width), np.float32)
    for index, result in enumerate(results):
        if result is not None:
            row = np.asarray(result, np.float32)
            if row.shape != (width,):
                raise ValueError(f"a result of shape {row.shape} in a column of width {width}")
            matrix[index] = row
    return pa.array(matrix.reshape(-1))
