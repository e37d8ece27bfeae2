"""Deprecated flags and requests seen by the server: into the shim's usage report, vLLM's log, a Python warning.

Offline, a hit's site is the user's line. A server does not know the code that sent a request or wrote its command
line, so its sites are named for what was seen: ``<vllm-pooling-serve command line>`` or ``<http POST /pooling>``
(line 0). The report counts them like any site (``POOLING_SHIM_REPORT``); ``migrate-pooling --from-report`` skips
paths that are not files, so these rows inform and never rewrite.
"""

from __future__ import annotations

import warnings

from vllm_pooling_migrate import registry
from vllm_pooling_migrate.shim import report
from vllm_pooling_migrate.shim.deprecations import log_vllm_warning, warning_class

COMMAND_LINE_SITE = "<vllm-pooling-serve command line>"


def http_site(method: str, route: str) -> str:
    return f"<http {method} {route}>"


def record_hit(code: str, site: str) -> None:
    report.record(code, site, 0)


def warn_hit(code: str, vllm_text: str, site: str, *, log: tuple[str, str, tuple] | None = None,
             log_once: bool = True) -> None:
    """Record, log vLLM's record (template and arguments unchanged), then a Python warning carrying the code.

    Python's default filter shows each distinct warning text once per process, as vLLM's ``warning_once`` does."""
    record_hit(code, site)
    if log is not None:
        logger_name, template, args = log
        log_vllm_warning(logger_name, template, *args, once=log_once)
    entry = registry.get(code)
    warnings.warn(warning_class(entry)(code, vllm_text, entry.fix_command()), stacklevel=2)
