"""The usage report: every deprecated call site hit in a run, counted even when warning filters hide repeats.

At exit, a process that is not a multiprocessing worker prints the table to stderr (when there were hits) and
writes JSON to ``$POOLING_SHIM_REPORT`` (format in ``docs/shim.md``). Worker processes, forked or spawned,
append each hit as one JSON line to a spool directory named by their parent (``$POOLING_SHIM_SPOOL``), so hits
survive even a worker that is killed; the parent merges the spool into its own report.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable

from vllm_pooling_migrate import registry

REPORT_ENV = "POOLING_SHIM_REPORT"
STDERR_ENV = "POOLING_SHIM_REPORT_STDERR"  # "0" silences the table at exit
SPOOL_ENV = "POOLING_SHIM_SPOOL"
FORMAT = "pooling-shim-report/1"

Site = tuple[str, str, int]  # (code, absolute path, line)

_lock = threading.Lock()
_counts: Counter[Site] = Counter()
_print_at_exit = os.environ.get(STDERR_ENV, "1") != "0"


def _new_spool() -> str:
    return os.path.join(tempfile.gettempdir(), f"pooling-shim-spool-{os.getpid()}-{os.urandom(4).hex()}")


# Our parent's spool (where our hits also go), and ours (where our children's go). Only paths: nothing is
# created until a child records a hit.
_parent_spool = os.environ.get(SPOOL_ENV)
_own_spool = _new_spool()
os.environ[SPOOL_ENV] = _own_spool


def site_path(filename: str) -> str:
    """A file's absolute path; a site named for what was seen (``<http POST /pooling>``, ``<…command line>``) as is."""
    return filename if filename.startswith("<") else os.path.abspath(filename)


def record(code: str, filename: str, line: int) -> None:
    record_counts([(code, filename, line, 1)])


def record_counts(hits: Iterable[tuple[str, str, int, int]]) -> None:
    """Record ``(code, filename, line, count)`` hits, e.g. those a worker reported, under one lock and one spool
    write (one line per hit, as ``record`` writes them)."""
    sites = [((code, site_path(filename), line), count) for code, filename, line, count in hits if count > 0]
    with _lock:
        for site, count in sites:
            _counts[site] += count
        if _parent_spool and sites:
            _append_to_spool(_parent_spool, [site for site, count in sites for _ in range(count)])


def parent_spool() -> str | None:
    """The spool this process's hits are also written to (its parent's), or None in a top-level process."""
    return _parent_spool


def _append_to_spool(spool: str, sites: list[Site]) -> None:
    os.makedirs(spool, exist_ok=True)
    with open(os.path.join(spool, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as f:
        f.writelines(json.dumps(site) + "\n" for site in sites)


def _read_spool(spool: str) -> Counter[Site]:
    counts: Counter[Site] = Counter()
    if not os.path.isdir(spool):
        return counts
    for name in os.listdir(spool):
        with open(os.path.join(spool, name), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    code, path, lineno = json.loads(line)
                    counts[(code, path, lineno)] += 1
    return counts


def snapshot() -> Counter[Site]:
    """Hits so far in this process and in the worker processes it started."""
    with _lock:
        return _counts + _read_spool(_own_spool)


def set_print_at_exit(enabled: bool) -> None:
    """The pytest plugin prints its own summary section instead."""
    global _print_at_exit
    _print_at_exit = enabled


def origin(path: str) -> str:
    parts = path.split(os.sep)
    return "third-party" if "site-packages" in parts or "dist-packages" in parts else "own"


def _package(path: str) -> str | None:
    from importlib.metadata import packages_distributions

    parts = path.split(os.sep)
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            top = parts[parts.index(marker) + 1].removesuffix(".py")
            return next(iter(packages_distributions().get(top, [])), top)
    return None


def display_path(path: str) -> str:
    """Relative to the working directory when inside it, else absolute."""
    return os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else path


def fix_command(code: str, path: str) -> str:
    return registry.get(code).fix_command(display_path(path))


def rows(counts: Counter[Site]) -> list[dict]:
    """The report rows, sorted by file and line; the JSON report is exactly these."""
    result = []
    for (code, path, line), count in sorted(counts.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])):
        entry = registry.get(code)
        removal = entry.removed_in or entry.removal_announced
        result.append({
            "code": code,
            "path": path,
            "line": line,
            "count": count,
            "origin": origin(path),
            "package": _package(path),
            "title": entry.title,
            "removed_in": registry.format_version(removal) if removal else None,
            "fix": fix_command(code, path),
        })
    return result


def render_table(report_rows: list[dict], target: str) -> str:
    lines = [f"pooling shim: {len(report_rows)} deprecated vLLM pooling call site(s) hit (emulating vLLM {target})"]
    for row in report_rows:
        where = f"{display_path(row['path'])}:{row['line']}"
        owner = row["origin"] if row["package"] is None else f"third-party ({row['package']})"
        removal = f"removed in {row['removed_in']}" if row["removed_in"] else "never valid"
        lines.append(f"  {row['code']}  {where}  x{row['count']}  {owner}  {removal}  fix: {row['fix']}")
    return "\n".join(lines)


def write_json(report_rows: list[dict], target: str, path: str) -> None:
    document = {"format": FORMAT, "target_version": target, "sites": report_rows}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2)
        f.write("\n")


def _is_multiprocessing_worker() -> bool:
    mp = sys.modules.get("multiprocessing")
    return mp is not None and mp.parent_process() is not None


def _at_exit() -> None:
    from vllm_pooling_migrate.shim.versions import get_target_version

    if _is_multiprocessing_worker():
        descendants = _read_spool(_own_spool)  # our own hits were written through already
        if _parent_spool and descendants:
            _append_to_spool(_parent_spool, list(descendants.elements()))
        _remove_spool()
        return
    counts = snapshot()
    _remove_spool()
    if not counts:
        return
    report_rows = rows(counts)
    target = registry.format_version(get_target_version())
    if _print_at_exit:
        print(render_table(report_rows, target), file=sys.stderr)
    if os.environ.get(REPORT_ENV):
        write_json(report_rows, target, os.environ[REPORT_ENV])


def _remove_spool() -> None:
    if os.path.isdir(_own_spool):
        for name in os.listdir(_own_spool):
            os.remove(os.path.join(_own_spool, name))
        os.rmdir(_own_spool)


def _after_fork_in_child() -> None:
    """A forked child starts with its parent's counts: clear them and report to the parent from now on."""
    global _lock, _parent_spool, _own_spool
    _lock = threading.Lock()
    _counts.clear()
    _parent_spool, _own_spool = _own_spool, _new_spool()
    os.environ[SPOOL_ENV] = _own_spool


atexit.register(_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)
