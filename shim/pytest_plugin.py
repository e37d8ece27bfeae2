"""pytest plugin for the pooling shim (entry point ``pooling_shim``, so every pytest run in an environment with
this package loads it).

* ``--pooling-target=0.21`` runs the suite against that emulated vLLM release (also exported as
  ``POOLING_SHIM_TARGET_VERSION`` for subprocesses): 0.21 is the removal preview.
* ``@pytest.mark.pooling_legacy`` marks a test that exercises the deprecated API on purpose: under
  ``--pooling-target`` it runs at the shim's default target (0.20) instead, and its hits stay out of the summary.
* A terminal-summary section lists the deprecated call sites the suite hit, with the fix for each.

Loaded by every pytest run, it costs nothing there: ``import shim`` is lazy, and the plugin touches the shim's
modules only when asked (``--pooling-target``) or when the tests used the shim (its report module is loaded).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from vllm_pooling_migrate.registry import Version

LEGACY_MARKER = "pooling_legacy"
_exempt_hits = pytest.StashKey[Counter]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("pooling-shim").addoption(
        "--pooling-target", metavar="VERSION", default=None,
        help="emulate this vLLM release in the pooling shim (0.18, 0.19, 0.20, 0.21 = removal preview)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{LEGACY_MARKER}: the test uses the deprecated vLLM pooling API on purpose (runs at the shim's "
        "default target under --pooling-target; its hits are left out of the summary)")
    config.stash[_exempt_hits] = Counter()
    target = config.getoption("--pooling-target")
    if target:
        from vllm_pooling_migrate.shim import versions

        try:
            versions.set_target_version(target)
        except ValueError as error:
            raise pytest.UsageError(f"--pooling-target: {error}") from None
        os.environ[versions.TARGET_ENV] = target


def _report_module():
    return sys.modules.get("vllm_pooling_migrate.shim.report")  # None: the tests never imported the shim, so nothing was hit


def _set_target_version(target: str | Version) -> None:
    from vllm_pooling_migrate.shim import versions  # only when asked: the plugin must not load the shim

    versions.set_target_version(target)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    if item.get_closest_marker(LEGACY_MARKER) is None:
        yield
        return
    suite_target = item.config.getoption("--pooling-target")
    if suite_target:
        from vllm_pooling_migrate import registry

        _set_target_version(registry.DEFAULT_SHIM_TARGET)
    report = _report_module()
    before = report.snapshot() if report else Counter()
    try:
        yield
    finally:
        if suite_target:
            _set_target_version(suite_target)
        report = _report_module()
        if report is not None:
            item.config.stash[_exempt_hits].update(report.snapshot() - before)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    report = _report_module()
    if report is None:
        return
    counts = report.snapshot() - config.stash[_exempt_hits]
    if not counts:
        return
    from vllm_pooling_migrate import registry
    from vllm_pooling_migrate.shim import versions

    terminalreporter.section("deprecated vLLM pooling API (pooling shim)")
    table = report.render_table(report.rows(counts), registry.format_version(versions.get_target_version()))
    for line in table.splitlines():
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    report = _report_module()
    if report is not None:
        report.set_print_at_exit(False)  # the summary section above replaces the table printed at exit
