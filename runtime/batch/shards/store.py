"""The output folder: one Parquet file per shard with the rows that succeeded, and per shard a JSON Lines file
with the rows that did not.

    <output>/part-00000000.parquet        id column + one result column per task; key "vllm_pooling_batch" in the
                                          schema metadata: shard, first_row, input_rows, output_rows, failed_rows
    <output>/_errors/part-00000000.jsonl  {"row", "id", "task", "error"} per failure (task null: unreadable row)
    <output>/_errors.jsonl                all of them, written at the end
    <output>/_manifest.json               the job (shards/manifest.py)

Readers of the folder as a dataset (``pyarrow.parquet.read_table(output)``, pandas, Spark, Ray) skip the names
starting with ``_`` or ``.``. A shard is finished when its part file exists: the errors file is renamed into
place first, then the part file, each atomically.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from vllm_pooling_migrate.runtime.batch.columns import (
    INPUT_ERROR_COLUMN,
    RESULT_COLUMNS,
    ROW_COLUMN,
    BatchTask,
    error_column,
)
from vllm_pooling_migrate.runtime.batch.shards.atomic import remove_temporaries, write_atomically, write_text_atomically

METADATA_KEY = b"vllm_pooling_batch"
ERRORS_FOLDER = "_errors"
ERRORS_FILE = "_errors.jsonl"
_PART = re.compile(r"part-(\d{8})\.parquet")


@dataclass(frozen=True)
class ShardInfo:
    shard: int
    first_row: int
    input_rows: int
    output_rows: int
    failed_rows: int


def id_key(value: object) -> str:
    """Ids compared across Parquet and JSON (the errors file): both sides spelled the same way."""
    return json.dumps(value, default=str, sort_keys=True)


class ShardStore:
    def __init__(self, folder: Path, id_column: str, tasks: Sequence[BatchTask]):
        self.folder = folder
        self.id_column = id_column
        self.tasks = tuple(tasks)

    def part_path(self, shard: int) -> Path:
        return self.folder / f"part-{shard:08d}.parquet"

    def errors_path(self, shard: int) -> Path:
        return self.folder / ERRORS_FOLDER / f"part-{shard:08d}.jsonl"

    def clean_leftovers(self) -> None:
        remove_temporaries(self.folder)
        remove_temporaries(self.folder / ERRORS_FOLDER)

    def part_shards(self) -> list[int]:
        """Every shard with a part file, by its name."""
        return sorted(int(match.group(1)) for p in self.folder.iterdir() if (match := _PART.fullmatch(p.name)))

    def info(self, shard: int) -> ShardInfo | None:
        """The part file's own account of itself; None when it is unreadable or claims another shard."""
        try:
            metadata = pq.read_schema(self.part_path(shard)).metadata or {}
            info = ShardInfo(**json.loads(metadata[METADATA_KEY]))
        except (OSError, KeyError, ValueError, TypeError, pa.ArrowException):
            return None
        return info if info.shard == shard else None

    def finished(self) -> set[int]:
        return {shard for shard in self.part_shards() if self.info(shard) is not None}

    def write(self, shard: int, first_row: int, table: pa.Table) -> ShardInfo:
        """Splits a shard's rows (all stages done) into the part file and the errors file."""
        table = table.sort_by(ROW_COLUMN)
        failure_columns = [INPUT_ERROR_COLUMN] + [error_column(task) for task in self.tasks]
        failed = pc.is_valid(table.column(failure_columns[0]))
        for name in failure_columns[1:]:
            failed = pc.or_(failed, pc.is_valid(table.column(name)))
        output = table.filter(pc.invert(failed)).select([self.id_column] + [RESULT_COLUMNS[t] for t in self.tasks])
        failures = table.filter(failed).select([ROW_COLUMN, self.id_column] + failure_columns).to_pylist()
        info = ShardInfo(shard, first_row, table.num_rows, output.num_rows, len(failures))
        errors_path = self.errors_path(shard)
        if failures:
            errors_path.parent.mkdir(exist_ok=True)
            write_text_atomically(errors_path, "".join(self._error_lines(failures)))
        else:
            errors_path.unlink(missing_ok=True)  # from an earlier, killed attempt at this shard
        metadata = {METADATA_KEY: json.dumps(info.__dict__).encode()}
        output = output.replace_schema_metadata({**(output.schema.metadata or {}), **metadata})
        write_atomically(self.part_path(shard), lambda temporary: pq.write_table(output, temporary))
        return info

    def _error_lines(self, failures: list[dict]) -> list[str]:
        lines = []
        for failure in failures:
            row, identifier = failure[ROW_COLUMN], failure[self.id_column]
            messages = [(None, failure[INPUT_ERROR_COLUMN])] if failure[INPUT_ERROR_COLUMN] else [
                (task, failure[error_column(task)]) for task in self.tasks if failure[error_column(task)]]
            for task, message in messages:
                record = {"row": row, "id": identifier, "task": task, "error": message}
                lines.append(json.dumps(record, default=str, ensure_ascii=False) + "\n")
        return lines

    def read_errors(self, shard: int) -> list[dict]:
        path = self.errors_path(shard)
        if not path.exists():
            return []
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def combine_errors(self, shards: int) -> int:
        """``_errors.jsonl``: every shard's errors in row order; returns the number of records."""
        count = 0
        path = self.folder / ERRORS_FILE

        def write(temporary: Path) -> None:
            nonlocal count
            with open(temporary, "w", encoding="utf-8") as out:
                for shard in range(shards):
                    source = self.errors_path(shard)
                    if source.exists():
                        text = source.read_text(encoding="utf-8")
                        count += text.count("\n")
                        out.write(text)

        write_atomically(path, write)
        return count
