"""``/score``, ``/v1/score``, ``/rerank``, ``/v1/rerank``, ``/v2/rerank``: registered (route and handler alike)
when the release enables scoring for this model (``gating/plan.py``); the score type was fixed at start-up.

``/v1/score`` logs vLLM's notice on every call, ``/v1/rerank`` once (online-serving.md §1.2).
"""

import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from vllm_pooling_migrate.shim.deprecations import log_vllm_warning
from vllm_pooling_migrate.shim.serve.errors.bodies import json_response
from vllm_pooling_migrate.shim.serve.errors.handlers import validate_json_request
from vllm_pooling_migrate.shim.serve.messages import online_text
from vllm_pooling_migrate.shim.serve.pipeline.legacy_keys import note_legacy_keys
from vllm_pooling_migrate.shim.serve.pipeline.scores import score_texts, text_list
from vllm_pooling_migrate.shim.serve.protocol.requests import rerank_request_type, score_request_type
from vllm_pooling_migrate.shim.serve.routes.common import guarded, now, request_id, usage
from vllm_pooling_migrate.shim.serve.state import ServerState

LENGTH_LIMIT_REFUSAL = "pooling shim: max_tokens_per_query/max_tokens_per_doc are not supported; leave them 0"


def _refuse_length_limits(request: Any) -> None:
    """Fields of 0.20+ only; before, the same keys are extras that vLLM ignores."""
    fields = type(request).model_fields
    if any(name in fields and getattr(request, name) for name in ("max_tokens_per_query", "max_tokens_per_doc")):
        raise NotImplementedError(LENGTH_LIMIT_REFUSAL)


async def create_score(state: ServerState, request: Any, raw_request: Request, route: str) -> Response:
    note_legacy_keys(request.extra_keys, route)
    state.check_model(request.model, "/score")
    _refuse_length_limits(request)
    left, right = request.sides()
    scores, tokens = await score_texts(state, text_list(left), text_list(right),
                                       use_activation=request.use_activation,
                                       truncate_prompt_tokens=request.truncate_prompt_tokens,
                                       truncation_side=request.truncation_side)
    data = [{"index": index, "object": "score", "score": score} for index, score in enumerate(scores)]
    return json_response({"id": f"score-{request_id(raw_request, request.request_id)}", "object": "list",
                          "created": now(), "model": state.response_model(request.model), "data": data,
                          "usage": usage(tokens)})


async def create_rerank(state: ServerState, request: Any, raw_request: Request, route: str) -> Response:
    note_legacy_keys(request.extra_keys, route)
    state.check_model(request.model, "/rerank")
    _refuse_length_limits(request)
    query = text_list(request.query)
    documents = text_list(request.documents)
    scores, tokens = await score_texts(state, query, documents, use_activation=request.use_activation,
                                       truncate_prompt_tokens=request.truncate_prompt_tokens,
                                       truncation_side=request.truncation_side)
    ranked = sorted(range(len(scores)), key=lambda index: scores[index], reverse=True)
    if request.top_n > 0:
        ranked = ranked[:request.top_n]
    results = [{"index": index, "document": {"text": documents[index]}, "relevance_score": scores[index]}
               for index in ranked]
    prefix = state.release.rerank_id_prefix
    return json_response({"id": f"{prefix}{request_id(raw_request, request.request_id)}",
                          "model": state.response_model(request.model),
                          "usage": {"prompt_tokens": tokens, "total_tokens": tokens}, "results": results})


def register_scoring_routes(app: FastAPI, state: ServerState) -> None:
    if not state.plan.scoring_enabled:
        return
    ScoreRequest = score_request_type(state.release.score_length_fields)
    RerankRequest = rerank_request_type(state.release.score_length_fields)
    router_logger = state.release.score_router_logger
    json_only = [Depends(validate_json_request)]

    @app.post("/score", dependencies=json_only)
    async def score(request: ScoreRequest, raw_request: Request) -> Response:  # type: ignore[valid-type]
        return await guarded(raw_request, create_score(state, request, raw_request, "/score"))

    @app.post("/v1/score", dependencies=json_only)
    async def score_v1(request: ScoreRequest, raw_request: Request) -> Response:  # type: ignore[valid-type]
        logging.getLogger(router_logger).warning(online_text("v1-score"))
        return await guarded(raw_request, create_score(state, request, raw_request, "/v1/score"))

    @app.post("/rerank", dependencies=json_only)
    async def rerank(request: RerankRequest, raw_request: Request) -> Response:  # type: ignore[valid-type]
        return await guarded(raw_request, create_rerank(state, request, raw_request, "/rerank"))

    @app.post("/v1/rerank", dependencies=json_only)
    async def rerank_v1(request: RerankRequest, raw_request: Request) -> Response:  # type: ignore[valid-type]
        log_vllm_warning(router_logger, online_text("v1-rerank"))
        return await guarded(raw_request, create_rerank(state, request, raw_request, "/v1/rerank"))

    @app.post("/v2/rerank", dependencies=json_only)
    async def rerank_v2(request: RerankRequest, raw_request: Request) -> Response:  # type: ignore[valid-type]
        return await guarded(raw_request, create_rerank(state, request, raw_request, "/v2/rerank"))
