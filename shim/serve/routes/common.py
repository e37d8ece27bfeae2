"""What every pooling handler shares: error mapping, cancellation on disconnect, ids, usage."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from vllm_pooling_migrate.shim.serve.errors.bodies import error_response, status_and_type
from vllm_pooling_migrate.shim.serve.messages import LOGGER_SERVE
from vllm_pooling_migrate.shim.serve.protocol.base import random_uuid
from vllm_pooling_migrate.shim.serve.pipeline.engine_calls import off_loop, task_params

__all__ = ["CLIENT_CLOSED", "guarded", "now", "off_loop", "request_id", "task_params", "usage"]

logger = logging.getLogger(LOGGER_SERVE)

#: Status recorded for a request whose client went away before the answer (nginx's "client closed request").
CLIENT_CLOSED = 499


async def _client_disconnected(raw_request: Request) -> None:
    while True:
        message = await raw_request.receive()
        if message["type"] == "http.disconnect":
            return


async def guarded(raw_request: Request, work: Coroutine[Any, Any, Response]) -> Response:
    """Run a handler; a client that disconnects cancels it (its queued prompts are dropped), and an exception
    becomes vLLM's error body."""
    handler = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_client_disconnected(raw_request))
    try:
        await asyncio.wait({handler, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if not handler.done():
        handler.cancel()
        return Response(status_code=CLIENT_CLOSED)
    error = handler.exception()
    if error is None:
        return handler.result()
    if status_and_type(error)[0] == 500:
        logger.error("pooling shim: %s failed", raw_request.url.path, exc_info=error)
    return error_response(error)


def request_id(raw_request: Request, body_request_id: str | None) -> str:
    """vLLM's base id: the X-Request-Id header, else the body's request_id, else a fresh uuid."""
    return raw_request.headers.get("x-request-id") or body_request_id or random_uuid()


def usage(prompt_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens, "completion_tokens": 0,
            "prompt_tokens_details": None}


def now() -> int:
    return int(time.time())
