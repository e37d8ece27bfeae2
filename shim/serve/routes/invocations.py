"""``POST /invocations`` (SageMaker): the body is validated against vLLM's request types in order -- embedding,
classification, rerank, score, pooling -- keeping only those whose handler exists for this release and model
(0.21 decides by the default task), and dispatched to the first that accepts it (online-serving.md §2).

So on E' (default ``token_embed``) in 0.21 an embeddings body is a pooling request and answers per-token vectors.
"""

from collections.abc import Callable
from typing import Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response

from vllm_pooling_migrate.shim.serve.errors.handlers import validate_json_request
from vllm_pooling_migrate.shim.serve.messages import render_online
from vllm_pooling_migrate.shim.serve.protocol.requests import (ClassificationRequest, EmbeddingRequest,
                                                               pooling_request_type, rerank_request_type,
                                                               score_request_type)
from vllm_pooling_migrate.shim.serve.routes.classify import create_classification
from vllm_pooling_migrate.shim.serve.routes.common import guarded
from vllm_pooling_migrate.shim.serve.routes.embeddings import create_embeddings
from vllm_pooling_migrate.shim.serve.routes.pooling import create_pooling
from vllm_pooling_migrate.shim.serve.routes.scoring import create_rerank, create_score
from vllm_pooling_migrate.shim.serve.state import ServerState
from vllm_pooling_migrate.shim.tasks import POOLING_TASKS, POOLING_TASKS_018

#: Request type names as vLLM lists them in its "Expected one of" message.
TYPE_NAMES = {"embedding": "EmbeddingRequest", "classification": "ClassificationRequest",
              "rerank": "RerankRequest", "score": "ScoreRequest", "pooling": "PoolingRequest"}


def register_invocation_route(app: FastAPI, state: ServerState) -> None:
    release = state.release
    task_values = tuple(POOLING_TASKS_018 if release.offline.score_is_task else POOLING_TASKS)
    handlers: dict[str, tuple[Any, Callable[..., Any]]] = {
        "embedding": (EmbeddingRequest, lambda request, raw: create_embeddings(state, request, raw)),
        "classification": (ClassificationRequest, lambda request, raw: create_classification(state, request, raw)),
        "rerank": (rerank_request_type(release.score_length_fields),
                   lambda request, raw: create_rerank(state, request, raw, "/invocations")),
        "score": (score_request_type(release.score_length_fields),
                  lambda request, raw: create_score(state, request, raw, "/invocations")),
        "pooling": (pooling_request_type(task_values), lambda request, raw: create_pooling(state, request, raw)),
    }
    kinds = state.plan.invocation_types()
    adapters = [(kind, TypeAdapter(handlers[kind][0]), handlers[kind][1]) for kind in kinds]
    expected = [TYPE_NAMES[kind] for kind in kinds]

    @app.post("/invocations", dependencies=[Depends(validate_json_request)])
    async def invocations(raw_request: Request, body: Any = Body(...)) -> Response:
        for _, adapter, handle in adapters:
            try:
                request = adapter.validate_python(body)
            except ValidationError:
                continue
            return await guarded(raw_request, handle(request, raw_request))
        raise HTTPException(status_code=400, detail=render_online("no-invocation-handler", expected=expected))
