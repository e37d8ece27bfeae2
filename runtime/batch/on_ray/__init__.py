"""The Ray Data adapter: the batch job's stages as actor pools. Needs the ``ray`` extra (``ray[data]``)."""

from __future__ import annotations

from vllm_pooling_migrate.runtime.batch.on_ray.pipeline import RAY_MISSING, run_on_ray
from vllm_pooling_migrate.runtime.batch.on_ray.resources import ActorPlan, plan_actors, worker_environment

__all__ = ["RAY_MISSING", "ActorPlan", "plan_actors", "run_on_ray", "worker_environment"]
