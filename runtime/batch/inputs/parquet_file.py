"""Parquet: streamed in record batches, never loaded whole. Ids keep their Parquet type. Text columns must be
string (or binary: a value that is not valid UTF-8 is then a bad row); token-id columns lists of integers.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.inputs.spec import InputChunk, InputSpec
from vllm_pooling_migrate.runtime.batch.inputs.table import TOKEN_IDS_TYPE, assemble

_READ_BATCH_ROWS = 8192


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise BatchError(f"{path}: not a readable Parquet file: {error}") from None


def columns(path: Path) -> list[str]:
    return list(_open(path).schema_arrow.names)


def count_rows(path: Path) -> int:
    return _open(path).metadata.num_rows


def _check_types(spec: InputSpec, schema: pa.Schema) -> None:
    for name in spec.text_columns:
        kind = schema.field(name).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
                or pa.types.is_large_binary(kind)):
            raise BatchError(f"{spec.path}: column {name!r} has type {kind}; a text column must hold strings")
    for name in spec.token_ids_columns:
        kind = schema.field(name).type
        if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) or not pa.types.is_integer(kind.value_type):
            raise BatchError(f"{spec.path}: column {name!r} has type {kind}; a token-id column must hold lists "
                             "of integers")


def _chunks(parquet: pq.ParquetFile, spec: InputSpec, chunk_rows: int) -> Iterator[pa.Table]:
    """Tables of exactly ``chunk_rows`` rows (the last may be shorter), whatever the file's row groups."""
    pending: list[pa.RecordBatch] = []
    buffered = 0
    for batch in parquet.iter_batches(batch_size=min(chunk_rows, _READ_BATCH_ROWS), columns=list(spec.columns)):
        pending.append(batch)
        buffered += batch.num_rows
        while buffered >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, chunk_rows)
            rest = table.slice(chunk_rows)
            pending, buffered = rest.to_batches(), rest.num_rows
    if buffered:
        yield pa.Table.from_batches(pending)


def read_chunks(spec: InputSpec, chunk_rows: int, skip: Container[int]) -> Iterator[InputChunk]:
    parquet = _open(spec.path)
    _check_types(spec, parquet.schema_arrow)
    for shard, table in enumerate(_chunks(parquet, spec, chunk_rows)):
        first_row = shard * chunk_rows
        if shard in skip:
            yield InputChunk(shard, first_row, table.num_rows, None)
            continue
        errors: list[str | None] = [None] * table.num_rows
        values: dict[str, pa.Array] = {}
        if spec.id_column:
            values[spec.id_column] = table.column(spec.id_column).combine_chunks()
        for name in spec.text_columns:
            values[name] = _text_column(table.column(name).combine_chunks(), name, errors)
        for name in spec.token_ids_columns:
            values[name] = table.column(name).combine_chunks().cast(TOKEN_IDS_TYPE)
        yield InputChunk(shard, first_row, table.num_rows, assemble(spec, shard, first_row, table.num_rows,
                                                                      values, errors))


def _text_column(column: pa.Array, name: str, errors: list[str | None]) -> pa.Array:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    texts: list[str | None] = []
    for index, value in enumerate(column.to_pylist()):
        if value is None:
            texts.append(None)
            continue
        try:
            texts.append(value.decode("utf-8"))
        except UnicodeDecodeError as error:
            texts.append(None)
            errors[index] = f"column {name!r} is not valid UTF-8: {error}"
    return pa.array(texts, pa.string())
