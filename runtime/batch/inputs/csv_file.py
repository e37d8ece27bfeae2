"""CSV with a header row (RFC 4180: quoted fields may hold commas and newlines). Every value is a string, ids
included; a token-id column holds a JSON array such as ``[101, 2023, 102]``. Blank lines are not rows. A record
with the wrong number of fields, a needed field that is not valid UTF-8, or a token-id field that is not a JSON
array of integers is a bad row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Container, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.inputs.spec import InputChunk, InputSpec
from vllm_pooling_migrate.runtime.batch.inputs.table import RowValues, batched

# Documents longer than the csv module's default field limit (128 KiB) are rows like any other.
csv.field_size_limit(2**31 - 1)


@contextmanager
def _records(path: Path):
    """The header and an iterator over the non-blank records. Undecodable bytes survive as surrogates, so one bad
    field is found and reported on its row instead of stopping the read."""
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            raise BatchError(f"{path}: the CSV file is empty (no header row)")
        yield header, (record for record in reader if record)


def columns(path: Path) -> list[str]:
    with _records(path) as (header, _):
        return list(header)


def _is_valid_utf8(value: str) -> bool:
    """Bytes that were not UTF-8 were decoded to lone surrogates, which do not encode back."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_chunks(spec: InputSpec, chunk_rows: int, skip: Container[int]) -> Iterator[InputChunk]:
    with _records(spec.path) as (header, records):
        positions = {name: header.index(name) for name in spec.columns}
        for shard, batch in enumerate(batched(records, chunk_rows)):
            first_row = shard * chunk_rows
            if shard in skip:
                yield InputChunk(shard, first_row, len(batch), None)
                continue
            values = RowValues(spec, pa.string())
            for record in batch:
                if len(record) != len(header):
                    values.add_undecodable(f"the record has {len(record)} fields, the header has {len(header)}")
                else:
                    values.add(*_row(record, positions, spec))
            yield InputChunk(shard, first_row, len(batch), values.table(shard, first_row))


def _row(record: list[str], positions: dict[str, int], spec: InputSpec) -> tuple[dict[str, object], list[str]]:
    row: dict[str, object] = {}
    problems = []
    for name, position in positions.items():
        value = record[position]
        if _is_valid_utf8(value):
            row[name] = value
        else:
            problems.append(f"column {name!r} is not valid UTF-8")
    for name in spec.token_ids_columns:
        if name in row:
            try:
                row[name] = json.loads(str(row[name]))
            except json.JSONDecodeError:
                pass  # left as the string: RowValues reports it as "not a list of integer token ids"
    return row, problems
