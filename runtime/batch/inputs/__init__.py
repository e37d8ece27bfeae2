"""Reading the input: JSONL, CSV or Parquet, streamed in chunks of ``chunk_rows`` rows (one chunk per shard).

    spec = open_input(path, format=None, id_column=None, text_columns=("text",))
    for chunk in read_chunks(spec, chunk_rows=4096, skip={0, 1}):   # skipped shards come back with table=None
        ...

Memory stays at about one chunk whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from pathlib import Path
from types import ModuleType

from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.inputs import csv_file, jsonl, parquet_file
from vllm_pooling_migrate.runtime.batch.inputs.spec import (
    INPUT_FORMATS,
    InputChunk,
    InputFormat,
    InputSpec,
    detect_format,
)

__all__ = ["INPUT_FORMATS", "InputChunk", "InputFormat", "InputSpec", "count_rows", "open_input", "read_chunks"]

_READERS: dict[InputFormat, ModuleType] = {"jsonl": jsonl, "csv": csv_file, "parquet": parquet_file}
#: The id column looked for when none is named.
DEFAULT_ID_COLUMN = "id"


def open_input(
    path: str | Path,
    *,
    format: str | None = None,
    id_column: str | None = None,
    text_columns: tuple[str, ...] = (),
    token_ids_columns: tuple[str, ...] = (),
) -> InputSpec:
    """Checks that the file exists and has the named columns. ``id_column=None`` takes ``id`` when the input has
    one, else row positions."""
    path = Path(path)
    if not path.is_file():
        raise BatchError(f"{path}: no such input file")
    input_format = detect_format(path, format)
    available = _READERS[input_format].columns(path)
    if id_column is None and DEFAULT_ID_COLUMN in available:
        id_column = DEFAULT_ID_COLUMN
    wanted = ((id_column,) if id_column else ()) + text_columns + token_ids_columns
    missing = [name for name in dict.fromkeys(wanted) if name not in available]
    if missing:
        where = "the first row" if input_format == "jsonl" else "the header" if input_format == "csv" else "the schema"
        raise BatchError(
            f"{path}: no column {', '.join(map(repr, missing))} in {where}; columns: {', '.join(available) or 'none'}"
        )
    return InputSpec(path, input_format, id_column, tuple(dict.fromkeys(text_columns)), tuple(token_ids_columns))


def read_chunks(spec: InputSpec, chunk_rows: int, skip: Container[int] = frozenset()) -> Iterator[InputChunk]:
    if chunk_rows < 1:
        raise BatchError(f"--chunk-rows must be at least 1, got {chunk_rows}")
    return _READERS[spec.format].read_chunks(spec, chunk_rows, skip)


def count_rows(spec: InputSpec) -> int | None:
    """The number of rows, when it costs no more than a quick scan (not for CSV, whose records may span lines)."""
    counter = getattr(_READERS[spec.format], "count_rows", None)
    return counter(spec.path) if counter else None
