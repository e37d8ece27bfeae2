"""The warning classes and the one emission path for every deprecated use the shim sees.

A hit is (1) recorded in the usage report, before any filter can hide it; (2) logged on vLLM's logger with
vLLM's template, once per (logger, template, args) like vLLM's ``warning_once``, so alerts written for vLLM's
logs still fire; (3) raised as a Python warning blamed on the user's line, so ``-W``/``filterwarnings`` apply.
In the removal preview the same hit raises vLLM's exception instead, with the code and the fix as a note.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from typing import Any

from vllm_pooling_migrate import registry
from vllm_pooling_migrate.shim import report

_SHIM_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep  # trailing sep: do not also skip "shim_ext/"


class PoolingDeprecationWarning(Warning):
    """Root of every shim warning: filter on it to catch them all. Text: ``CODE: <vLLM's text>`` + a fix line."""

    def __init__(self, code: str, vllm_text: str, fix: str) -> None:
        super().__init__(f"{code}: {vllm_text}\n  fix: {fix}")
        self.code = code
        self.vllm_text = vllm_text
        self.fix = fix
        self.deprecation = registry.get(code)

    def __reduce__(self):  # the default would call __init__ with the joined text only (pytest-xdist pickles these)
        return type(self), (self.code, self.vllm_text, self.fix)


class AlreadyRemovedWarning(PoolingDeprecationWarning, FutureWarning):
    """vLLM removed (or never accepted) this spelling before 0.21; only the shim's warn mode still runs it."""


class RemovedInV021Warning(PoolingDeprecationWarning, FutureWarning):
    """Removed in vLLM 0.21.0, the next removal: a FutureWarning, so shown by default."""


class RemovedInV023Warning(PoolingDeprecationWarning, DeprecationWarning):
    """Removed in vLLM 0.23: a DeprecationWarning, shown in test runs and in ``__main__``."""


RemovedInNextVersionWarning = RemovedInV021Warning

#: CPython's own filters when no warning option is given (the end of ``warnings.filters``, in this order).
_PYTHON_DEFAULT_FILTERS = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, None),
    ("ignore", PendingDeprecationWarning, None),
    ("ignore", ImportWarning, None),
    ("ignore", ResourceWarning, None),
)


def _python_default_tail(filters: list[Any]) -> int:
    """Where CPython's own default filters start at the end of ``filters`` (``len(filters)`` when they are gone).
    Each default is matched once, from the end, so a user filter that happens to equal one is not taken for it."""
    expected = list(_PYTHON_DEFAULT_FILTERS)
    position = len(filters)
    while position and expected:
        action, message, category, module, lineno = filters[position - 1]
        module_text = getattr(module, "pattern", module)
        if message is not None or lineno != 0 or (action, category, module_text) != expected[-1]:
            break
        expected.pop()
        position -= 1
    return position


def install_default_filter() -> None:
    """Show every shim warning once per call site, without overriding anyone's filters.

    The filter goes just before CPython's own defaults (whose ``ignore::DeprecationWarning`` would hide
    :class:`RemovedInV023Warning` outside ``__main__``), so every filter a program or a library installed, before
    or after the shim first loads, comes first and wins. Nothing is added when the user chose warning options
    (``-W``, ``PYTHONWARNINGS``: the CPython docs' recipe)."""
    if sys.warnoptions:
        return
    filters: list[Any] = warnings.filters  # type: ignore[assignment]  # typeshed: Sequence; a list at runtime
    if any(entry[2] is PoolingDeprecationWarning for entry in filters):
        return
    start = _python_default_tail(filters)
    tail = filters[start:]
    del filters[start:]
    warnings.filterwarnings("default", category=PoolingDeprecationWarning, append=True)  # also resets the caches
    filters.extend(tail)


install_default_filter()

# vLLM's records go to vLLM's logger names for handlers that listen; with no handler configured anywhere, Python's
# last-resort handler would print each one as a bare line next to the warning, so every event would appear twice.
logging.getLogger("vllm").addHandler(logging.NullHandler())


def warning_class(entry: registry.Deprecation) -> type[PoolingDeprecationWarning]:
    removal = entry.removed_in or entry.removal_announced
    if removal is None or removal < (0, 21):
        return AlreadyRemovedWarning
    return RemovedInV021Warning if removal < (0, 23) else RemovedInV023Warning


def _user_frame() -> tuple[str, int, int]:
    """(filename, line, stacklevel for a ``warnings.warn`` called here): the first frame outside the shim."""
    frame, level = sys._getframe(1), 1  # the caller (warn/removed) is stacklevel 1 of its own warnings.warn
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_SHIM_DIR):
        frame, level = frame.f_back, level + 1
    return frame.f_code.co_filename, frame.f_lineno, level


_logged_once: set[tuple[str, str, tuple]] = set()
_logged_once_lock = threading.Lock()


def log_vllm_warning(logger_name: str, template: str, *args: object, once: bool = True) -> None:
    """vLLM's ``logger.warning_once`` (or plain ``warning``) record, template and arguments unchanged."""
    if once:
        with _logged_once_lock:
            key = (logger_name, template, args)
            if key in _logged_once:
                return
            _logged_once.add(key)
    logging.getLogger(logger_name).warning(template, *args)


def warn(code: str, vllm_text: str, *, log: tuple[str, str, tuple] | None = None, log_once: bool = True) -> None:
    """Report, log and warn one deprecated use. ``log`` is (vLLM logger name, template, args) when vLLM logged it."""
    filename, line, stacklevel = _user_frame()
    report.record(code, filename, line)
    if log is not None:
        logger_name, template, args = log
        log_vllm_warning(logger_name, template, *args, once=log_once)
    category = warning_class(registry.get(code))
    warnings.warn(category(code, vllm_text, report.fix_command(code, filename)), stacklevel=stacklevel)


def removed(code: str, error: BaseException) -> BaseException:
    """Record the hit and return vLLM's exception, text untouched, with the code and the fix as a note."""
    filename, line, _ = _user_frame()
    report.record(code, filename, line)
    if hasattr(error, "add_note"):  # Python 3.11+; the text itself must stay vLLM's
        error.add_note(f"{code}: {registry.get(code).title}; fix: {report.fix_command(code, filename)}")
    return error
