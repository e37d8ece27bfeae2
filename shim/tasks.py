"""Task values, the one default-task resolver (spec §3.3) and the task→score-type map (§3.1).

Every check that depends on "the default task" (offline verification, ``LLM.score`` in 0.21) reads
:func:`resolve_default_task`'s result; releases differ only in what they do with it (``shim.versions``).
"""

from __future__ import annotations

from vllm_pooling_migrate.shim.messages import render
from vllm_pooling_migrate.tasks import POOLING_TASKS, POOLING_TASKS_018, LegacyTaskValue, PoolingTask

__all__ = ["POOLING_TASKS", "POOLING_TASKS_018", "PoolingTask", "LegacyTaskValue", "EMBED_LIKE", "CLASSIFY_LIKE",
           "DEFAULT_TASK_PRIORITY", "SCORE_TYPE_BY_DEFAULT_TASK", "TASK_BY_SCORE_TYPE", "supported_tasks_for",
           "resolve_default_task"]

EMBED_LIKE: frozenset[PoolingTask] = frozenset({"embed", "token_embed"})
CLASSIFY_LIKE: frozenset[PoolingTask] = frozenset({"classify", "token_classify"})

#: §3.3 step 4: every pooling task, most preferred first.
DEFAULT_TASK_PRIORITY: tuple[PoolingTask, ...] = ("embed&token_classify", "embed", "classify", "token_embed",
                                                  "token_classify", "plugin")

#: 0.21.0's fixed map from the default task to the score type; other tasks have none (M26).
SCORE_TYPE_BY_DEFAULT_TASK = {"embed": "bi-encoder", "classify": "cross-encoder", "token_embed": "late-interaction"}
#: The task each score type runs, and therefore must be supported (0.20's scoring processors, §4.4).
TASK_BY_SCORE_TYPE: dict[str, PoolingTask] = {
    "bi-encoder": "embed", "cross-encoder": "classify", "late-interaction": "token_embed"}


def supported_tasks_for(
    engine_tasks: tuple[PoolingTask, ...], score_is_task: bool
) -> tuple[PoolingTask | LegacyTaskValue, ...]:
    """The model's tasks as the emulated release reports them (the engine reports the 0.19-0.21 set)."""
    if not score_is_task:
        return engine_tasks
    tasks: set[PoolingTask | LegacyTaskValue] = {task for task in engine_tasks if task != "embed&token_classify"}
    if "classify" in tasks:
        tasks.add("score")  # 0.18: every classification pooler also served the internal score task
    return tuple(t for t in POOLING_TASKS_018 if t in tasks)


def resolve_default_task(
    configured: PoolingTask | None, supported: tuple[str, ...], architectures: tuple[str, ...]
) -> PoolingTask | None:
    """§3.3 for a pooling model (which always has a PoolerConfig). Raises RuntimeError M05r."""
    if configured is not None:
        if configured in supported:
            return configured
        raise RuntimeError(render("M05", task_repr=repr(configured), tuple_repr=repr(tuple(supported))))
    if "token_classify" in supported and any("ForTokenClassification" in name for name in architectures):
        return "token_classify"
    return next((task for task in DEFAULT_TASK_PRIORITY if task in supported), None)
