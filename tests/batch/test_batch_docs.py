"""docs/batch.md against the code: every command-line flag is documented, and the Ray example uses names and
constructor arguments that exist."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")  # the `batch` extra
import vllm_pooling_migrate.runtime.batch as batch  # noqa: E402
from vllm_pooling_migrate.runtime.batch.cli.arguments import build_parser  # noqa: E402

DOC = (Path(__file__).resolve().parents[2] / "docs" / "batch.md").read_text(encoding="utf-8")


def test_every_flag_is_documented():
    flags = {option for action in build_parser()._actions for option in action.option_strings
             if option.startswith("--") and option != "--help"}
    assert flags and sorted(flag for flag in flags if f"`{flag}" not in DOC) == []


def test_the_ray_pipeline_example_uses_the_public_api():
    section = DOC[DOC.index("### In your own Ray pipeline"):]
    source = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(source.strip().splitlines()) <= 10
    tree = ast.parse(source)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "vllm_pooling_migrate.runtime.batch" for alias in node.names}
    assert imported == {"PoolingPredictor", "merge_worker_usage"} and all(hasattr(batch, name) for name in imported)
    (call,) = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "attr", "")
               == "map_batches"]
    keywords = {k.arg: k.value for k in call.keywords}
    assert "concurrency" not in keywords and ast.unparse(keywords["compute"]).startswith("ActorPoolStrategy(")
    constructor = inspect.signature(batch.PoolingPredictor).parameters
    assert set(ast.literal_eval(keywords["fn_constructor_kwargs"])) <= set(constructor)
