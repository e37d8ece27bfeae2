"""How many actors each stage gets, what each one reserves, and the environment its workers start with."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from vllm_pooling_migrate.runtime.batch.errors import BatchError
from vllm_pooling_migrate.runtime.batch.job.options import RayOptions

#: Passed on from the driver when set: offline Hugging Face settings, OpenMP's wait policy on shared hosts.
_INHERITED = ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "TRANSFORMERS_OFFLINE", "OMP_WAIT_POLICY")


@dataclass(frozen=True)
class ActorPlan:
    actors_per_stage: int
    cpus_per_actor: float
    gpus_per_actor: float

    @property
    def threads_per_actor(self) -> int:
        return max(1, int(self.cpus_per_actor))


def plan_actors(cluster: Mapping[str, float], stages: int, options: RayOptions) -> ActorPlan:
    """Each stage is its own actor pool and every pool's actors live until the end, so all of them must fit at
    once: a pool that cannot start would wait forever."""
    cluster_cpus, cluster_gpus = float(cluster.get("CPU", 0)), float(cluster.get("GPU", 0))
    gpus = options.gpus_per_actor if options.gpus_per_actor is not None else (1.0 if cluster_gpus >= 1 else 0.0)
    cpus = options.cpus_per_actor
    if cpus <= 0 or gpus < 0:
        raise BatchError(f"--cpus-per-actor must be positive and --gpus-per-actor not negative, got {cpus}, {gpus}")
    if options.num_actors is not None:
        actors = options.num_actors
    elif gpus:
        actors = int(cluster_gpus // (gpus * stages))
    else:
        actors = int(cluster_cpus // (cpus * stages))
    actors = max(1, actors)
    wanted = f"{actors} actor(s) per task x {stages} task(s)"
    if actors * stages * cpus > cluster_cpus:
        raise BatchError(f"{wanted} x {cpus:g} CPU(s) need {actors * stages * cpus:g} CPUs; the Ray cluster has "
                         f"{cluster_cpus:g}. Lower --num-actors or --cpus-per-actor")
    if actors * stages * gpus > cluster_gpus:
        raise BatchError(f"{wanted} x {gpus:g} GPU(s) need {actors * stages * gpus:g} GPUs; the Ray cluster has "
                         f"{cluster_gpus:g}. Lower --num-actors or --gpus-per-actor")
    return ActorPlan(actors, cpus, gpus)


def worker_environment(threads: int) -> dict[str, str]:
    """Environment of the stage's actors (a Ray ``runtime_env``): the same emulated vLLM release as the driver,
    threads matching the actor's CPUs, and the usage report left to the driver."""
    from vllm_pooling_migrate.registry import format_version
    from vllm_pooling_migrate.shim.report import REPORT_ENV, SPOOL_ENV, STDERR_ENV
    from vllm_pooling_migrate.shim.versions import TARGET_ENV, get_target_version

    environment = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    environment |= {
        TARGET_ENV: format_version(get_target_version()),
        "OMP_NUM_THREADS": str(threads),
        # Workers hand their hits to the driver inside the batches (stage/usage.py), on one node as on many:
        # no spool, no report file and no table of their own.
        SPOOL_ENV: "",
        REPORT_ENV: "",
        STDERR_ENV: "0",
    }
    return environment
