"""What differs between releases online (online-serving.md §1-§3, spec §5, §12.1), as data beside the offline profile.

Each release is written as the changes from the one before it, like ``shim/versions.py``. The server captures one
``OnlineRelease`` when it starts and never reads the process-wide target again, so apps of different releases can
live in one test process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vllm_pooling_migrate.registry import Version
from vllm_pooling_migrate.shim.versions import PROFILES, Profile


@dataclass(frozen=True)
class OnlineRelease:
    offline: Profile
    #: ``GET /version``: the release of that line the spec was read from.
    version_string: str
    #: ``/pooling`` is registered even without a default task (0.18 has no default-task concept).
    pooling_always_registered: bool
    #: 0.21: the embed/classify handlers exist only for the default task (else 501 M30/M31).
    task_handlers_need_default: bool
    #: Score routes: "0.18" (score/embed/token_embed supported), "supported" (0.19/0.20) or "default" (0.21).
    scoring_gate: str
    #: ``/pooling`` request flow: "0.18", "0.19", "0.20" or "0.21" (online-serving.md §1.3, spec §5.2).
    pooling_flow: str
    #: The multi-task warning template for a supported non-default ``/pooling`` task (None: silent or raises).
    multitask_warning: str | None
    #: Response id prefixes.
    pooling_id_prefix: str
    rerank_id_prefix: str
    #: Routes whose unknown-model 404 carries ``param: "model"`` (0.19: /pooling and /score, §2 "Unknown model").
    model_param_routes: frozenset[str]
    #: ``max_tokens_per_query``/``max_tokens_per_doc`` exist on score and rerank requests (0.20+).
    score_length_fields: bool
    #: The debug_once record when score routes are skipped for num_labels != 1 (M35): (logger, text key).
    scoring_disabled_log: tuple[str, str]
    #: Logger of the score/rerank routers (the /v1/score and /v1/rerank notices).
    score_router_logger: str

    @property
    def version(self) -> Version:
        return self.offline.version

    @property
    def warn_mode(self) -> bool:
        return self.offline.warn_mode


_V018 = OnlineRelease(
    offline=PROFILES[(0, 18)], version_string="0.18.1", pooling_always_registered=True,
    task_handlers_need_default=False, scoring_gate="0.18", pooling_flow="0.18", multitask_warning=None,
    pooling_id_prefix="pool-", rerank_id_prefix="rerank-",
    model_param_routes=frozenset({"/pooling", "/score"}), score_length_fields=False,
    scoring_disabled_log=("vllm.entrypoints.pooling", "M35-0.19"),
    score_router_logger="vllm.entrypoints.pooling.score.api_router",
)
_V019 = replace(_V018, offline=PROFILES[(0, 19)], version_string="0.19.1", pooling_always_registered=False,
                scoring_gate="supported", pooling_flow="0.19", multitask_warning="M14a")
_V020 = replace(_V019, offline=PROFILES[(0, 20)], version_string="0.20.2", pooling_flow="0.20",
                multitask_warning="M14b", pooling_id_prefix="pooling-", rerank_id_prefix="score-",
                model_param_routes=frozenset(), score_length_fields=True,
                scoring_disabled_log=("vllm.entrypoints.pooling.utils", "M35"),
                score_router_logger="vllm.entrypoints.pooling.scoring.api_router")
_V021 = replace(_V020, offline=PROFILES[(0, 21)], version_string="0.21.0", task_handlers_need_default=True,
                scoring_gate="default", pooling_flow="0.21", multitask_warning=None)

ONLINE_RELEASES: dict[Version, OnlineRelease] = {r.version: r for r in (_V018, _V019, _V020, _V021)}


def online_release(version: Version) -> OnlineRelease:
    return ONLINE_RELEASES[version]
