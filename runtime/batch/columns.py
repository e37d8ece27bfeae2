"""Column names shared by the readers, the engine stage, the shard writer and the Ray adapter.

Columns starting with an underscore are bookkeeping: they travel with the rows through every stage and never
reach the output files.
"""

from __future__ import annotations

from typing import Literal, get_args

#: Which shard a row belongs to; the shard is the unit of writing and of resuming.
SHARD_COLUMN = "_shard"
#: The row's 0-based position in the input (blank lines not counted); error records name it.
ROW_COLUMN = "_row"
#: Why the reader could not decode the row (invalid JSON or UTF-8, a value of the wrong type); null when fine.
INPUT_ERROR_COLUMN = "_input_error"
#: Deprecated-API hits recorded inside a worker, carried to the driver's usage report (``stage/usage.py``).
USAGE_COLUMN = "_pooling_shim_usage"
#: The id column of the output when the input has none: the row's position.
ROW_ID_COLUMN = "row"

#: What a batch job can compute: the pooling tasks of vLLM's offline API, plus ``score`` on text pairs.
BatchTask = Literal["embed", "classify", "token_embed", "token_classify", "embed&token_classify", "score"]
BATCH_TASKS: tuple[BatchTask, ...] = get_args(BatchTask)

#: The output column holding each task's result.
RESULT_COLUMNS: dict[BatchTask, str] = {
    "embed": "embedding",
    "classify": "probs",
    "token_embed": "token_embeddings",
    "token_classify": "token_probs",
    "embed&token_classify": "dense_and_sparse",
    "score": "score",
}


def error_column(task: BatchTask) -> str:
    """The stage's per-row error message column (null for rows it computed)."""
    return f"{RESULT_COLUMNS[task]}_error"
