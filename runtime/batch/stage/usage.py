"""Deprecated-API hits made inside a worker (a Ray actor), carried to the driver's usage report with the rows.

The shim's report reaches a parent only through a spool directory that the child inherits through the
environment. That fails on a cluster (the directory is node-local) and when the driver imported the shim after
``ray.init`` (the raylet's environment has no spool then). So each stage also puts its process's new hits into
the batch it returns: a JSON list in the first row of the ``_pooling_shim_usage`` column. The driver passes every
batch through :func:`merge_worker_usage`, which records them unless they are already counted: hits made in the
driver's own process, or hits already written to the driver's own spool.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections import Counter

import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.columns import USAGE_COLUMN

_lock = threading.Lock()
#: What this process has already handed out: hits are counted once per process, however many stages run in it.
_handed_out: Counter[tuple[str, str, int]] = Counter()


def _report():
    from vllm_pooling_migrate.shim import report

    return report


def take_new_hits() -> dict | None:
    """This process's hits since the last call, as a payload for the driver; None when there are none."""
    report = _report()
    with _lock:
        now = report.snapshot()
        new = now - _handed_out
        if not new:
            return None
        _handed_out.update(new)
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        # Where this process's hits already go (its parent's spool), so the driver can tell a duplicate.
        "spool": report.parent_spool(),
        "hits": [[code, path, line, count] for (code, path, line), count in sorted(new.items())],
    }


def attach(table: pa.Table, payload: dict | None) -> pa.Table:
    """``table`` with the usage column (added when missing, so every batch has the same columns) and
    ``payload`` appended to the list in its first row."""
    values = (table.column(USAGE_COLUMN).to_pylist() if USAGE_COLUMN in table.column_names
              else [None] * table.num_rows)
    if payload is not None:
        if not values:
            raise ValueError("a usage payload needs a row to travel in")
        values[0] = json.dumps((json.loads(values[0]) if values[0] else []) + [payload])
    column = pa.array(values, pa.string())
    if USAGE_COLUMN in table.column_names:
        return table.set_column(table.column_names.index(USAGE_COLUMN), USAGE_COLUMN, column)
    return table.append_column(USAGE_COLUMN, column)


def _already_counted(payload: dict) -> bool:
    if payload.get("host") != socket.gethostname():
        return False
    own_spool = os.environ.get(_report().SPOOL_ENV)  # this process's own spool once the report is imported
    return payload.get("pid") == os.getpid() or (payload.get("spool") is not None and payload["spool"] == own_spool)


def merge_worker_usage(table: pa.Table) -> pa.Table:
    """Records the worker hits a batch carries in this process's usage report; returns the batch without the
    usage column. Call it on every batch a pipeline of :class:`PoolingPredictor` stages returns to the driver."""
    if USAGE_COLUMN not in table.column_names:
        return table
    report = _report()
    for value in table.column(USAGE_COLUMN).to_pylist():
        for payload in json.loads(value) if value else []:
            if _already_counted(payload):
                continue
            report.record_counts(payload["hits"])
    return table.drop_columns([USAGE_COLUMN])
