"""One chunk's rows as an Arrow table with the bookkeeping columns, from Python values (JSONL, CSV) or Arrow
arrays (Parquet). Every reader produces the same layout:

``_shard`` int64, ``_row`` int64, ``_input_error`` string, the id column, the text columns (string) and the
token-id columns (list<int64>).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.columns import INPUT_ERROR_COLUMN, ROW_COLUMN, SHARD_COLUMN
from vllm_pooling_migrate.runtime.batch.inputs.spec import InputSpec

TOKEN_IDS_TYPE = pa.list_(pa.int64())


def assemble(
    spec: InputSpec,
    shard: int,
    first_row: int,
    num_rows: int,
    values: dict[str, pa.Array],
    input_errors: Sequence[str | None],
) -> pa.Table:
    """The chunk's table; ``values`` holds the id column (unless ids are row positions) and the value columns."""
    rows = pa.array(range(first_row, first_row + num_rows), pa.int64())
    columns: dict[str, pa.Array] = {
        SHARD_COLUMN: pa.array([shard] * num_rows, pa.int64()),
        ROW_COLUMN: rows,
        INPUT_ERROR_COLUMN: pa.array(input_errors, pa.string()),
    }
    columns[spec.output_id_column] = values[spec.id_column] if spec.id_column else rows
    for name in spec.value_columns:
        columns[name] = values[name]
    return pa.table(columns)


class RowValues:
    """Collects decoded rows of a text format (JSONL, CSV), checking each value's type as vLLM's input would.

    A value of the wrong type makes the row an input error (it is kept, with its id, for the errors file); a
    missing or null value is kept as null and reported by the stage that needs it.
    """

    def __init__(self, spec: InputSpec, id_type: pa.DataType):
        self.spec = spec
        self.id_type = id_type
        self.ids: list[object] = []
        self.values: dict[str, list[object]] = {name: [] for name in spec.value_columns}
        self.errors: list[str | None] = []

    def add(self, row: dict[str, object], problems: list[str] | None = None) -> None:
        """One decoded row; ``problems`` are the reader's own findings about it (an undecodable field)."""
        problems = list(problems or [])
        if self.spec.id_column:
            identifier, problem = self._id(row.get(self.spec.id_column))
            self.ids.append(identifier)
            problems += [problem] if problem else []
        for name in self.spec.text_columns:
            text = row.get(name)
            if text is not None and not isinstance(text, str):
                problems.append(f"column {name!r} holds {_kind(text)}, not a string")
                text = None
            self.values[name].append(text)
        for name in self.spec.token_ids_columns:
            token_ids = row.get(name)
            if token_ids is not None and not _is_token_id_list(token_ids):
                problems.append(f"column {name!r} must hold a list of integer token ids, not {_kind(token_ids)}")
                token_ids = None
            self.values[name].append(token_ids)
        self.errors.append("; ".join(problems) if problems else None)

    def add_undecodable(self, message: str) -> None:
        """A row that could not be parsed at all: no id, no values."""
        if self.spec.id_column:
            self.ids.append(None)
        for column in self.values.values():
            column.append(None)
        self.errors.append(message)

    def table(self, shard: int, first_row: int) -> pa.Table:
        arrays = {name: pa.array(column, pa.string()) for name, column in self.values.items()
                  if name in self.spec.text_columns}
        arrays |= {name: pa.array(column, TOKEN_IDS_TYPE) for name, column in self.values.items()
                   if name in self.spec.token_ids_columns}
        if self.spec.id_column:
            arrays[self.spec.id_column] = pa.array(self.ids, self.id_type)
        return assemble(self.spec, shard, first_row, len(self.errors), arrays, self.errors)

    def _id(self, value: object) -> tuple[object, str | None]:
        if value is None:
            return None, None
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None, f"id column {self.spec.id_column!r} holds {_kind(value)}; ids must be integers or strings"
        if pa.types.is_integer(self.id_type):
            if isinstance(value, str):
                return None, (f"id {value!r} is a string, but this input's ids are integers "
                              "(the first row's id decides)")
            return value, None
        return str(value), None


def _is_token_id_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in value)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", bool: "a boolean", float: "a number", int: "an integer",
             str: "a string"}
    return names.get(type(value), f"a {type(value).__name__}")


def batched(items: Iterable, size: int) -> Iterable[list]:
    """Consecutive lists of ``size`` items (the last may be shorter); ``itertools.batched`` is Python 3.12+."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
