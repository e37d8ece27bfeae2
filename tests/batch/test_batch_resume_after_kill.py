"""A job killed mid-way (SIGKILL, in a subprocess) and rerun with ``--resume`` gives the uninterrupted run's
output: the same rows and numbers, no id twice, no half-written file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pa = pytest.importorskip("pyarrow")  # the `batch` extra
import pyarrow.parquet as pq  # noqa: E402
from batch_data import corpus, write_rows  # noqa: E402

SHARDS = 250


def _command(model: str, source, output) -> list[str]:
    return [sys.executable, "-m", "vllm_pooling_migrate.runtime.batch", model, "--task", "embed", "--input",
            str(source), "--output", str(output), "--chunk-rows", "2", "--no-progress"]


def _environment() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "POOLING_SHIM_REPORT_STDERR": "0"}


def test_resume_after_a_killed_run_equals_an_uninterrupted_run(models, tmp_path):
    source = write_rows(corpus(2 * SHARDS), tmp_path / "in.jsonl")
    uninterrupted, resumed = tmp_path / "uninterrupted", tmp_path / "resumed"
    done = subprocess.run(_command(models["bert"], source, uninterrupted), env=_environment(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    killed = subprocess.Popen(_command(models["bert"], source, resumed), env=_environment(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while len(list(resumed.glob("part-*.parquet"))) < 3 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    finished_before = len(list(resumed.glob("part-*.parquet")))
    assert killed.returncode == -signal.SIGKILL, f"the run ended before it could be killed: {killed.stderr.read()}"
    assert 3 <= finished_before < SHARDS

    again = subprocess.run(_command(models["bert"], source, resumed) + ["--resume"], env=_environment(),
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{finished_before} shard(s) were already finished" in again.stderr
    expected, got = pq.read_table(uninterrupted), pq.read_table(resumed)
    assert got.equals(expected)
    ids = got.column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 2 * SHARDS
    assert not [p.name for p in resumed.iterdir() if ".tmp-" in p.name]
