"""Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer bodies and break disconnect detection).

* ``ApiKeyMiddleware``: vLLM's, with ``--api-key``/``VLLM_API_KEY``: 401 ``{"error": "Unauthorized"}`` unless
  ``Authorization: Bearer KEY``, on paths starting with ``/v1`` only (OPTIONS passes).
* ``PayloadLimitMiddleware`` (``--payload-limit``, beyond vLLM): 413 for a body over the limit, by its
  Content-Length or while it streams in.
* ``ConcurrencyLimitMiddleware`` (``--max-concurrent-requests``, beyond vLLM): 429 to a POST past N in flight,
  as TEI does. Both answer in vLLM's HTTPException shape (the type is the status phrase).
* ``MetricsMiddleware``: counts and times every request by matched route and status.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vllm_pooling_migrate.shim.serve.app.metrics import ServeMetrics
from vllm_pooling_migrate.shim.serve.errors.bodies import http_error_response, json_response


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, api_keys: Sequence[str]) -> None:
        self.app = app
        self.accepted = {f"Bearer {key}" for key in api_keys}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        root_path = scope.get("root_path", "")
        path = scope["path"].removeprefix(root_path)
        if not path.startswith("/v1"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if headers.get(b"authorization", b"").decode("latin-1") not in self.accepted:
            await json_response({"error": "Unauthorized"}, 401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class PayloadLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _refusal(self) -> Any:
        return http_error_response(413, f"pooling shim: the request body is larger than {self.limit} bytes "
                                        "(--payload-limit)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refusal()(scope, receive, send)
            return
        received = 0
        refused = started = False

        async def counting_receive() -> Message:
            # A body without Content-Length: answer 413 as soon as it passes the limit, then tell the app the
            # client is gone (whatever it answers is dropped).
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > self.limit and not started:
                    refused = True
                    await self._refusal()(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, tracking_send)


class ConcurrencyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int | None, counter: list[int]) -> None:
        self.app = app
        self.limit = limit
        self.counter = counter  # shared with /load and the metrics: [POST requests in flight]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if self.limit is not None and self.counter[0] >= self.limit:
            await http_error_response(429, f"pooling shim: the server is overloaded: {self.limit} requests in "
                                           "flight (--max-concurrent-requests)")(scope, receive, send)
            return
        self.counter[0] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.counter[0] -= 1


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            path = getattr(route, "path", None) or "<unmatched>"
            self.metrics.observe_request(path, scope["method"], status, time.perf_counter() - start)
