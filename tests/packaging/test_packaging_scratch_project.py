"""A user's project with its own ``shim.py``, ``runtime.py`` and ``codemod.py`` next to the installed package:
its pytest passes with and without a bogus ``POOLING_SHIM_TARGET_VERSION``, and ``migrate-pooling --check`` neither
crashes nor takes the project's ``from shim import LLM`` for vLLM's."""

from __future__ import annotations

import json
import re
import sys
import textwrap

import pytest
from packaging_helpers import BOGUS_TARGET, SCRATCH_FILES, SCRATCH_TESTS, clean_env, installed_script, run


@pytest.mark.parametrize("extra_env", [{}, BOGUS_TARGET], ids=["no-env", "bogus-target"])
def test_the_projects_own_pytest_passes(scratch_project, extra_env):
    result = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], scratch_project, clean_env(**extra_env))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(rf"\b{SCRATCH_TESTS} passed\b", output), output
    plugins = re.search(r"^plugins: (.*)$", output, re.MULTILINE)
    assert plugins and "vllm-pooling-migrate" in plugins.group(1), output  # our pytest11 plugin was loaded


def _check_json(cwd, target, extra_env):
    result = run([installed_script("migrate-pooling"), "--check", "--output-format", "json", target], cwd,
                 clean_env(**extra_env))
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("extra_env", [{}, BOGUS_TARGET], ids=["no-env", "bogus-target"])
def test_the_lint_does_not_take_the_projects_shim_for_vllm(scratch_project, extra_env):
    assert _check_json(scratch_project, ".", extra_env) == (0, [])


@pytest.mark.parametrize("module", ["vllm", "vllm_pooling_migrate.shim"])
def test_the_same_program_on_vllms_api_has_findings(tmp_path, module):
    """The control for the test above: only the import differs."""
    original = textwrap.dedent(SCRATCH_FILES["test_app.py"])
    app = original.replace("from shim import LLM, PoolerConfig", f"from {module} import LLM, PoolerConfig")
    assert app != original
    (tmp_path / "test_app.py").write_text(app, encoding="utf-8")
    status, findings = _check_json(tmp_path, ".", {})
    assert status == 1
    assert {"POOL001", "POOL003"} <= {f["code"] for f in findings}


def test_a_local_runtime_and_shim_do_not_break_a_real_shim_llm(scratch_project, tmp_path):
    """Issue 8: a project's ``runtime.py`` made the shim's ``LLM(...)`` fail with AttributeError."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    script = (
        "import sys\n"
        "import runtime, shim, codemod  # the project's own, first on sys.path\n"
        "from vllm_pooling_migrate.runtime.testing import build_tiny_bert_models\n"
        "from vllm_pooling_migrate.shim import LLM, PoolerConfig\n"
        "llm = LLM(build_tiny_bert_models(sys.argv[1])['bert'], pooler_config=PoolerConfig(task='embed'))\n"
        "(output,) = llm.embed(['the model'])\n"
        "print(len(output.outputs.embedding))\n"
    )
    result = run([sys.executable, "-c", script, str(tmp_path)], scratch_project, clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split()[-1] == "32"  # the tiny model's hidden size
