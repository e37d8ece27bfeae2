"""Route gating per release (online-serving.md §1.1-§1.2, spec §5.1, §12.1).

"Registered" means the HTTP route exists (else FastAPI's 404 ``{"detail":"Not Found"}``); "handler" means the
serving object exists (else 501 M30/M31). Every decision reads the release's supported-task tuple and the one
resolved default task (``shim.tasks.resolve_default_task``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from vllm_pooling_migrate.shim.serve.messages import online_text
from vllm_pooling_migrate.shim.serve.releases import OnlineRelease
from vllm_pooling_migrate.shim.tasks import EMBED_LIKE, SCORE_TYPE_BY_DEFAULT_TASK


@dataclass(frozen=True)
class RoutePlan:
    embeddings_registered: bool  # /v1/embeddings, /v2/embed
    embeddings_handler: bool
    classify_registered: bool  # /classify
    classify_handler: bool
    pooling_registered: bool  # /pooling
    pooling_handler: bool
    scoring_enabled: bool  # /score, /v1/score, /rerank, /v1/rerank, /v2/rerank: route and handler alike
    #: "bi-encoder", "cross-encoder", "late-interaction", or None where no scoring exists.
    score_type: str | None

    def invocation_types(self) -> tuple[str, ...]:
        """SageMaker ``/invocations`` request kinds, in vLLM's order, whose handler exists (§2 "Further rules")."""
        kinds = (("embedding", self.embeddings_handler), ("classification", self.classify_handler),
                 ("rerank", self.scoring_enabled), ("score", self.scoring_enabled),
                 ("pooling", self.pooling_handler))
        return tuple(name for name, exists in kinds if exists)


def plan_routes(release: OnlineRelease, supported: tuple[str, ...], default_task: str | None,
                num_labels: int | None, architecture_score_type: str) -> RoutePlan:
    embed_registered = "embed" in supported
    classify_registered = "classify" in supported
    if release.task_handlers_need_default:
        embed_handler = embed_registered and default_task == "embed"
        classify_handler = classify_registered and default_task == "classify"
    else:
        embed_handler, classify_handler = embed_registered, classify_registered
    scoring = _scoring_enabled(release, supported, default_task, num_labels)
    score_type: str | None = None
    if scoring:
        if release.offline.score_type_from == "default_task":
            score_type = SCORE_TYPE_BY_DEFAULT_TASK.get(default_task or "")
        else:
            score_type = architecture_score_type
    pooling_tasks = bool(supported)
    return RoutePlan(
        embeddings_registered=embed_registered, embeddings_handler=embed_handler,
        classify_registered=classify_registered, classify_handler=classify_handler,
        pooling_registered=pooling_tasks and (release.pooling_always_registered or default_task is not None),
        pooling_handler=pooling_tasks, scoring_enabled=scoring, score_type=score_type,
    )


def _scoring_enabled(release: OnlineRelease, supported: tuple[str, ...], default_task: str | None,
                     num_labels: int | None) -> bool:
    if release.scoring_gate == "0.18":
        return bool({"score", "embed", "token_embed"} & set(supported))
    if release.scoring_gate == "supported":
        if EMBED_LIKE & set(supported):
            return True
        candidate = "classify" in supported
    else:  # "default": 0.21 keys the score routes on the default task
        if default_task in EMBED_LIKE:
            return True
        candidate = default_task == "classify"
    if candidate and num_labels == 1:
        return True
    if candidate:
        logger_name, key = release.scoring_disabled_log
        logging.getLogger(logger_name).debug(online_text(key))  # vLLM: debug_once, at start-up only
    return False
