"""One engine owner: concurrent requests' prompts are coalesced into engine calls under the token budget.

Handlers ``await scheduler.run(task, prompts, params)`` from the event loop; a single worker thread owns the engine
(torch runs there, never on the loop). Each call enqueues one work item per prompt. The worker takes the oldest
item's kind (task, and the truncation the engine applies to text pairs) and fills one engine call, first come
first served, with items of that kind until ``max_tokens`` prompt tokens or ``max_prompts`` prompts; the engine
then sorts and packs them into its own batches. Results go back to each request in its own prompt order.

A request whose client went away is cancelled by its handler: its items still queued are skipped, so it costs no
batch slot. If an engine call fails, each request in it is retried alone, so one bad request fails only itself.
``close()`` lets the queue drain (SIGTERM: no request is lost), then stops the thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vllm_pooling_migrate.shim.serve.messages import LOGGER_SERVE

logger = logging.getLogger(LOGGER_SERVE)


class _Ticket:
    """One request's share of the queue: its results by prompt index, and the future its handler awaits."""

    def __init__(self, loop: asyncio.AbstractEventLoop, count: int) -> None:
        self.loop = loop
        self.future: asyncio.Future[list[Any]] = loop.create_future()
        self.results: list[Any] = [None] * count
        self.remaining = count
        self.cancelled = False  # set from the loop thread, read by the worker: a plain flag is enough

    def deliver(self, index: int, result: Any) -> None:
        self.results[index] = result
        self.remaining -= 1
        if self.remaining == 0:
            self._resolve(lambda future: future.set_result(self.results))

    def fail(self, error: BaseException) -> None:
        self.remaining = -1  # later deliveries of the same ticket are ignored
        self._resolve(lambda future: future.set_exception(error))

    def _resolve(self, action: Callable[[asyncio.Future], None]) -> None:
        def settle() -> None:
            if not self.future.done():
                action(self.future)

        try:
            self.loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the request's event loop is gone: nobody is waiting
            pass


@dataclass
class _Item:
    kind: tuple[str, int | None]  # (task, engine truncation): items of one kind share an engine call
    prompt: Any
    params: Any
    tokens: int
    ticket: _Ticket
    index: int


class BatchScheduler:
    def __init__(self, engine: Any, *, max_tokens: int, max_prompts: int,
                 on_batch: Callable[[int, int], None] | None = None) -> None:
        self._engine = engine
        self._max_tokens = max_tokens
        self._max_prompts = max_prompts
        self.on_batch = on_batch
        self._queue: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._work, name="pooling-engine", daemon=True)
        self.fatal_error: BaseException | None = None

    # -- the event-loop side ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Idempotent: the app starts the worker when it is built and again from its lifespan."""
        if self._thread.ident is None and not self._closing:
            self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self.fatal_error is None

    @property
    def queued_prompts(self) -> int:
        return len(self._queue)

    async def run(self, task: str, prompts: Sequence[Any], params: Sequence[Any], *, tokens: Sequence[int],
                  engine_truncation: int | None = None) -> list[Any]:
        """The engine's results for ``prompts``, in order. Raises what the engine raised for this request."""
        if not prompts:
            return []
        ticket = _Ticket(asyncio.get_running_loop(), len(prompts))
        kind = (task, engine_truncation)
        items = [_Item(kind, prompt, param, count, ticket, index)
                 for index, (prompt, param, count) in enumerate(zip(prompts, params, tokens, strict=True))]
        with self._cond:
            if self._closing or not self.alive:
                raise RuntimeError("pooling shim: the engine is not running")
            self._queue.extend(items)
            self._cond.notify()
        try:
            return await ticket.future
        except asyncio.CancelledError:
            ticket.cancelled = True  # the worker skips what is still queued
            raise

    def close(self, timeout: float | None = None) -> None:
        """Finish everything queued, then stop the worker."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the worker ------------------------------------------------------------------------------------------

    def _work(self) -> None:
        batch: list[_Item] = []
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closing:
                        self._cond.wait()
                    if not self._queue:
                        return
                    batch = self._take_batch()
                if batch:
                    self._execute(batch)
                batch = []
        except BaseException as error:  # logged and kept, not re-raised: /health turns 503, waiters get an error
            self.fatal_error = error
            logger.exception("pooling shim: the engine worker stopped")
            stopped = RuntimeError("pooling shim: the engine worker stopped")
            with self._cond:
                for item in [*batch, *self._queue]:
                    item.ticket.fail(stopped)
                self._queue.clear()

    def _take_batch(self) -> list[_Item]:
        """The oldest live item's kind, then more of that kind in arrival order, within the budget."""
        while self._queue and self._queue[0].ticket.cancelled:
            self._queue.popleft()
        if not self._queue:
            return []
        kind = self._queue[0].kind
        chosen: list[_Item] = []
        kept: deque[_Item] = deque()
        tokens = 0
        while self._queue:
            item = self._queue.popleft()
            if item.ticket.cancelled:
                continue
            full = bool(chosen) and (tokens + item.tokens > self._max_tokens or len(chosen) >= self._max_prompts)
            if item.kind != kind or full:
                kept.append(item)
                if full:
                    break
                continue
            chosen.append(item)
            tokens += item.tokens
        kept.extend(self._queue)
        self._queue = kept
        return chosen

    def _execute(self, batch: list[_Item]) -> None:
        task, truncation = batch[0].kind
        try:
            results = self._engine.run(task, [i.prompt for i in batch], [i.params for i in batch],
                                       truncate_prompt_tokens=truncation)
        except Exception as error:
            tickets = {id(item.ticket): item.ticket for item in batch}
            if len(tickets) == 1:
                next(iter(tickets.values())).fail(error)
                return
            for ticket_id in tickets:  # find the request that failed it; the others still get their answers
                self._execute([item for item in batch if id(item.ticket) == ticket_id])
            return
        if self.on_batch is not None:
            self.on_batch(sum(i.tokens for i in batch), len(batch))
        for item, result in zip(batch, results, strict=True):
            if item.ticket.remaining > 0:
                item.ticket.deliver(item.index, result)
