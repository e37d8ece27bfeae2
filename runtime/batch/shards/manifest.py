"""``<output>/_manifest.json``: what produced the shards in a folder. A resumed run must be the same job (same
input file, columns, model, tasks, chunking and engine settings), or its shards would not fit the old ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.shards.atomic import LOCK_NAME, TEMPORARY_MARK, write_text_atomically

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = "vllm-pooling-batch/1"


def input_fingerprint(path: Path) -> dict[str, Any]:
    """Enough to tell that the input changed between a run and its resume."""
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The job recorded in an output folder; None when there is none (or it cannot be read: ``prepare_output``
    then says so)."""
    try:
        return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def make_output_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise BatchError(f"--output {folder}: a file is in the way; the output is a folder of Parquet shards")
    folder.mkdir(parents=True, exist_ok=True)


def prepare_output(folder: Path, job: dict[str, Any], *, resume: bool) -> None:
    """Writes the folder's manifest, or checks that ``--resume`` continues the same job (under the job lock)."""
    manifest = folder / MANIFEST_NAME
    document = json.loads(json.dumps({"format": MANIFEST_FORMAT, **job}))  # as it reads back (tuples as lists)
    if manifest.exists() and not any(folder.glob("part-*.parquet")):
        manifest.unlink()  # a job that wrote no shard (its stages failed to start): nothing to resume or to lose
    if not manifest.exists():
        leftovers = [p.name for p in folder.iterdir() if p.name != LOCK_NAME and TEMPORARY_MARK not in p.name]
        if leftovers:
            raise BatchError(f"--output {folder}: the folder holds other files ({', '.join(sorted(leftovers)[:5])}); "
                             "choose an empty or new folder")
        write_text_atomically(manifest, json.dumps(document, indent=2, sort_keys=True) + "\n")
        return
    if not resume:
        raise BatchError(f"--output {folder}: a batch job already wrote here; pass --resume to finish it, or "
                         "choose another folder")
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BatchError(f"{manifest}: unreadable ({error}); this folder cannot be resumed") from None
    changed = sorted(key for key in set(previous) | set(document) if previous.get(key) != document.get(key))
    if changed:
        details = "; ".join(f"{key}: was {previous.get(key)!r}, now {document.get(key)!r}" for key in changed)
        raise BatchError(f"--resume {folder}: not the same job as the one that wrote it ({details})")
