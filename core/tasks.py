"""The pooling task vocabulary, spelled once, as vLLM's own ``vllm/tasks.py`` spells it.

The lint, the shim and the engine all read it; it imports nothing.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

#: Tasks a pooling model serves in vLLM 0.19-0.21, in the canonical order of spec §3.1 (vLLM builds its
#: tuple from a set, so its own order varies).
PoolingTask = Literal["embed", "classify", "token_embed", "token_classify", "plugin", "embed&token_classify"]
POOLING_TASKS: tuple[PoolingTask, ...] = get_args(PoolingTask)

#: Task values that were once valid and are not any more: ``score`` (until 0.18) and ``reward``.
LegacyTaskValue = Literal["score", "reward"]

#: vLLM 0.18's task values, in its own listing order: ``score`` is still a task, the combined one does not exist.
POOLING_TASKS_018: tuple[PoolingTask | LegacyTaskValue, ...] = (
    "embed", "classify", "score", "token_embed", "token_classify", "plugin",
)

#: The ``LLM`` methods whose task is fixed by their name (``reward`` forwards to ``token_classify``, spec §4.3).
METHOD_TASKS: dict[str, PoolingTask] = {"embed": "embed", "classify": "classify", "reward": "token_classify"}

#: What a legacy value means now (spec §8: ``score`` became ``classify``; ``reward`` is ``token_classify``).
RENAMED_TASK_VALUES: dict[LegacyTaskValue, PoolingTask] = {"score": "classify", "reward": "token_classify"}


def is_pooling_task(value: object) -> TypeGuard[PoolingTask]:
    return isinstance(value, str) and value in POOLING_TASKS
