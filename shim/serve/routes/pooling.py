"""``POST /pooling`` with each release's task handling (online-serving.md §1.3, spec §5.2).

| step | 0.18 | 0.19 | 0.20 | 0.21 |
|---|---|---|---|---|
| unknown model (404) | first | first | after the task checks | after the task checks |
| ``dimensions`` set: 400 M27 | first | after the default is filled in | first | first |
| no ``task`` | engine fallback (token_embed > token_classify > plugin) | default task | default task | default task |
| supported, not the default | silent | M14a once per task, runs | M14b once per task, runs | 400 M15 |
| not supported | engine M05e (list) | M05 (tuple) | M05 unless an IO-processor key | M05 (tuple) |
| ``{"data": ...}`` | M08 | M08 | M08 | M08 |
| ``{"input", "task": "plugin"}`` | engine M05e | engine M05e | M08 | M08 |
| default ``embed&token_classify``, no task | — | runs it | 500 ``'embed&token_classify'`` | 500 |

The multi-task warning and the M15 refusal are POOL019 hits in the usage report.
"""

from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from vllm_pooling_migrate.shim.messages import render, text
from vllm_pooling_migrate.shim.serve.errors.handlers import validate_json_request
from vllm_pooling_migrate.shim.serve.hits import http_site, record_hit, warn_hit
from vllm_pooling_migrate.shim.serve.messages import LOGGER_POOLING_SERVING, online_text, render_online
from vllm_pooling_migrate.shim.serve.pipeline.legacy_keys import note_legacy_keys
from vllm_pooling_migrate.shim.serve.pipeline.long_inputs import pooling_runs_chunked, run_embed
from vllm_pooling_migrate.shim.serve.pipeline.prompts import prompt_list
from vllm_pooling_migrate.shim.serve.protocol.requests import IOProcessorRequest, pooling_request_type
from vllm_pooling_migrate.shim.serve.routes.common import guarded, off_loop, request_id, task_params
from vllm_pooling_migrate.shim.serve.routes.embeddings import CHAT_REFUSAL, pooled_response
from vllm_pooling_migrate.shim.serve.state import ServerState
from vllm_pooling_migrate.shim.tasks import POOLING_TASKS, POOLING_TASKS_018

ROUTE = "/pooling"
#: The engine's choice when a 0.18 request names no task (spec §5.4).
ENGINE_FALLBACK = ("token_embed", "token_classify", "plugin")
#: 0.20/0.21 build an IO processor for these tasks only (factories.py:47-77@v0.20.2); no plugin is installed here.
IO_PROCESSOR_TASKS = ("classify", "token_classify", "embed", "token_embed")


def _unsupported(task: str, supported: tuple[str, ...]) -> ValueError:
    return ValueError(render("M05", task_repr=repr(task), tuple_repr=repr(tuple(supported))))


def _engine_unsupported(task: object, supported: tuple[str, ...]) -> ValueError:
    return ValueError(render("M05e", task_repr=repr(task), list_repr=repr(list(supported))))


def _engine_checked(task: Any, supported: tuple[str, ...]) -> str:
    """0.18/0.19 send the task to the engine unchecked: it refuses an unsupported one (M05e); a supported
    ``plugin`` finds no IO-processor plugin here (M08)."""
    if task not in supported:
        raise _engine_unsupported(task, supported)
    if task == "plugin":
        raise ValueError(text("M08"))
    return task


def resolve_pooling_task(state: ServerState, request: Any) -> str:
    """The task to run, or vLLM's error for this release. Emits the multi-task warning where the release does."""
    release, supported, default = state.release, state.supported, state.default_task
    plugin_request = isinstance(request, IOProcessorRequest)
    task: Any = "plugin" if plugin_request else request.task
    dimensions = None if plugin_request else request.dimensions
    flow = release.pooling_flow
    if flow in ("0.18", "0.19"):
        state.check_model(request.model, ROUTE)
    if flow == "0.18":
        if dimensions is not None:
            raise ValueError(online_text("M27"))
        if plugin_request:
            raise ValueError(text("M08"))
        if task is None:
            task = next((t for t in ENGINE_FALLBACK if t in supported), None)
        return _engine_checked(task, supported)
    if flow == "0.19":
        task = task if task is not None else default
        if dimensions is not None:
            raise ValueError(online_text("M27"))
        if task != "plugin" and task != default:
            if task not in supported:
                raise _unsupported(task, supported)
            _multitask_warning(state, task)
        if plugin_request:
            raise ValueError(text("M08"))
        return _engine_checked(task, supported)
    # 0.20 and 0.21
    if dimensions is not None:
        raise ValueError(online_text("M27"))
    task = task if task is not None else default
    if task != "plugin" and task != default:
        allowed = supported if flow == "0.21" else tuple(t for t in supported if t in IO_PROCESSOR_TASKS)
        if task not in allowed:
            raise _unsupported(task, supported)
        if flow == "0.21":
            record_hit("POOL019", http_site("POST", ROUTE))
            raise ValueError(render_online("M15", task=task))
        _multitask_warning(state, task)
    if task == "plugin":
        raise ValueError(text("M08"))
    if task not in IO_PROCESSOR_TASKS:
        raise KeyError(task)  # vLLM: self.io_processors[pooling_task] -> 500 "'embed&token_classify'"
    state.check_model(request.model, ROUTE)
    return task


def _multitask_warning(state: ServerState, task: str) -> None:
    template = state.release.multitask_warning
    assert template is not None
    vllm_template = online_text(template)
    warn_hit("POOL019", vllm_template % task, http_site("POST", ROUTE),
             log=(LOGGER_POOLING_SERVING, vllm_template, (task,)))


async def create_pooling(state: ServerState, request: Any, raw_request: Request) -> Response:
    note_legacy_keys(request.extra_keys, ROUTE)
    task = resolve_pooling_task(state, request)
    if not hasattr(request, "input"):
        raise NotImplementedError(CHAT_REFUSAL)
    engine_task = "classify" if task == "score" else task  # 0.18: a classifier's score task is classify
    params = task_params(state, engine_task, use_activation=request.use_activation)
    token_ids = await state.prompts.prompts(
        prompt_list(request.input), add_special_tokens=request.add_special_tokens,
        truncate_prompt_tokens=request.truncate_prompt_tokens, truncation_side=request.truncation_side)
    if pooling_runs_chunked(state, engine_task):
        results = await run_embed(state, token_ids, params, chunked=True)
    else:
        results = await state.scheduler.run(engine_task, token_ids, [params] * len(token_ids),
                                            tokens=[len(ids) for ids in token_ids])
    prefix = state.release.pooling_id_prefix
    return await off_loop(state, lambda: pooled_response(
        results=results, object_name="pooling", field="data",
        response_id=f"{prefix}{request_id(raw_request, request.request_id)}",
        model=state.response_model(request.model), request=request,
        prompt_tokens=sum(len(ids) for ids in token_ids)))


def register_pooling_routes(app: FastAPI, state: ServerState) -> None:
    if not state.plan.pooling_registered:
        return
    task_values = POOLING_TASKS_018 if state.release.offline.score_is_task else POOLING_TASKS
    PoolingRequest = pooling_request_type(tuple(task_values))

    @app.post(ROUTE, dependencies=[Depends(validate_json_request)])
    async def pooling(request: PoolingRequest, raw_request: Request) -> Response:  # type: ignore[valid-type]
        return await guarded(raw_request, create_pooling(state, request, raw_request))
