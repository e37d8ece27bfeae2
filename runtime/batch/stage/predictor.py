"""``PoolingPredictor``: one pooling task over batches of rows, on the shim's ``LLM`` (vLLM's offline API and its
per-release behaviour) and the runtime engine. A plain callable class: the in-process job calls it directly, and
Ray Data runs it as ``map_batches(PoolingPredictor, compute=ActorPoolStrategy(size=n), batch_format="pyarrow")``.

One instance builds one engine pinned to one task (``PoolerConfig(task=...)``), as vLLM 0.21 requires; several
tasks are several stages. A row that cannot be computed (no text, an empty one, too long without truncation, an
unknown token id) gets a null result and its message in the stage's error column; the other rows go on.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.columns import (
    BATCH_TASKS,
    RESULT_COLUMNS,
    ROW_COLUMN,
    SHARD_COLUMN,
    BatchTask,
    error_column,
)
from vllm_pooling_migrate.runtime.batch.stage import screening, usage
from vllm_pooling_migrate.runtime.batch.stage.prompts import Prompt, PromptSource, extract_prompts
from vllm_pooling_migrate.runtime.batch.stage.results import Result, result_type, to_arrow

#: Rows per engine call. Results depend (in the last bits) on which rows share a call, so calls are cut from
#: fixed windows of rows (per shard), never from however a batch happened to arrive: the in-process job and
#: Ray produce identical numbers.
DEFAULT_BATCH_ROWS = 1024
_PROBE_TEXT = "probe"


class PoolingPredictor:
    """Computes ``task`` for every row of a batch and returns the batch with two more columns: the result
    (``embedding``, ``probs``, ``score``, ``token_embeddings``, ``token_probs`` or ``dense_and_sparse``) and
    ``<result>_error``.

    ``model`` and ``llm_kwargs`` go to the shim's ``LLM`` (``dtype``, ``device``, ``max_num_batched_tokens``,
    ``max_num_seqs``, ``max_model_len``, ``hf_overrides``, ...); ``pooler_config`` is a dict of ``PoolerConfig``
    fields, whose ``task`` is set to ``task``. Prompts come from ``text_column``, from the two ``pair_columns``
    (``score``), or from ``token_ids_column``. Threads: ``num_threads``, else inside a Ray actor the actor's CPUs.
    """

    def __init__(
        self,
        model: str,
        task: BatchTask = "embed",
        *,
        text_column: str = "text",
        pair_columns: tuple[str, str] | list[str] | None = None,
        token_ids_column: str | None = None,
        truncate_prompt_tokens: int | None = None,
        pooler_config: Mapping[str, Any] | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        num_threads: int | None = None,
        **llm_kwargs: Any,
    ):
        if task not in BATCH_TASKS:
            raise ValueError(f"task must be one of {', '.join(BATCH_TASKS)}, got {task!r}")
        if task == "score" and not pair_columns:
            raise ValueError("task 'score' reads a pair of text columns: pass pair_columns=(first, second)")
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
        self.task: BatchTask = task
        # Pairs are score's prompts, texts or token ids every other task's.
        if task == "score":
            self.source = PromptSource(None, (pair_columns[0], pair_columns[1]))  # type: ignore[index]
        else:
            self.source = PromptSource(text_column, None, token_ids_column)
        self.result_column = RESULT_COLUMNS[task]
        self.error_column = error_column(task)
        self.truncate_prompt_tokens = truncate_prompt_tokens
        self.batch_rows = batch_rows
        #: Called with a row count after each engine call (the in-process job's progress bar).
        self.on_rows: Callable[[int], None] | None = None
        threads = num_threads or _ray_actor_cpus()
        if threads:
            from vllm_pooling_migrate.runtime.devices import configure_threads

            configure_threads(threads)
        self.llm = _build_llm(model, task, pooler_config, llm_kwargs)
        self._pairs_as = screening.score_type(self.llm) if task == "score" else None
        # One prompt through the whole path: a configuration the engine refuses fails here, before any row, and
        # the result's shape fixes the column type even for a batch whose rows all fail.
        probe: Prompt = (_PROBE_TEXT, _PROBE_TEXT) if task == "score" else _PROBE_TEXT
        self.result_type = result_type(task, self._compute([probe])[0])

    def __call__(self, batch: pa.Table | Mapping[str, Any]) -> pa.Table:
        table = as_table(batch)
        for name in (self.result_column, self.error_column):
            if name in table.column_names:
                raise ValueError(f"the batch already has a column {name!r}: run each task once")
        prompts, errors = extract_prompts(table, self.source)
        results: list[Result | None] = [None] * table.num_rows
        for window in self._windows(table):
            self._run_window([i for i in window if prompts[i] is not None], prompts, results, errors)
            if self.on_rows is not None:
                self.on_rows(len(window))
        table = table.append_column(self.result_column, to_arrow(results, self.result_type))
        table = table.append_column(self.error_column, pa.array(errors, pa.string()))
        return usage.attach(table, usage.take_new_hits() if table.num_rows else None)

    # -- engine calls ----------------------------------------------------------------------------------------

    def _windows(self, table: pa.Table) -> list[list[int]]:
        """Row positions per engine call: by (shard, row // batch_rows) when the rows carry them (the job makes
        its shards a multiple of ``batch_rows`` long, so windows start where shards start), else consecutive runs
        of ``batch_rows``."""
        if SHARD_COLUMN not in table.column_names or ROW_COLUMN not in table.column_names:
            return [list(range(start, min(start + self.batch_rows, table.num_rows)))
                    for start in range(0, table.num_rows, self.batch_rows)]
        windows: dict[tuple[int, int], list[int]] = {}
        shards, rows = table.column(SHARD_COLUMN).to_pylist(), table.column(ROW_COLUMN).to_pylist()
        for position, (shard, row) in enumerate(zip(shards, rows)):
            windows.setdefault((shard, row // self.batch_rows), []).append(position)
        return list(windows.values())

    def _run_window(self, todo: list[int], prompts: list[Prompt | None], results: list[Result | None],
                    errors: list[str | None]) -> None:
        if not todo:
            return
        try:
            outputs = self._compute([prompts[i] for i in todo])  # type: ignore[misc]  # todo holds prompted rows
        except (ValueError, TypeError):
            # Some row is refused: find the refused rows by tokenizing alone, then run the others together.
            refused = screening.refusals(self.llm, [prompts[i] for i in todo],  # type: ignore[misc]
                                         self.truncate_prompt_tokens, self._pairs_as)
            for index, message in zip(todo, refused):
                errors[index] = message
            todo = [i for i, message in zip(todo, refused) if message is None]
            try:
                outputs = self._compute([prompts[i] for i in todo]) if todo else []  # type: ignore[misc]
            except (ValueError, TypeError):
                self._run_rows_alone(todo, prompts, results, errors)  # the screening missed one: row by row
                return
        for index, output in zip(todo, outputs, strict=True):
            results[index] = output

    def _run_rows_alone(self, todo: list[int], prompts: list[Prompt | None], results: list[Result | None],
                        errors: list[str | None]) -> None:
        for index in todo:
            try:
                results[index] = self._compute([prompts[index]])[0]  # type: ignore[list-item]
            except (ValueError, TypeError) as error:
                errors[index] = str(error)

    def _compute(self, prompts: list[Prompt]) -> list[Result]:
        if self.task == "score":
            scored = self.llm.score([p[0] for p in prompts], [p[1] for p in prompts], use_tqdm=False,
                                    truncate_prompt_tokens=self.truncate_prompt_tokens)
            return [output.outputs.score for output in scored]
        pooled = self.llm.encode(prompts, pooling_task=self.task, use_tqdm=False,
                                 truncate_prompt_tokens=self.truncate_prompt_tokens)
        return [output.outputs.data.numpy() for output in pooled]


def _build_llm(model: str, task: BatchTask, pooler_config: Mapping[str, Any] | None, llm_kwargs: dict):
    from vllm_pooling_migrate.shim import LLM, PoolerConfig
    from vllm_pooling_migrate.shim.versions import profile

    fields = dict(pooler_config or {})
    release = profile()
    if task == "embed&token_classify" and release.combined_task_asserts:
        raise ValueError(
            "embed&token_classify cannot run through vLLM's offline API from 0.20 on (vLLM fails a bare assertion: "
            "no IO processor for this task); run 'embed' and 'token_classify' as two tasks"
        )
    # One engine per task: pin it (vLLM 0.18 has no PoolerConfig.task; score keeps the default task, which
    # decides its score type in 0.21).
    if task != "score" and release.has_default_task:
        pinned = fields.setdefault("task", task)
        if pinned != task:
            raise ValueError(f"pooler_config task {pinned!r} contradicts the stage's task {task!r}: "
                             "one engine per task")
    return LLM(model, pooler_config=PoolerConfig(**fields), **llm_kwargs)


def _ray_actor_cpus() -> int | None:
    """The CPUs Ray gave this actor (threads per actor follow them); None outside a Ray actor."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return None
    context = ray.get_runtime_context()
    if context.get_actor_id() is None:
        return None
    cpus = context.get_assigned_resources().get("CPU")
    return max(1, int(cpus)) if cpus else None


def as_table(batch: pa.Table | Mapping[str, Any]) -> pa.Table:
    """A pyarrow batch as is; a dict of columns (numpy arrays or lists: Ray's "numpy" format) or a pandas frame
    converted."""
    if isinstance(batch, pa.Table):
        return batch
    if hasattr(batch, "to_dict") and hasattr(batch, "columns"):  # a pandas DataFrame
        return pa.Table.from_pandas(batch, preserve_index=False)
    # Object arrays (strings, lists) become lists; numeric numpy arrays are taken as they are.
    return pa.table({name: list(values) if getattr(getattr(values, "dtype", None), "kind", None) == "O" else values
                     for name, values in batch.items()})
