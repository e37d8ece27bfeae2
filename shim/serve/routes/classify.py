"""``POST /classify``: registered when ``classify`` is supported; in 0.21 its handler exists only when
``classify`` is the default task, else 501 M31."""

from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from vllm_pooling_migrate.shim.serve.errors.bodies import json_response
from vllm_pooling_migrate.shim.serve.errors.handlers import validate_json_request
from vllm_pooling_migrate.shim.serve.messages import online_text
from vllm_pooling_migrate.shim.serve.pipeline.legacy_keys import note_legacy_keys
from vllm_pooling_migrate.shim.serve.pipeline.prompts import prompt_list
from vllm_pooling_migrate.shim.serve.protocol.requests import ClassificationChatRequest, ClassificationRequest
from vllm_pooling_migrate.shim.serve.routes.common import guarded, now, off_loop, request_id, task_params, usage
from vllm_pooling_migrate.shim.serve.routes.embeddings import CHAT_REFUSAL
from vllm_pooling_migrate.shim.serve.state import ServerState

ROUTE = "/classify"


async def create_classification(state: ServerState, request: Any, raw_request: Request) -> Response:
    if not state.plan.classify_handler:
        raise NotImplementedError(online_text("M31"))
    note_legacy_keys(request.extra_keys, ROUTE)
    state.check_model(request.model, ROUTE)
    if isinstance(request, ClassificationChatRequest):
        raise NotImplementedError(CHAT_REFUSAL)
    params = task_params(state, "classify", use_activation=request.use_activation)
    token_ids = await state.prompts.prompts(
        prompt_list(request.input), add_special_tokens=request.add_special_tokens,
        truncate_prompt_tokens=request.truncate_prompt_tokens, truncation_side=request.truncation_side)
    results = await state.scheduler.run("classify", token_ids, [params] * len(token_ids),
                                        tokens=[len(ids) for ids in token_ids])
    labels = state.info.id2label

    def build() -> Response:
        data = []
        for index, result in enumerate(results):
            probs = result.data.tolist()
            best = max(range(len(probs)), key=probs.__getitem__)
            data.append({"index": index, "label": labels.get(best), "probs": probs, "num_classes": len(probs)})
        return json_response({"id": f"classify-{request_id(raw_request, request.request_id)}", "object": "list",
                              "created": now(), "model": state.response_model(request.model), "data": data,
                              "usage": usage(sum(len(ids) for ids in token_ids))})

    return await off_loop(state, build)


def register_classify_routes(app: FastAPI, state: ServerState) -> None:
    if not state.plan.classify_registered:
        return

    @app.post(ROUTE, dependencies=[Depends(validate_json_request)])
    async def create_classify(request: ClassificationRequest, raw_request: Request) -> Response:
        return await guarded(raw_request, create_classification(state, request, raw_request))
