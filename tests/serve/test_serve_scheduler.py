"""The engine owner: coalescing under the budget, order, one task per engine call, cancellation, failure
isolation, draining. A recording stand-in engine (no torch) makes the batching visible."""

from __future__ import annotations

import asyncio
import threading

import pytest

from vllm_pooling_migrate.shim.serve.scheduling.scheduler import BatchScheduler


class RecordingEngine:
    def __init__(self, hold_first: bool = False) -> None:
        self.calls: list[tuple[str, list]] = []
        self.gate = threading.Event()
        if not hold_first:
            self.gate.set()
        self.entered = threading.Event()

    def run(self, task, prompts, params, truncate_prompt_tokens=None):
        self.entered.set()
        self.gate.wait(10)
        self.calls.append((task, list(prompts)))
        if "bad" in prompts:
            raise ValueError("bad prompt")
        return [f"{task}:{prompt}:{param}" for prompt, param in zip(prompts, params)]


async def submit(scheduler, task, prompts, tokens=1):
    return await scheduler.run(task, prompts, [len(prompts)] * len(prompts), tokens=[tokens] * len(prompts))


def run_with(engine, scenario, **limits):
    scheduler = BatchScheduler(engine, max_tokens=limits.get("max_tokens", 1000),
                               max_prompts=limits.get("max_prompts", 1000))
    scheduler.start()
    try:
        return asyncio.run(scenario(scheduler))
    finally:
        scheduler.close(5)


async def while_held(engine, scheduler, first, rest):
    """Start ``first``, wait until the engine is busy with it, queue ``rest``, then let the engine go."""
    head = asyncio.ensure_future(first)
    while not engine.entered.is_set():
        await asyncio.sleep(0.001)
    tail = [asyncio.ensure_future(c) for c in rest]
    await asyncio.sleep(0.01)
    engine.gate.set()
    return await asyncio.gather(head, *tail, return_exceptions=True)


def test_concurrent_requests_share_engine_calls_and_keep_their_order():
    engine = RecordingEngine(hold_first=True)

    async def scenario(scheduler):
        return await while_held(engine, scheduler, submit(scheduler, "embed", ["a"]),
                                [submit(scheduler, "embed", [f"r{i}-0", f"r{i}-1"]) for i in range(10)])

    results = run_with(engine, scenario)
    assert [len(prompts) for _, prompts in engine.calls] == [1, 20]  # ten requests, one engine call
    assert results[0] == ["embed:a:1"]
    assert results[1:] == [[f"embed:r{i}-0:2", f"embed:r{i}-1:2"] for i in range(10)]


@pytest.mark.parametrize(("limits", "sizes"), [({"max_tokens": 10}, [1, 2, 2, 2, 2]),
                                               ({"max_prompts": 3}, [1, 3, 3, 2])])
def test_budget(limits, sizes):
    engine = RecordingEngine(hold_first=True)

    async def scenario(scheduler):
        return await while_held(engine, scheduler, submit(scheduler, "embed", ["first"], tokens=4),
                                [submit(scheduler, "embed", [f"p{i}"], tokens=4) for i in range(8)])

    run_with(engine, scenario, **limits)
    assert [len(prompts) for _, prompts in engine.calls] == sizes


def test_a_prompt_over_the_budget_still_runs_alone():
    engine = RecordingEngine()
    results = run_with(engine, lambda s: submit(s, "embed", ["huge"], tokens=5000), max_tokens=100)
    assert results == ["embed:huge:1"]


def test_one_task_per_engine_call_first_come_first_served():
    engine = RecordingEngine(hold_first=True)

    async def scenario(scheduler):
        return await while_held(engine, scheduler, submit(scheduler, "embed", ["x"]), [
            submit(scheduler, "classify", ["c1"]), submit(scheduler, "embed", ["e1"]),
            submit(scheduler, "classify", ["c2"])])

    run_with(engine, scenario)
    assert engine.calls == [("embed", ["x"]), ("classify", ["c1", "c2"]), ("embed", ["e1"])]


def test_a_cancelled_request_takes_no_batch_slot():
    engine = RecordingEngine(hold_first=True)

    async def scenario(scheduler):
        head = asyncio.ensure_future(submit(scheduler, "embed", ["first"]))
        while not engine.entered.is_set():
            await asyncio.sleep(0.001)
        gone = asyncio.ensure_future(submit(scheduler, "embed", ["gone-0", "gone-1"]))
        kept = asyncio.ensure_future(submit(scheduler, "embed", ["kept"]))
        await asyncio.sleep(0.01)
        gone.cancel()  # what the handler does when its client disconnects
        await asyncio.sleep(0.01)
        engine.gate.set()
        return await head, await kept, gone.cancelled()

    assert run_with(engine, scenario) == (["embed:first:1"], ["embed:kept:1"], True)
    assert engine.calls == [("embed", ["first"]), ("embed", ["kept"])]


def test_a_failing_request_fails_alone():
    engine = RecordingEngine(hold_first=True)

    async def scenario(scheduler):
        return await while_held(engine, scheduler, submit(scheduler, "embed", ["first"]), [
            submit(scheduler, "embed", ["ok-1"]), submit(scheduler, "embed", ["bad", "x"]),
            submit(scheduler, "embed", ["ok-2"])])

    results = run_with(engine, scenario)
    assert results[1] == ["embed:ok-1:1"] and results[3] == ["embed:ok-2:1"]
    assert isinstance(results[2], ValueError) and str(results[2]) == "bad prompt"


def test_close_drains_the_queue():
    engine = RecordingEngine(hold_first=True)
    scheduler = BatchScheduler(engine, max_tokens=2, max_prompts=1000)
    scheduler.start()

    async def scenario():
        pending = [asyncio.ensure_future(submit(scheduler, "embed", [f"p{i}"], tokens=2)) for i in range(5)]
        await asyncio.sleep(0.01)
        closer = threading.Thread(target=scheduler.close)
        closer.start()  # the SIGTERM path: stop taking work, finish what is queued
        engine.gate.set()
        results = await asyncio.gather(*pending)
        closer.join(5)
        return results

    assert asyncio.run(scenario()) == [[f"embed:p{i}:1"] for i in range(5)]
    assert not scheduler.alive
    with pytest.raises(RuntimeError, match="the engine is not running"):
        asyncio.run(submit(scheduler, "embed", ["late"]))


def test_a_dead_worker_fails_what_is_queued_and_reports_unhealthy():
    class DyingEngine(RecordingEngine):
        def run(self, task, prompts, params, truncate_prompt_tokens=None):
            raise SystemExit("engine died")

    engine = DyingEngine()
    scheduler = BatchScheduler(engine, max_tokens=100, max_prompts=100)
    scheduler.start()
    with pytest.raises(RuntimeError, match="the engine worker stopped"):
        asyncio.run(submit(scheduler, "embed", ["x"]))
    scheduler.close(5)
    assert not scheduler.alive and isinstance(scheduler.fatal_error, SystemExit)
