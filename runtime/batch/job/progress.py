"""The progress bar: rows finished and texts/s, on stderr (tqdm), or nothing."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def update(self, rows: int) -> None: ...

    def skipped(self, rows: int) -> None: ...


class _Silent:
    def update(self, rows: int) -> None:
        pass

    def skipped(self, rows: int) -> None:
        pass


class _Bar:
    def __init__(self, total: int | None):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc="pooling", unit="text", dynamic_ncols=True)

    def update(self, rows: int) -> None:
        self.bar.update(rows)

    def skipped(self, rows: int) -> None:
        """Rows of shards a resumed run finds finished: out of the total, so the rate counts this run's work."""
        if self.bar.total is not None:
            self.bar.total -= rows
            self.bar.refresh()


@contextmanager
def progress_bar(enabled: bool, total: int | None):
    if not enabled:
        yield _Silent()
        return
    bar = _Bar(total)
    try:
        yield bar
    finally:
        bar.bar.close()
