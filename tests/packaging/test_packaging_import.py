"""Importing the lint, the registry and the pytest plugin reads no environment variable, starts no reporter and
cannot fail; the shim's public names import without torch; ``migrate-pooling`` ignores the shim's target.

Each check runs in a fresh interpreter whose working directory is the scratch project, so the project's own
``shim.py``, ``runtime.py`` and ``codemod.py`` are first on ``sys.path``."""

from __future__ import annotations

import json
import sys

import pytest
from packaging_helpers import BOGUS_TARGET, clean_env, installed_script, run

RECORD_ENVIRONMENT_READS = r'''
import json, os, sys

reads = []


class Recording(type(os.environ)):
    """os.environ, noting every key read and who read it (get, [], in, getenv, iteration, copies)."""

    def _note(self, key):
        """Record the key and the module that read it: the nearest caller outside os and the Mapping methods."""
        frame = sys._getframe(2)
        while frame.f_globals.get("__name__") in {"os", "_collections_abc", "collections.abc"}:
            frame = frame.f_back
        reads.append([str(key), frame.f_globals.get("__name__", "?")])

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __iter__(self):
        self._note("<every variable>")
        return super().__iter__()


environ = os.environ
os.environ = Recording(environ._data, environ.encodekey, environ.decodekey, environ.encodevalue, environ.decodevalue)
assert os.getenv("PATH") and reads, "the recorder sees os.getenv"
reads.clear()

import vllm_pooling_migrate.codemod.cli
import vllm_pooling_migrate.registry
import vllm_pooling_migrate.shim.pytest_plugin
import vllm_pooling_migrate.tasks

loaded = sorted(m for m in sys.modules if m.startswith(("vllm_pooling_migrate.shim.", "vllm_pooling_migrate.runtime", "torch")))
print(json.dumps({"reads": reads, "loaded": loaded}))
'''


@pytest.mark.parametrize("extra_env", [{}, BOGUS_TARGET], ids=["no-env", "bogus-target"])
def test_importing_the_lint_registry_and_plugin_reads_no_environment(scratch_project, extra_env):
    result = run([sys.executable, "-c", RECORD_ENVIRONMENT_READS], scratch_project, clean_env(**extra_env))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert [(key, reader) for key, reader in report["reads"] if key.startswith("POOLING_")] == []
    assert [(key, reader) for key, reader in report["reads"] if reader.startswith("vllm_pooling_migrate")] == []
    # No reporter started, nothing heavy imported: of the shim only its plugin.
    assert report["loaded"] == ["vllm_pooling_migrate.shim.pytest_plugin"]


BLOCK_TORCH = r'''
import importlib.abc, sys

BLOCKED = {"torch", "transformers", "tokenizers", "safetensors", "numpy"}


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
        return None


sys.meta_path.insert(0, Blocker())
sys.modules["torch"] = None  # and never from a cache
try:
    import torch
except ImportError:
    pass
else:
    raise AssertionError("torch is still importable")

import runtime, shim, codemod  # the project's own, first on sys.path
from vllm_pooling_migrate.shim import LLM, PoolerConfig, PoolingParams

assert LLM.__module__ == "vllm_pooling_migrate.shim.llm" and LLM is not shim.LLM
assert PoolerConfig(task="embed").task == "embed"
heavy = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED and sys.modules[m] is not None)
assert heavy == [], heavy
print("ok")
'''


def test_the_shims_public_names_import_without_torch(scratch_project):
    result = run([sys.executable, "-c", BLOCK_TORCH], scratch_project, clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["ok"]


CLEAN = 'from shim import LLM\nllm = LLM("m", task="embed")\nllm.embed(["a"])\n'
WITH_FINDINGS = 'from vllm import LLM\nllm = LLM("m", task="embed")\nllm.embed(["a"])\n'


@pytest.mark.parametrize("output_format", ["text", "json"])
@pytest.mark.parametrize(("source", "expected_status"), [(CLEAN, 0), (WITH_FINDINGS, 1)], ids=["clean", "findings"])
def test_migrate_pooling_ignores_a_bogus_shim_target(tmp_path, source, expected_status, output_format):
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    command = [installed_script("migrate-pooling"), "--check", "--output-format", output_format, "app.py"]
    plain = run(command, tmp_path, clean_env(), timeout=120)
    bogus = run(command, tmp_path, clean_env(**BOGUS_TARGET), timeout=120)
    assert bogus.returncode == expected_status, bogus.stdout + bogus.stderr
    assert "Traceback" not in bogus.stderr and "0.22" not in bogus.stderr
    assert (bogus.returncode, bogus.stdout) == (plain.returncode, plain.stdout)  # the shim's target changes nothing
    if output_format == "json":
        codes = {finding["code"] for finding in json.loads(bogus.stdout)}
        assert ("POOL001" in codes) == (expected_status == 1)
