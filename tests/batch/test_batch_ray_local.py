"""The one Ray test: local mode (``ray.init(num_cpus=2)``), two actors, through the command line. The output must
equal the in-process run's, and deprecated calls made inside the actors must reach the driver's usage report.

It skips only where the ``ray`` extra is not installed; CI installs it and sets BATCH_TESTS_REQUIRE_RAY=1, so
there a missing Ray fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("pyarrow")  # the `batch` extra
if os.environ.get("BATCH_TESTS_REQUIRE_RAY") != "1":
    pytest.importorskip("ray.data", reason="needs the `ray` extra")
import pyarrow.parquet as pq  # noqa: E402
from batch_data import corpus, write_rows  # noqa: E402

# A legacy PoolerConfig spelling (POOL010 in the default 0.20 emulation): each engine records one hit where it is
# built, which on Ray is inside the actors only; the driver builds none.
LEGACY_POOLER_CONFIG = '{"normalize": true}'


def _run(model: str, source, output, report, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "vllm_pooling_migrate.runtime.batch", model, "--task", "embed", "--input",
               str(source), "--output", str(output), "--chunk-rows", "4", "--batch-rows", "2", "--no-progress",
               "--pooler-config", LEGACY_POOLER_CONFIG, *extra]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "POOLING_SHIM_REPORT": str(report),
                   "POOLING_SHIM_REPORT_STDERR": "0"}
    environment.pop("POOLING_SHIM_SPOOL", None)  # the driver's report is the one under test, not this process's
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)


def _pool010_count(report) -> int:
    if not report.exists():  # the shim writes no report for a process without hits
        return 0
    sites = json.loads(report.read_text())["sites"]
    return sum(site["count"] for site in sites if site["code"] == "POOL010")


@pytest.mark.slow
@pytest.mark.pooling_legacy
def test_ray_local_mode_with_two_actors_equals_the_in_process_run(models, tmp_path):
    source = write_rows(corpus(40), tmp_path / "in.jsonl")
    # One thread per engine on both sides: GEMM results depend, in the last bits, on the thread count.
    in_process = _run(models["bert"], source, tmp_path / "in_process", tmp_path / "in_process.json",
                      "--num-threads", "1")
    assert in_process.returncode == 0, in_process.stderr
    on_ray = _run(models["bert"], source, tmp_path / "on_ray", tmp_path / "on_ray.json",
                  "--ray", "--ray-num-cpus", "2", "--num-actors", "2", "--cpus-per-actor", "1")
    assert on_ray.returncode == 0, on_ray.stderr

    expected, got = pq.read_table(tmp_path / "in_process"), pq.read_table(tmp_path / "on_ray")
    assert got.num_rows == 40 and got.equals(expected)  # same rows, same order, bit-identical vectors
    assert _pool010_count(tmp_path / "in_process.json") == 1
    # One hit per actor that handled a batch, carried in the batches: the actors have no spool to write to.
    assert 1 <= _pool010_count(tmp_path / "on_ray.json") <= 2
