"""A batch job's settings, checked once, and what they mean for the reader, the stages and the manifest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vllm_pooling_migrate.runtime.batch.columns import BATCH_TASKS, RESULT_COLUMNS, BatchTask
from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.inputs import InputSpec
from vllm_pooling_migrate.runtime.batch.stage.predictor import DEFAULT_BATCH_ROWS

#: Rows per shard (the unit of writing and resuming). Token tasks return a vector per token, so their shards
#: are smaller to keep memory near a few hundred MB.
DEFAULT_CHUNK_ROWS = 4096
DEFAULT_TOKEN_TASK_CHUNK_ROWS = 512


@dataclass(frozen=True)
class RayOptions:
    """Run the stages on Ray Data. ``address`` None starts a local Ray with ``num_cpus`` CPUs (all by default)."""

    address: str | None = None
    num_cpus: int | None = None
    #: Actors per task (each task is its own actor pool); None: as many as the cluster's CPUs (or GPUs) allow.
    num_actors: int | None = None
    cpus_per_actor: float = 1.0
    #: None: one GPU per actor when the cluster has GPUs, else none.
    gpus_per_actor: float | None = None


@dataclass(frozen=True)
class BatchOptions:
    model: str
    tasks: tuple[BatchTask, ...]
    input: Path
    output: Path
    input_format: str | None = None
    #: None: the input's ``id`` column when it has one, else row positions (output column ``row``).
    id_column: str | None = None
    text_column: str = "text"
    pair_columns: tuple[str, str] | None = None
    token_ids_column: str | None = None
    #: None: DEFAULT_CHUNK_ROWS, or DEFAULT_TOKEN_TASK_CHUNK_ROWS when a task returns per-token results.
    chunk_rows: int | None = None
    batch_rows: int = DEFAULT_BATCH_ROWS
    truncate_prompt_tokens: int | None = None
    dtype: str = "auto"
    device: str | None = None
    max_num_batched_tokens: int | None = None
    max_num_seqs: int | None = None
    max_model_len: int | None = None
    pooler_config: Mapping[str, Any] | None = None
    num_threads: int | None = None
    resume: bool = False
    progress: bool = True
    ray: RayOptions | None = None
    #: Extra keyword arguments for the shim's ``LLM`` (``hf_overrides``, ``trust_remote_code``, ...).
    llm_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.tasks:
            raise BatchError("give at least one --task")
        unknown = [task for task in self.tasks if task not in BATCH_TASKS]
        if unknown:
            raise BatchError(f"unknown task {unknown[0]!r}; tasks: {', '.join(BATCH_TASKS)}")
        if len(set(self.tasks)) != len(self.tasks):
            raise BatchError("each --task may be given once (one engine per task)")
        if "score" in self.tasks and not self.pair_columns:
            raise BatchError("--task score needs --pair-columns FIRST,SECOND (the two texts of each pair)")
        for name, value in (("--chunk-rows", self.chunk_rows), ("--batch-rows", self.batch_rows)):
            if value is not None and value < 1:
                raise BatchError(f"{name} must be at least 1, got {value}")
        if self.batch_rows < self.shard_rows and self.shard_rows % self.batch_rows:
            raise BatchError(f"--chunk-rows ({self.shard_rows}) must be a multiple of --batch-rows "
                             f"({self.batch_rows}), so that every shard splits into the same engine calls")

    @property
    def shard_rows(self) -> int:
        if self.chunk_rows is not None:
            return self.chunk_rows
        token_tasks = any(task.startswith("token_") for task in self.tasks)
        return DEFAULT_TOKEN_TASK_CHUNK_ROWS if token_tasks else DEFAULT_CHUNK_ROWS

    @property
    def window_rows(self) -> int:
        """Rows per engine call: ``batch_rows``, at most a shard. Windows are ``row // window_rows``, so they
        start where shards start."""
        return min(self.batch_rows, self.shard_rows)

    @property
    def text_columns(self) -> tuple[str, ...]:
        """The string columns the tasks read."""
        sequence_tasks = any(task != "score" for task in self.tasks)
        texts = (self.text_column,) if sequence_tasks and not self.token_ids_column else ()
        pairs = self.pair_columns if "score" in self.tasks and self.pair_columns else ()
        return texts + pairs

    @property
    def token_ids_columns(self) -> tuple[str, ...]:
        return (self.token_ids_column,) if self.token_ids_column and self.tasks != ("score",) else ()

    def check_columns(self, spec: InputSpec) -> None:
        clashes = [task for task in self.tasks if RESULT_COLUMNS[task] == spec.output_id_column]
        if clashes:
            raise BatchError(f"the id column {spec.output_id_column!r} has the name of the {clashes[0]} result "
                             "column; name another with --id-column")

    def engine_kwargs(self) -> dict[str, Any]:
        """The shim ``LLM``'s arguments (None: its default)."""
        given = dict(dtype=self.dtype, device=self.device, max_num_batched_tokens=self.max_num_batched_tokens,
                     max_num_seqs=self.max_num_seqs, max_model_len=self.max_model_len, **self.llm_kwargs)
        return {name: value for name, value in given.items() if value is not None}

    def stage_kwargs(self, task: BatchTask) -> dict[str, Any]:
        """``PoolingPredictor``'s constructor arguments for one task."""
        return dict(
            model=self.model, task=task, text_column=self.text_column, pair_columns=self.pair_columns,
            token_ids_column=self.token_ids_column, truncate_prompt_tokens=self.truncate_prompt_tokens,
            pooler_config=dict(self.pooler_config) if self.pooler_config else None, batch_rows=self.window_rows,
            num_threads=self.num_threads, **self.engine_kwargs(),
        )

    def job_description(self, spec: InputSpec, input_fingerprint: dict[str, Any], target_version: str
                        ) -> dict[str, Any]:
        """What the manifest records: everything that decides which rows land in which shard and their values."""
        return {
            "input": {**input_fingerprint, "format": spec.format},
            "columns": {"id": spec.id_column, "text": self.text_column, "pairs": self.pair_columns,
                        "token_ids": self.token_ids_column},
            "model": self.model,
            "tasks": list(self.tasks),
            "chunk_rows": self.shard_rows,
            "batch_rows": self.window_rows,
            "truncate_prompt_tokens": self.truncate_prompt_tokens,
            "pooler_config": dict(self.pooler_config) if self.pooler_config else None,
            "engine": {k: v for k, v in self.engine_kwargs().items()},
            "shim_target_version": target_version,
        }
