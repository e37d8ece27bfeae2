"""Input rows for the batch tests, written as JSONL, CSV or Parquet (a module of its own, so that test files
can import it: ``conftest`` is a name every test folder uses)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from vllm_pooling_migrate.runtime.testing import WORDS


def corpus(count: int, seed: int = 0) -> list[dict]:
    """Rows with an id, a text of 1-40 words (the tiny models take 64 tokens) and a query/document pair."""
    import random

    rng = random.Random(seed)
    rows = []
    for index in range(count):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))
        rows.append({"id": f"doc-{index}", "text": text, "query": " ".join(rng.choice(WORDS) for _ in range(5)),
                     "document": text})
    return rows


def write_rows(rows: list[dict], path: Path) -> Path:
    """The same rows as JSONL, CSV or Parquet, by the suffix."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=7)
    return path
