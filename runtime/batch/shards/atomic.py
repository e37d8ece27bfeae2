"""Atomic file writes (a hidden temporary file in the same folder, flushed, then renamed over the target), and
the job lock that keeps two runs from writing one output folder."""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path

from vllm_pooling_migrate.runtime.batch.errors import BatchError

TEMPORARY_MARK = ".tmp-"
LOCK_NAME = "_job.lock"


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """``write(temporary)`` then rename: readers and a resumed run see the whole file or none of it."""
    temporary = path.parent / f".{path.name}{TEMPORARY_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    def write(temporary: Path) -> None:
        temporary.write_text(text, encoding="utf-8")

    write_atomically(path, write)


def remove_temporaries(folder: Path) -> None:
    """What a killed run left half-written (only the lock holder calls this)."""
    if folder.is_dir():
        for leftover in folder.glob(f".*{TEMPORARY_MARK}*"):
            leftover.unlink(missing_ok=True)


class JobLock:
    """``<output>/_job.lock`` names the host and process writing the folder. A lock left by a process that no
    longer runs (a killed job) on this host is taken over."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self.held = False

    def __enter__(self) -> JobLock:
        owner = {"host": socket.gethostname(), "pid": os.getpid()}
        for _ in range(2):
            try:
                with open(self.path, "x", encoding="utf-8") as handle:
                    json.dump(owner, handle)
                self.held = True
                return self
            except FileExistsError:
                self._take_over_if_stale()
        raise BatchError(f"{self.path}: could not take the job lock")

    def _take_over_if_stale(self) -> None:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            holder = {}
        if holder.get("host") == socket.gethostname() and not _process_exists(holder.get("pid")):
            self.path.unlink(missing_ok=True)
            return
        raise BatchError(
            f"{self.path.parent}: another batch job (host {holder.get('host')}, pid {holder.get('pid')}) is writing "
            f"this output; if none is, delete {self.path}"
        )

    def __exit__(self, *exc_info: object) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)


def _process_exists(pid: object) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
