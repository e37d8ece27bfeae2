"""Import cost (no torch), the target version from the environment, and the pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vllm_pooling_migrate.shim import versions

REPO = Path(__file__).resolve().parents[2]


def python(code: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POOLING_SHIM_")}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_importing_the_shim_and_its_plugin_does_not_import_torch():
    result = python("""\
        import sys
        import vllm_pooling_migrate.shim.pytest_plugin
        assert "vllm_pooling_migrate.shim.report" not in sys.modules, "the plugin must not load the shim's modules"
        from vllm_pooling_migrate.shim import LLM, PoolerConfig, PoolingParams, EmbeddingRequestOutput
        assert "torch" not in sys.modules, "heavy import"
        assert "vllm_pooling_migrate.runtime" not in sys.modules, "heavy import"
    """)
    assert result.returncode == 0, result.stderr


def test_building_an_llm_imports_the_engine(tiny_models):
    result = python(f"""\
        import sys
        from vllm_pooling_migrate.shim import LLM
        llm = LLM({tiny_models["bert"]!r})
        assert "torch" in sys.modules
        print(llm.embed("the model", use_tqdm=False)[0].outputs.hidden_size)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "32"


def test_package_exports_every_public_name():
    from vllm_pooling_migrate import shim

    assert all(getattr(shim, name) for name in shim.__all__)
    with pytest.raises(AttributeError):
        shim.not_a_name  # noqa: B018


@pytest.mark.parametrize("value, expected", [("0.21", (0, 21)), ("0.20.2", (0, 20)), ("v0.18", (0, 18)),
                                             ("", (0, 20))])
def test_target_is_read_from_the_environment(value, expected):
    code = "from vllm_pooling_migrate import shim; print(shim.get_target_version())"
    result = python(code, POOLING_SHIM_TARGET_VERSION=value)
    assert result.stdout.strip() == str(expected), result.stderr


def test_one_profile_per_target_the_registry_knows():
    from vllm_pooling_migrate.registry import DEFAULT_SHIM_TARGET, KNOWN_TARGETS

    assert tuple(versions.PROFILES) == KNOWN_TARGETS
    assert [p.warn_mode for p in versions.PROFILES.values()] == [True, True, True, False]
    assert versions.PROFILES[DEFAULT_SHIM_TARGET].warn_mode


def test_an_unknown_target_in_the_environment_fails_when_an_llm_is_built_not_at_import(tiny_models):
    result = python(f"""\
        import vllm_pooling_migrate.shim, vllm_pooling_migrate.shim.pytest_plugin, vllm_pooling_migrate.codemod.cli
        print("imported")
        from vllm_pooling_migrate.shim import LLM
        LLM({tiny_models["bert"]!r})
    """, POOLING_SHIM_TARGET_VERSION="0.22")
    assert result.stdout == "imported\n"
    assert result.returncode == 1
    assert ("ValueError: POOLING_SHIM_TARGET_VERSION='0.22': pooling shim: cannot emulate vLLM 0.22; "
            "known targets: 0.18, 0.19, 0.20, 0.21") in result.stderr
    with pytest.raises(ValueError, match="known targets"):
        versions.set_target_version("0.17")


PLUGIN_SUITE = """\
import os
import pytest
from vllm_pooling_migrate.shim import PoolerConfig, get_target_version


def test_runs_in_the_preview():
    assert get_target_version() == (0, 21)
    assert os.environ["POOLING_SHIM_TARGET_VERSION"] == "0.21"
    with pytest.raises(ValueError):
        PoolerConfig(normalize=True)


@pytest.mark.pooling_legacy
def test_legacy_test_runs_at_the_default_target():
    assert get_target_version() == (0, 20)
    PoolerConfig(normalize=True)


def test_hits_a_deprecation_that_still_warns_in_021():
    PoolerConfig(logit_bias=1.0)
"""


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_suite.py").write_text(PLUGIN_SUITE)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POOLING_SHIM_")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path), *args],
                          cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)


def test_plugin_preview_mode_marker_and_summary(tmp_path):
    result = run_pytest(tmp_path, "--pooling-target=0.21", "-W", "ignore::DeprecationWarning")
    assert result.returncode == 0, result.stdout + result.stderr
    section = result.stdout[result.stdout.index("deprecated vLLM pooling API (pooling shim)"):]
    assert "emulating vLLM 0.21" in section
    assert "POOL011  test_suite.py:20  x1  own" in section
    assert "POOL010  test_suite.py:10  x1" in section  # a preview error is a hit too
    assert "test_suite.py:16" not in section  # hits of the pooling_legacy test are left out
    assert "pooling shim:" not in result.stderr  # the summary replaces the table printed at exit


def test_plugin_rejects_an_unknown_target(tmp_path):
    result = run_pytest(tmp_path, "--pooling-target=0.25")
    assert result.returncode == 4  # pytest's usage error
    assert "--pooling-target: pooling shim: cannot emulate vLLM 0.25" in result.stderr


def test_plugin_is_quiet_for_suites_without_hits(tmp_path):
    (tmp_path / "test_plain.py").write_text("def test_nothing():\n    pass\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POOLING_SHIM_")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
                            cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "pooling shim" not in result.stdout + result.stderr
