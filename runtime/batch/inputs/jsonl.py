"""JSON Lines: one JSON object per line. Blank lines are not rows. A line that is not valid UTF-8, not valid JSON
or not an object is a bad row (kept for the errors file), never the end of the job.

Ids: integers when the first row's id is an integer (a later string id is then a bad row), else strings (later
integer ids are written as strings).
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterator
from pathlib import Path

import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.inputs.spec import InputChunk, InputSpec
from vllm_pooling_migrate.runtime.batch.inputs.table import RowValues, batched


def _rows(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield line


def _decode(line: bytes) -> tuple[dict | None, str | None]:
    try:
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as error:
        return None, f"not valid UTF-8: {error}"
    except json.JSONDecodeError as error:
        return None, f"not valid JSON: {error}"
    if not isinstance(value, dict):
        return None, f"a JSON Lines row must be an object, got {type(value).__name__}"
    return value, None


def columns(path: Path) -> list[str]:
    """The keys of the first row that decodes (JSON Lines has no schema)."""
    for line in _rows(path):
        row, _ = _decode(line)
        if row is not None:
            return list(row)
    return []


def _id_type(spec: InputSpec) -> pa.DataType:
    for line in _rows(spec.path):
        row, _ = _decode(line)
        value = row.get(spec.id_column) if row is not None and spec.id_column else None
        return pa.int64() if isinstance(value, int) and not isinstance(value, bool) else pa.string()
    return pa.string()


def count_rows(path: Path) -> int:
    return sum(1 for _ in _rows(path))


def read_chunks(spec: InputSpec, chunk_rows: int, skip: Container[int]) -> Iterator[InputChunk]:
    id_type = _id_type(spec)
    for shard, lines in enumerate(batched(_rows(spec.path), chunk_rows)):
        first_row = shard * chunk_rows
        if shard in skip:
            yield InputChunk(shard, first_row, len(lines), None)
            continue
        values = RowValues(spec, id_type)
        for line in lines:
            row, problem = _decode(line)
            if row is None:
                values.add_undecodable(problem or "undecodable row")
            else:
                values.add(row)
        yield InputChunk(shard, first_row, len(lines), values.table(shard, first_row))
