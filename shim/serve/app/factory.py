"""``build_app(settings)``: the engine and the release's decisions first (an unsupported ``--pooler-config.task``
raises vLLM's RuntimeError here, before any socket exists), then the routes the release registers for this model.

The engine worker starts with the app; the lifespan's shutdown drains the queue and stops it (SIGTERM: uvicorn
stops accepting, lets in-flight requests finish, then runs the shutdown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response

from vllm_pooling_migrate.shim.serve.app.metrics import ServeMetrics
from vllm_pooling_migrate.shim.serve.app.middleware import (ApiKeyMiddleware, ConcurrencyLimitMiddleware,
                                                            MetricsMiddleware, PayloadLimitMiddleware)
from vllm_pooling_migrate.shim.serve.cli.args import ServeSettings
from vllm_pooling_migrate.shim.serve.errors.handlers import install_error_handlers
from vllm_pooling_migrate.shim.serve.routes.classify import register_classify_routes
from vllm_pooling_migrate.shim.serve.routes.embeddings import register_embedding_routes
from vllm_pooling_migrate.shim.serve.routes.invocations import register_invocation_route
from vllm_pooling_migrate.shim.serve.routes.misc import register_misc_routes
from vllm_pooling_migrate.shim.serve.routes.pooling import register_pooling_routes
from vllm_pooling_migrate.shim.serve.routes.scoring import register_scoring_routes
from vllm_pooling_migrate.shim.serve.state import build_state


def build_app(settings: ServeSettings, engine: Any | None = None) -> FastAPI:
    """The ASGI app. ``engine``: an already loaded runtime engine (tests share one between releases)."""
    state = build_state(settings, engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.scheduler.start()
        yield
        state.close()

    docs = settings.enable_docs
    app = FastAPI(title="vllm-pooling-serve", lifespan=lifespan, docs_url="/docs" if docs else None,
                  redoc_url="/redoc" if docs else None, openapi_url="/openapi.json" if docs else None)
    app.state.server = state
    install_error_handlers(app)
    in_flight = [0]
    metrics = ServeMetrics(lambda: state.scheduler.queued_prompts)
    state.scheduler.on_batch = metrics.observe_batch

    register_misc_routes(app, state, lambda: in_flight[0])
    register_embedding_routes(app, state)
    register_pooling_routes(app, state)
    register_classify_routes(app, state)
    register_scoring_routes(app, state)
    register_invocation_route(app, state)

    @app.get("/metrics")
    async def show_metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    # add_middleware puts each one outside the ones before it: metrics see every answer, 401/413/429 included.
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.max_concurrent_requests, counter=in_flight)
    if settings.payload_limit is not None:
        app.add_middleware(PayloadLimitMiddleware, limit=settings.payload_limit)
    if settings.api_keys:
        app.add_middleware(ApiKeyMiddleware, api_keys=settings.api_keys)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # Requests served without the lifespan (httpx's ASGITransport does not run it) still find the worker running.
    state.scheduler.start()
    return app
