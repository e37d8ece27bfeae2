"""Request parameters for the engine, and running response work off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from vllm_pooling_migrate.runtime.engine import TaskParams
from vllm_pooling_migrate.shim.config import PoolingParams, verify_request_params
from vllm_pooling_migrate.shim.serve.state import ServerState


def task_params(state: ServerState, task: str, *, use_activation: bool | None = None,
                dimensions: int | None = None) -> TaskParams:
    """The shim's PoolingParams verification (M18, M19) and pooler defaults, as the engine's per-request params."""
    checked = verify_request_params(PoolingParams(use_activation=use_activation, dimensions=dimensions), task,
                                    state.info, state.engine.settings)
    return TaskParams(use_activation=checked.use_activation, dimensions=checked.dimensions)


async def off_loop(state: ServerState, function: Callable[..., Any], *args: Any) -> Any:
    """Tensor -> JSON work runs on the post-processing threads, so the event loop only moves bytes."""
    return await asyncio.get_running_loop().run_in_executor(state.postprocess, function, *args)
