"""The final check before a job exits 0: the output accounts for every input row exactly once.

The input's ids are read again, shard by shard. For each shard the part file must exist and describe that shard,
and walking the input rows in order, each row must be either the next row of the part file (same id) or a row of
the errors file (same id) — never both, never neither, nothing left over. No part file may exist for a shard the
input does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.inputs import InputSpec, read_chunks
from vllm_pooling_migrate.runtime.batch.shards.store import ShardStore, id_key


@dataclass(frozen=True)
class CheckedOutput:
    shards: int
    input_rows: int
    output_rows: int
    failed_rows: int
    error_records: int


def verify_output(spec: InputSpec, store: ShardStore, chunk_rows: int) -> CheckedOutput:
    input_rows = output_rows = failed_rows = error_records = shards = 0
    for chunk in read_chunks(spec.ids_only(), chunk_rows):
        shards += 1
        problem = _check_shard(store, chunk.shard, chunk.first_row, chunk.table)
        if problem:
            raise BatchError(f"output check failed: shard {chunk.shard} (rows {chunk.first_row}-"
                             f"{chunk.first_row + chunk.num_rows - 1}): {problem}")
        info = store.info(chunk.shard)
        assert info is not None  # checked by _check_shard
        input_rows += info.input_rows
        output_rows += info.output_rows
        failed_rows += info.failed_rows
        error_records += len(store.read_errors(chunk.shard))
    stray = [shard for shard in store.part_shards() if shard >= shards]
    if stray:
        raise BatchError(f"output check failed: part files for shards the input does not have: {stray[:5]}")
    return CheckedOutput(shards, input_rows, output_rows, failed_rows, error_records)


def _check_shard(store: ShardStore, shard: int, first_row: int, table: pa.Table) -> str | None:
    info = store.info(shard)
    if info is None:
        return f"{store.part_path(shard).name} is missing or unreadable"
    if (info.first_row, info.input_rows) != (first_row, table.num_rows):
        return (f"the part file covers rows {info.first_row}-{info.first_row + info.input_rows - 1}; "
                "the input was chunked differently")
    expected = [id_key(value) for value in table.column(store.id_column).to_pylist()]
    written = [id_key(v) for v in pq.read_table(store.part_path(shard), columns=[store.id_column])
               .column(store.id_column).to_pylist()]
    failed: dict[int, str] = {}
    records = store.read_errors(shard)
    for record in records:
        row, key = record["row"], id_key(record["id"])
        if failed.setdefault(row, key) != key:
            return f"the errors file gives row {row} two ids"
    written_at = 0
    for offset, key in enumerate(expected):
        row = first_row + offset
        if row in failed:
            if failed.pop(row) != key:
                return f"row {row}: the errors file has another id than the input ({key})"
        elif written_at < len(written) and written[written_at] == key:
            written_at += 1
        else:
            return f"row {row} (id {key}) is in neither the part file nor the errors file"
    if failed:
        return f"the errors file names rows outside the shard: {sorted(failed)[:5]}"
    if written_at != len(written):
        return f"the part file has {len(written) - written_at} row(s) the input does not have here"
    if (info.output_rows, info.failed_rows) != (len(written), len({record["row"] for record in records})):
        return "the part file's counts do not match its rows"
    return None

