"""What to read: the input file, its format and the columns the stages need; what a read yields: chunks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from vllm_pooling_migrate.runtime.batch.columns import ROW_ID_COLUMN
from vllm_pooling_migrate.runtime.batch.errors import BatchError

if TYPE_CHECKING:
    import pyarrow as pa

InputFormat = Literal["jsonl", "csv", "parquet"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("jsonl", "csv", "parquet")
_FORMAT_BY_SUFFIX: dict[str, InputFormat] = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
}


def detect_format(path: Path, given: str | None) -> InputFormat:
    if given is not None:
        if given not in INPUT_FORMATS:
            raise BatchError(f"--input-format must be one of {', '.join(INPUT_FORMATS)}, got {given!r}")
        return given
    found = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if found is None:
        raise BatchError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
            f"pass --input-format ({', '.join(INPUT_FORMATS)})"
        )
    return found


@dataclass(frozen=True)
class InputSpec:
    path: Path
    format: InputFormat
    #: The input's id column; None: the output identifies rows by their position, in a column named ``row``.
    id_column: str | None
    #: String columns the stages read (a text column, the two columns of a pair).
    text_columns: tuple[str, ...] = ()
    #: Columns holding lists of token ids.
    token_ids_columns: tuple[str, ...] = ()

    @property
    def output_id_column(self) -> str:
        return self.id_column or ROW_ID_COLUMN

    @property
    def value_columns(self) -> tuple[str, ...]:
        return self.text_columns + self.token_ids_columns

    @property
    def columns(self) -> tuple[str, ...]:
        """Every input column a read touches."""
        return ((self.id_column,) if self.id_column else ()) + self.value_columns

    def ids_only(self) -> InputSpec:
        """The same input read for its ids alone (the final check)."""
        return replace(self, text_columns=(), token_ids_columns=())


@dataclass(frozen=True)
class InputChunk:
    """``num_rows`` consecutive rows starting at ``first_row``: shard ``shard`` of the input."""

    shard: int
    first_row: int
    num_rows: int
    #: Bookkeeping columns, the id column and the value columns; None for a shard the caller skipped.
    table: pa.Table | None
