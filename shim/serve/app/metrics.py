"""Prometheus metrics on ``GET /metrics``, in a registry of the app's own (several apps can share a process).

``pooling_serve_requests_total{route,method,status}``, ``pooling_serve_request_duration_seconds{route,method}``,
``pooling_serve_requests_in_flight``, ``pooling_serve_queue_prompts`` (prompts waiting for the engine),
``pooling_serve_batch_tokens`` and ``pooling_serve_batch_prompts`` (per engine call),
``pooling_serve_prompt_tokens_total``. ``route`` is the matched route's path (``<unmatched>`` for a 404), so label
values stay bounded whatever paths clients send.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
TOKEN_BUCKETS = (16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
PROMPT_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class ServeMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, queued_prompts: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("pooling_serve_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("pooling_serve_request_duration_seconds", "Request latency",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("pooling_serve_requests_in_flight", "Requests being served", registry=self.registry)
        queue = Gauge("pooling_serve_queue_prompts", "Prompts waiting for the engine", registry=self.registry)
        queue.set_function(lambda: float(queued_prompts()))
        self.batch_tokens = Histogram("pooling_serve_batch_tokens", "Prompt tokens per engine call",
                                      buckets=TOKEN_BUCKETS, registry=self.registry)
        self.batch_prompts = Histogram("pooling_serve_batch_prompts", "Prompts per engine call",
                                       buckets=PROMPT_BUCKETS, registry=self.registry)
        self.prompt_tokens = Counter("pooling_serve_prompt_tokens", "Prompt tokens computed", registry=self.registry)

    def observe_batch(self, tokens: int, prompts: int) -> None:
        self.batch_tokens.observe(tokens)
        self.batch_prompts.observe(prompts)
        self.prompt_tokens.inc(tokens)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
