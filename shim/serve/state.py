"""The loaded model and everything decided from it at start-up: tasks, the default task, the routes, the queue.

Start-up order is vLLM's: the engine, then the supported tasks and the default task (an unsupported
``--pooler-config.task`` raises M05r here, before any socket is bound), then the route plan.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from vllm_pooling_migrate.shim.serve.cli.args import ServeSettings
from vllm_pooling_migrate.shim.serve.errors.bodies import ModelNotFoundError
from vllm_pooling_migrate.shim.serve.gating.plan import RoutePlan, plan_routes
from vllm_pooling_migrate.shim.serve.messages import LOGGER_API_SERVER, online_text, render_online
from vllm_pooling_migrate.shim.serve.pipeline.prompts import PromptPreparer
from vllm_pooling_migrate.shim.serve.releases import OnlineRelease
from vllm_pooling_migrate.shim.serve.scheduling.scheduler import BatchScheduler
from vllm_pooling_migrate.shim.tasks import resolve_default_task, supported_tasks_for

logger = logging.getLogger(LOGGER_API_SERVER)


@dataclass
class ServerState:
    settings: ServeSettings
    engine: Any
    info: Any  # the engine's ModelInfo, with the served model name
    supported: tuple[str, ...]
    default_task: str | None
    plan: RoutePlan
    scheduler: BatchScheduler
    prompts: PromptPreparer
    postprocess: ThreadPoolExecutor
    started: int

    @property
    def release(self) -> OnlineRelease:
        return self.settings.release

    @property
    def model_name(self) -> str:
        return self.settings.served_model_names[0]

    def response_model(self, requested: str | None) -> str:
        return requested or self.model_name

    def check_model(self, requested: str | None, route: str) -> None:
        """404 NotFoundError for a model this server does not serve; ``param`` is "model" on 0.19's /pooling
        and /score only."""
        if requested and requested not in self.settings.served_model_names:
            param = "model" if route in self.release.model_param_routes else None
            raise ModelNotFoundError(render_online("model-not-found", model=requested), param)

    def close(self) -> None:
        self.scheduler.close()
        self.prompts.close()
        self.postprocess.shutdown(wait=True)


def load_engine(settings: ServeSettings) -> Any:
    from vllm_pooling_migrate import runtime

    if settings.runner in ("generate", "draft"):
        raise NotImplementedError(f"pooling shim: --runner {settings.runner} is not served here; "
                                  "vllm-pooling-serve serves pooling models only")
    config = settings.pooler_config  # enable_chunked_processing/max_embed_len: pipeline/long_inputs.py
    arguments = dict(settings.engine_args, pooler_overrides=config.engine_overrides() or None)
    engine = runtime.load_engine(settings.model, convert=settings.convert, **arguments)
    if settings.runner == "pooling" and engine.info.runner != "pooling":
        # --runner pooling on an architecture without a pooling match falls back to convert embed (spec §3.4).
        engine = runtime.load_engine(settings.model, convert="embed", **arguments)
    if engine.info.runner != "pooling":
        raise NotImplementedError("pooling shim: this model runs with --runner generate in vLLM; "
                                  "vllm-pooling-serve serves pooling models only (try --runner pooling)")
    return engine


def build_state(settings: ServeSettings, engine: Any | None = None) -> ServerState:
    """Load (or take) the engine and decide everything that depends on the model. Raises RuntimeError M05r."""
    engine = engine if engine is not None else load_engine(settings)
    release = settings.release
    supported = supported_tasks_for(tuple(engine.info.supported_tasks), release.offline.score_is_task)
    default_task = (resolve_default_task(settings.pooler_config.task, supported, engine.info.architectures)
                    if release.offline.has_default_task else None)
    settings.legacy.announce(supported)
    logger.info(online_text("supported-tasks"), supported)
    plan = plan_routes(release, supported, default_task, engine.info.num_labels,
                       engine.info.architecture_score_type)
    info = dataclasses.replace(engine.info, served_model_name=settings.served_model_names[0])
    scheduler = BatchScheduler(engine, max_tokens=engine.max_num_batched_tokens, max_prompts=engine.max_num_seqs)
    return ServerState(settings=settings, engine=engine, info=info, supported=supported, default_task=default_task,
                       plan=plan, scheduler=scheduler, prompts=PromptPreparer(engine.tokenizer, info.max_model_len),
                       postprocess=ThreadPoolExecutor(max_workers=2, thread_name_prefix="pooling-postprocess"),
                       started=int(time.time()))
