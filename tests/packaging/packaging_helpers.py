"""Shared pieces of the packaging tests: a clean environment for subprocesses, the installed console script, and
the files of a scratch user project with its own ``shim.py``, ``runtime.py`` and ``codemod.py``
(the ``scratch_project`` fixture in conftest.py writes them).

These tests run what is installed in this interpreter's environment (the console script next to
``sys.executable``, the pytest11 entry point), never a ``PYTHONPATH`` pointing at the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

#: The bogus release of issue 8: it must never break the lint or an unrelated pytest run.
BOGUS_TARGET = {"POOLING_SHIM_TARGET_VERSION": "0.22"}

SCRATCH_FILES = {
    "shim.py": '''
        """The project's own shim: nothing to do with vLLM."""


        class PoolerConfig:
            def __init__(self, **fields):
                self.fields = fields


        class LLM:
            def __init__(self, model, task=None, override_pooler_config=None, **kwargs):
                self.model, self.task, self.config = model, task, override_pooler_config

            def embed(self, texts):
                return [[float(len(t))] for t in texts]

            def encode(self, texts, pooling_task=None):
                return [(pooling_task, t) for t in texts]

            def reward(self, texts):
                return [0.0 for _ in texts]
    ''',
    "runtime.py": '''
        """The project's own runtime helpers."""

        DEVICE = "cpu"


        def pick_device():
            return DEVICE
    ''',
    "codemod.py": '''
        """The project's own codemod."""


        def transform(source):
            return source.upper()
    ''',
    # Every call below would be a finding if ``LLM`` were vLLM's: task= (POOL001), override_pooler_config
    # (POOL003), one engine for several tasks (POOL004), encode without a task (POOL006), reward (POOL009),
    # normalize= (POOL010).
    "test_app.py": '''
        from pathlib import Path

        import codemod
        import runtime
        import shim
        from shim import LLM, PoolerConfig

        HERE = Path(__file__).resolve().parent


        def test_the_local_modules_are_the_projects_own():
            for module in (shim, runtime, codemod):
                assert Path(module.__file__).resolve().parent == HERE


        def test_embed_with_a_task_argument():
            llm = LLM("m", task="embed")
            assert llm.embed(["ab", "c"]) == [[2.0], [1.0]]


        def test_one_engine_for_several_tasks():
            llm = LLM("m", override_pooler_config=PoolerConfig(normalize=True))
            assert llm.embed(["x"]) == [[1.0]]
            assert llm.encode(["x"], pooling_task="token_embed") == [("token_embed", "x")]
            assert llm.encode(["x"]) == [(None, "x")]
            assert llm.reward(["x"]) == [0.0]


        def test_runtime_and_codemod():
            assert runtime.pick_device() == "cpu"
            assert codemod.transform("abc") == "ABC"
    ''',
}
SCRATCH_TESTS = 4


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would point a subprocess at the checkout or carry
    this pytest run's or the shim's settings into it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("POOLING_", "PYTEST_", "PYTHONPATH", "PYTHONSTARTUP"))}
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def installed_script(name: str) -> str:
    script = shutil.which(name, path=str(Path(sys.executable).parent))
    assert script, f"{name} is not installed next to {sys.executable}: install the package (pip install -e .)"
    return script


def write_scratch_project(root: Path) -> Path:
    for name, source in SCRATCH_FILES.items():
        (root / name).write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return root
