"""``run_batch``: read the input in shards, run every task's stage on each, write each shard atomically, then
check the output against the input before reporting success.

In process (the default) one shard is in memory at a time: read, pooled by each stage, written. With
``options.ray`` the stages run as Ray Data actor pools (``on_ray/``); reading, writing and the final check stay
the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from vllm_pooling_migrate.runtime.batch.columns import BatchTask
from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.inputs import InputSpec, count_rows, open_input, read_chunks
from vllm_pooling_migrate.runtime.batch.job.dtype import decide_dtype
from vllm_pooling_migrate.runtime.batch.job.options import BatchOptions
from vllm_pooling_migrate.runtime.batch.job.progress import Progress, progress_bar
from vllm_pooling_migrate.runtime.batch.shards import (
    JobLock,
    ShardStore,
    input_fingerprint,
    make_output_folder,
    prepare_output,
    read_manifest,
    verify_output,
)
from vllm_pooling_migrate.runtime.batch.shards.store import ERRORS_FILE
from vllm_pooling_migrate.runtime.batch.stage import PoolingPredictor, merge_worker_usage

#: Exit status of a job that finished and checked out, but with rows in the errors file.
EXIT_ROW_ERRORS = 3


@dataclass(frozen=True)
class BatchSummary:
    output: Path
    shards: int
    input_rows: int
    output_rows: int
    failed_rows: int
    error_records: int
    #: Shards a resumed run found finished.
    resumed_shards: int
    #: Wall time of the whole job, and of loading the engines (in process; 0 on Ray, where actors load them).
    seconds: float
    load_seconds: float

    @property
    def errors_file(self) -> Path:
        return self.output / ERRORS_FILE

    @property
    def exit_code(self) -> int:
        return EXIT_ROW_ERRORS if self.failed_rows else 0

    def describe(self) -> str:
        rows_per_second = (self.input_rows / self.seconds) if self.seconds else 0.0
        text = (f"{self.output_rows} of {self.input_rows} rows written to {self.output} in {self.shards} shard(s) "
                f"({self.seconds:.1f} s, {rows_per_second:.0f} rows/s overall)")
        if self.resumed_shards:
            text += f"; {self.resumed_shards} shard(s) were already finished"
        if self.failed_rows:
            text += f"\n{self.failed_rows} row(s) failed: see {self.errors_file}"
        return text


def run_batch(options: BatchOptions) -> BatchSummary:
    from vllm_pooling_migrate.registry import format_version
    from vllm_pooling_migrate.shim.versions import get_target_version

    started = time.perf_counter()
    previous_job = read_manifest(options.output) if options.resume else None
    try:
        options = replace(options, dtype=decide_dtype(options, previous_job))
    except (OSError, ValueError) as error:
        raise BatchError(f"cannot read the model's config: {error}") from error
    spec = open_input(options.input, format=options.input_format, id_column=options.id_column,
                      text_columns=options.text_columns, token_ids_columns=options.token_ids_columns)
    options.check_columns(spec)
    store = ShardStore(options.output, spec.output_id_column, options.tasks)
    job = options.job_description(spec, input_fingerprint(spec.path), format_version(get_target_version()))
    # Engines first: a model or setting the shim refuses ends the job before the output folder exists.
    loading = time.perf_counter()
    stages = [start_stage(options, task) for task in options.tasks] if options.ray is None else []
    load_seconds = time.perf_counter() - loading
    make_output_folder(options.output)
    with JobLock(options.output):
        prepare_output(options.output, job, resume=options.resume)
        store.clean_leftovers()
        finished = store.finished() if options.resume else set()
        with progress_bar(options.progress, count_rows(spec)) as progress:
            if options.ray is not None:
                from vllm_pooling_migrate.runtime.batch.on_ray import run_on_ray

                run_on_ray(options, spec, store, finished, progress)
            else:
                _run_in_process(stages, options, spec, store, finished, progress)
        checked = verify_output(spec, store, options.shard_rows)
        error_records = store.combine_errors(checked.shards)
    return BatchSummary(options.output, checked.shards, checked.input_rows, checked.output_rows,
                        checked.failed_rows, error_records, len(finished), time.perf_counter() - started,
                        load_seconds)


def start_stage(options: BatchOptions, task: BatchTask) -> PoolingPredictor:
    """The task's engine; what the shim or the engine refuses at start-up (vLLM's message) ends the job."""
    try:
        return PoolingPredictor(**options.stage_kwargs(task))
    except (OSError, ValueError, RuntimeError, TypeError, NotImplementedError) as error:
        raise BatchError(f"cannot start the {task!r} stage: {error}") from error


def _run_in_process(stages: list[PoolingPredictor], options: BatchOptions, spec: InputSpec, store: ShardStore,
                    finished: set[int], progress: Progress) -> None:
    stages[-1].on_rows = progress.update
    for chunk in read_chunks(spec, options.shard_rows, skip=finished):
        if chunk.table is None:
            progress.skipped(chunk.num_rows)
            continue
        table = chunk.table
        for stage in stages:
            table = stage(table)
        store.write(chunk.shard, chunk.first_row, merge_worker_usage(table))
