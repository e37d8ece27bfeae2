"""Warning filters a program installs before its first shim call win, and each deprecation is printed once.

Each case runs a fresh interpreter (the shim's filter is installed when its warning classes first load), with
``PoolerConfig(normalize=True)`` (POOL010, an ``AlreadyRemovedWarning``: a FutureWarning) and
``PoolerConfig(logit_bias=1.0)`` (POOL011, a ``RemovedInV023Warning``: a DeprecationWarning) as the legacy calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

NORMALIZE_TEXT = "`normalize` is deprecated and will be removed in v0.15. Please use `use_activation` instead."


def run(program: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "POOLING_SHIM_TARGET_VERSION")}
    environment.update(POOLING_SHIM_REPORT_STDERR="0", **(env or {}))
    return subprocess.run([sys.executable, *args, "-c", textwrap.dedent(program)], capture_output=True, text=True,
                          env=environment, timeout=120)


def test_one_message_per_deprecation_by_default():
    result = run("""
        from vllm_pooling_migrate.shim import PoolerConfig
        PoolerConfig(normalize=True)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(NORMALIZE_TEXT) == 1, result.stderr  # the warning, not also a bare log line
    assert "POOL010: " + NORMALIZE_TEXT in result.stderr


def test_the_log_record_still_reaches_handlers_on_vllms_logger():
    result = run("""
        import logging
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logging.getLogger("vllm.config.pooler").addHandler(handler)
        from vllm_pooling_migrate.shim import PoolerConfig
        PoolerConfig(normalize=True)
        print([r.getMessage() for r in records])
    """)
    assert result.returncode == 0, result.stderr
    assert NORMALIZE_TEXT in result.stdout


def test_root_handlers_configured_by_the_program_receive_it_too():
    result = run("""
        import logging
        logging.basicConfig(format="LOG %(name)s %(message)s")
        from vllm_pooling_migrate.shim import PoolerConfig
        PoolerConfig(normalize=True)
    """)
    assert "LOG vllm.config.pooler " + NORMALIZE_TEXT in result.stderr


def test_an_ignore_filter_installed_first_is_honoured():
    result = run("""
        import warnings
        warnings.simplefilter("ignore")
        from vllm_pooling_migrate.shim import PoolerConfig
        PoolerConfig(normalize=True)
        PoolerConfig(logit_bias=1.0)
    """)
    assert result.returncode == 0, result.stderr
    assert "POOL0" not in result.stderr and "deprecated" not in result.stderr, result.stderr


def test_an_error_filter_on_a_builtin_category_installed_first_is_honoured():
    result = run("""
        import warnings
        warnings.filterwarnings("error", category=FutureWarning)
        from vllm_pooling_migrate.shim import PoolerConfig
        try:
            PoolerConfig(normalize=True)
        except FutureWarning as error:
            print("raised", type(error).__name__, error.code)
    """)
    assert result.returncode == 0, result.stderr
    assert "raised AlreadyRemovedWarning POOL010" in result.stdout


def test_an_explicit_ignore_of_deprecation_warnings_is_not_mistaken_for_pythons_default():
    """The program's own ``ignore::DeprecationWarning`` equals CPython's default filter entry; it still wins."""
    result = run("""
        import warnings
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        from vllm_pooling_migrate.shim import PoolerConfig
        PoolerConfig(logit_bias=1.0)
    """)
    assert result.returncode == 0, result.stderr
    assert "POOL011" not in result.stderr, result.stderr


def test_a_message_filter_on_one_code_installed_first_is_honoured():
    result = run("""
        import warnings
        warnings.filterwarnings("ignore", message="POOL010:")
        from vllm_pooling_migrate.shim import PoolerConfig
        PoolerConfig(normalize=True)
        PoolerConfig(logit_bias=1.0)
    """)
    assert "POOL010" not in result.stderr and "POOL011" in result.stderr, result.stderr


def test_deprecation_warnings_from_library_code_are_shown_without_any_filter(tmp_path):
    """RemovedInV023Warning is a DeprecationWarning: CPython's default filter would hide it outside __main__."""
    (tmp_path / "legacy_module.py").write_text(
        "from vllm_pooling_migrate.shim import PoolerConfig\n\ndef build():\n    return PoolerConfig(logit_bias=1.0)\n"
    )
    result = run(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import legacy_module
        legacy_module.build()
        legacy_module.build()
    """)
    assert result.stderr.count("POOL011: ") == 1, result.stderr  # shown, once per call site
    assert "legacy_module.py:4" in result.stderr


def test_filters_added_after_the_shim_loaded_win_too():
    result = run("""
        import warnings
        from vllm_pooling_migrate.shim import PoolerConfig
        PoolerConfig(normalize=True)
        warnings.simplefilter("ignore")
        PoolerConfig(normalize=False)
    """)
    assert result.stderr.count("POOL010: ") == 1, result.stderr


@pytest.mark.parametrize("option", [["-W", "ignore"], ["-W", "error::FutureWarning"]])
def test_command_line_warning_options_are_left_alone(option):
    result = run("""
        import warnings
        from vllm_pooling_migrate.shim import PoolerConfig, deprecations
        print("ours", any(f[2] is deprecations.PoolingDeprecationWarning for f in warnings.filters))
        PoolerConfig(normalize=True)
    """, *option)
    assert "ours False" in result.stdout
    if option[1] == "ignore":
        assert result.returncode == 0 and "POOL010" not in result.stderr
    else:
        assert result.returncode != 0 and "AlreadyRemovedWarning" in result.stderr


def test_the_filter_sits_before_pythons_defaults_and_after_everything_else():
    result = run("""
        import warnings
        warnings.filterwarnings("ignore", message="unrelated")
        from vllm_pooling_migrate.shim import deprecations
        names = [(f[0], f[2].__name__) for f in warnings.filters]
        print(names)
    """)
    assert "('ignore', 'Warning'), ('default', 'PoolingDeprecationWarning'), ('default', 'DeprecationWarning')" \
        in result.stdout, result.stdout
