"""Run the scanners over many files: a byte pre-filter, one worker process per core, results in order.

Workers only read and compute; the parent decides what to write, so a failed run never leaves a file
half-written (each write is an atomic replace).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vllm_pooling_migrate.codemod.config import Config, options_for_file
from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.finding import FileResult
from vllm_pooling_migrate.codemod.formats import FileKind, file_kind, scan_file
from vllm_pooling_migrate.codemod.formats.kinds import may_be_affected as kind_may_be_affected
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.prefilter import may_be_affected
from vllm_pooling_migrate.codemod.writes import SourceError, SourceFile, decode_source

#: Below this many files a process pool costs more than it saves.
MIN_FILES_FOR_POOL = 24


@dataclass
class FileOutcome:
    result: FileResult
    source: SourceFile | None = None  # None when the file was skipped before decoding


def process_file(path: Path, options: Options) -> FileOutcome:
    try:
        data = path.read_bytes()
    except OSError as error:
        return FileOutcome(FileResult(str(path), error=f"{path}: cannot read: {error.strerror}"))
    kind = file_kind(str(path))
    if kind is not None and not (may_be_affected(data) if kind is FileKind.PYTHON else kind_may_be_affected(kind, data)):
        return FileOutcome(FileResult(str(path)))  # cannot hold a finding: not even decoded
    try:
        source = decode_source(data, path)
    except SourceError as error:
        return FileOutcome(FileResult(str(path), error=str(error)))
    return FileOutcome(process_text(str(path), source.text, options), source)


def process_text(path: str, text: str, options: Options) -> FileResult:
    try:
        return scan_file(path, text, options, check_python_source)
    except RecursionError:
        return FileResult(path, error=f"{path}: too deeply nested to analyse; left unchanged")
    except Exception as error:  # noqa: BLE001 - one file's internal error must not stop the run or lose files
        return FileResult(path, error=f"{path}: internal error ({type(error).__name__}: {error}); left unchanged")


def _process_for_pool(item: tuple[Path, Options]) -> FileOutcome:
    return process_file(*item)


def run_files(
    files: list[Path],
    options: Options,
    config: Config | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileOutcome]:
    """Outcomes in the order of ``files``; ``jobs`` processes (default: the usable cores)."""
    work = [(path, options_for_file(options, config, path) if config else options) for path in files]
    jobs = jobs or usable_cores()
    outcomes: list[FileOutcome] = []
    if jobs <= 1 or len(work) < MIN_FILES_FOR_POOL:
        iterator: Iterable[FileOutcome] = map(_process_for_pool, work)
        return _collect(iterator, len(work), progress, outcomes)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunksize = max(1, min(64, len(work) // (jobs * 8)))
        return _collect(pool.map(_process_for_pool, work, chunksize=chunksize), len(work), progress, outcomes)


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _collect(iterator, total, progress, outcomes):
    for index, outcome in enumerate(iterator, 1):
        outcomes.append(outcome)
        if progress:
            progress(index, total)
    return outcomes


class ProgressBar:
    """A one-line counter on a terminal's stderr, for runs long enough to need one."""

    def __init__(self, total: int, stream=sys.stderr, min_total: int = 200) -> None:
        self.enabled = total >= min_total and stream.isatty()
        self.stream = stream

    def __call__(self, done: int, total: int) -> None:
        if self.enabled and (done == total or done % 50 == 0):
            width = 30
            filled = width * done // total
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
