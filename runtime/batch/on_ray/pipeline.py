"""The batch job on Ray Data: the driver reads the input shards into Ray's object store, each task runs as an
actor pool of :class:`PoolingPredictor` (``map_batches(..., compute=ActorPoolStrategy(size=n))``), and the
driver collects the pooled rows, writes each shard once all its rows are back, and merges the actors' usage
reports into its own.

A shard travels as one block and each stage takes whole blocks (``batch_size=None``), and the stage cuts its
engine calls from fixed windows of each shard, so the numbers equal the in-process run's.
"""

from __future__ import annotations

import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.columns import SHARD_COLUMN
from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.inputs import InputSpec, read_chunks
from vllm_pooling_migrate.runtime.batch.job.options import BatchOptions
from vllm_pooling_migrate.runtime.batch.job.progress import Progress
from vllm_pooling_migrate.runtime.batch.on_ray.resources import plan_actors, worker_environment
from vllm_pooling_migrate.runtime.batch.shards import ShardStore
from vllm_pooling_migrate.runtime.batch.stage import PoolingPredictor, merge_worker_usage

RAY_MISSING = "--ray needs Ray Data: pip install 'vllm-pooling-migrate[ray]' (or 'ray[data]')"


def _import_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise BatchError(RAY_MISSING) from None
    return ray


def run_on_ray(options: BatchOptions, spec: InputSpec, store: ShardStore, finished: set[int],
               progress: Progress) -> None:
    ray = _import_ray()
    # The driver's usage report exists before any worker starts (the report must never depend on import order).
    import vllm_pooling_migrate.shim.report  # noqa: F401

    assert options.ray is not None
    if options.ray.address is None:
        _check_model(options.model)  # on one machine, fail before Ray starts rather than inside every actor
    started_here = not ray.is_initialized()
    if started_here:
        local = {"num_cpus": options.ray.num_cpus} if options.ray.address is None else {}
        ray.init(address=options.ray.address, include_dashboard=False, **local)
    try:
        _run(ray, options, spec, store, finished, progress)
    finally:
        if started_here:
            ray.shutdown()


def _check_model(model: str) -> None:
    from vllm_pooling_migrate.runtime.loading import resolve_model_dir

    try:
        resolve_model_dir(model)
    except FileNotFoundError as error:
        raise BatchError(str(error)) from None


def _run(ray, options: BatchOptions, spec: InputSpec, store: ShardStore, finished: set[int],
         progress: Progress) -> None:
    from ray.data import DataContext

    assert options.ray is not None
    context = DataContext.get_current()
    saved = context.enable_progress_bars, context.target_max_block_size
    context.enable_progress_bars = False  # the job's own bar counts texts
    context.target_max_block_size = None  # a shard stays one block: windows, hence numbers, as in process
    try:
        _pool_shards(ray, options, spec, store, finished, progress)
    except ray.exceptions.RayError as error:  # an actor that could not start or a stage that crashed
        raise BatchError(f"a Ray stage failed: {_root_cause(error)} (finished shards are kept; after a fix, rerun "
                         "with --resume)") from error
    finally:
        context.enable_progress_bars, context.target_max_block_size = saved


def _root_cause(error: BaseException) -> str:
    """The worker's own exception: Ray's error text is the worker's traceback, which ends with it."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _pool_shards(ray, options: BatchOptions, spec: InputSpec, store: ShardStore, finished: set[int],
                 progress: Progress) -> None:
    from ray.data import ActorPoolStrategy

    assert options.ray is not None
    plan = plan_actors(ray.cluster_resources(), len(options.tasks), options.ray)
    expected: dict[int, int] = {}
    refs = []
    for chunk in read_chunks(spec, options.shard_rows, skip=finished):
        if chunk.table is None:
            progress.skipped(chunk.num_rows)
            continue
        expected[chunk.shard] = chunk.num_rows
        refs.append(ray.put(chunk.table))
    if not refs:
        return
    dataset = ray.data.from_arrow_refs(refs)
    environment = {"env_vars": worker_environment(plan.threads_per_actor)}
    for task in options.tasks:
        dataset = dataset.map_batches(
            PoolingPredictor,
            fn_constructor_kwargs=options.stage_kwargs(task),
            compute=ActorPoolStrategy(size=plan.actors_per_stage),
            batch_size=None,
            batch_format="pyarrow",
            num_cpus=plan.cpus_per_actor,
            num_gpus=plan.gpus_per_actor or None,
            runtime_env=environment,
        )
    collected: dict[int, list[pa.Table]] = {}
    received: dict[int, int] = {}
    for block in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
        block = merge_worker_usage(block)
        for shard in set(block.column(SHARD_COLUMN).to_pylist()):
            part = block.filter(block.column(SHARD_COLUMN).to_numpy() == shard)
            collected.setdefault(shard, []).append(part)
            received[shard] = received.get(shard, 0) + part.num_rows
            if received[shard] == expected[shard]:
                store.write(shard, shard * options.shard_rows, pa.concat_tables(collected.pop(shard)))
                progress.update(expected[shard])
    unfinished = {shard: (received.get(shard, 0), rows) for shard, rows in expected.items()
                  if received.get(shard, 0) != rows}
    if unfinished:
        details = ", ".join(f"shard {s}: {got} of {rows} rows" for s, (got, rows) in sorted(unfinished.items())[:5])
        raise BatchError(f"Ray returned incomplete shards ({details}); rerun with --resume")
