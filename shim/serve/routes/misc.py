"""Routes every release registers: ``/health``, ``/ping``, ``/version``, ``/v1/models``, ``/tokenize``,
``/detokenize``, ``/load`` (online-serving.md §1.1, §2)."""

from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from vllm_pooling_migrate.shim.serve.errors.bodies import json_response
from vllm_pooling_migrate.shim.serve.errors.handlers import validate_json_request
from vllm_pooling_migrate.shim.serve.protocol.base import random_uuid
from vllm_pooling_migrate.shim.serve.protocol.requests import (DetokenizeRequest, TokenizeChatRequest,
                                                               TokenizeRequest)
from vllm_pooling_migrate.shim.serve.routes.common import guarded
from vllm_pooling_migrate.shim.serve.routes.embeddings import CHAT_REFUSAL
from vllm_pooling_migrate.shim.serve.state import ServerState


def model_card(state: ServerState, name: str) -> dict[str, Any]:
    return {
        "id": name, "object": "model", "created": state.started, "owned_by": "vllm", "root": state.settings.model,
        "parent": None, "max_model_len": state.info.max_model_len,
        "permission": [{"id": f"modelperm-{random_uuid()}", "object": "model_permission", "created": state.started,
                        "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
                        "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False,
                        "organization": "*", "group": None, "is_blocking": False}],
    }


async def tokenize(state: ServerState, request: Any) -> Response:
    state.check_model(request.model, "/tokenize")
    if isinstance(request, TokenizeChatRequest):
        raise NotImplementedError(CHAT_REFUSAL.replace("send input", "send prompt"))
    tokens, strings = await state.prompts.tokenize(request.prompt, request.add_special_tokens)
    return json_response({"count": len(tokens), "max_model_len": state.info.max_model_len, "tokens": tokens,
                          "token_strs": strings if request.return_token_strs else None})


async def detokenize(state: ServerState, request: DetokenizeRequest) -> Response:
    state.check_model(request.model, "/detokenize")
    return json_response({"prompt": await state.prompts.detokenize(request.tokens)})


def register_misc_routes(app: FastAPI, state: ServerState, in_flight: Any) -> None:
    def health_response() -> Response:
        return Response(status_code=200 if state.scheduler.alive else 503)

    @app.get("/health")
    async def health() -> Response:
        return health_response()

    @app.get("/ping")
    async def ping() -> Response:
        return health_response()

    @app.post("/ping")
    async def ping_post() -> Response:  # SageMaker calls it with POST
        return health_response()

    @app.get("/version")
    async def version() -> Response:
        return json_response({"version": state.release.version_string})

    @app.get("/v1/models")
    async def show_available_models() -> Response:
        return json_response({"object": "list",
                              "data": [model_card(state, name) for name in state.settings.served_model_names]})

    @app.get("/load")
    async def load() -> Response:
        return json_response({"server_load": in_flight()})

    @app.post("/tokenize", dependencies=[Depends(validate_json_request)])
    async def create_tokenize(request: TokenizeRequest, raw_request: Request) -> Response:
        return await guarded(raw_request, tokenize(state, request))

    @app.post("/detokenize", dependencies=[Depends(validate_json_request)])
    async def create_detokenize(request: DetokenizeRequest, raw_request: Request) -> Response:
        return await guarded(raw_request, detokenize(state, request))
