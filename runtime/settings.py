"""Pooler settings resolved in vLLM's priority order (spec §10.1): user fields, then the sentence-transformers
config, then the model-class defaults. Per-request values are merged on top later (spec §9.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vllm_pooling_migrate.runtime.model_info import SEQUENCE_POOLING_TYPES, TOKEN_POOLING_TYPES

# The PoolerConfig fields (vLLM 0.20 names) that change what the engine computes.
POOLER_FIELDS = (
    "pooling_type",
    "seq_pooling_type",
    "tok_pooling_type",
    "use_activation",
    "dimensions",
    "logit_mean",
    "logit_sigma",
    "step_tag_id",
    "returned_token_ids",
)


@dataclass(frozen=True)
class PoolerSettings:
    seq_pooling_type: str
    tok_pooling_type: str
    use_activation: bool | None = None
    dimensions: int | None = None
    logit_mean: float | None = None
    logit_sigma: float | None = None
    step_tag_id: int | None = None
    returned_token_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class StPoolingDefaults:
    """What a sentence-transformers folder contributes (spec §10.1 step 2); fields are None when it says nothing."""

    seq_pooling_type: str | None = None
    tok_pooling_type: str | None = None
    use_activation: bool | None = None


def resolve_settings(
    overrides: Mapping[str, Any] | None,
    st_defaults: StPoolingDefaults | None,
    model_defaults: tuple[str, str],
) -> PoolerSettings:
    user = dict(overrides or {})
    unknown = sorted(set(user) - set(POOLER_FIELDS))
    if unknown:
        raise ValueError(f"Unknown pooler settings {unknown}; supported: {list(POOLER_FIELDS)}")
    seq_type, tok_type = _split_pooling_type(user)
    st = st_defaults or StPoolingDefaults()
    use_activation = user.get("use_activation")
    if use_activation is None:
        use_activation = st.use_activation
    logit_sigma = user.get("logit_sigma")
    if logit_sigma is not None and logit_sigma == 0:
        raise ValueError("logit_sigma cannot be 0 (division by zero)")
    returned = user.get("returned_token_ids")
    return PoolerSettings(
        seq_pooling_type=seq_type or st.seq_pooling_type or model_defaults[0],
        tok_pooling_type=tok_type or st.tok_pooling_type or model_defaults[1],
        use_activation=use_activation,
        dimensions=user.get("dimensions"),
        logit_mean=user.get("logit_mean"),
        logit_sigma=logit_sigma,
        step_tag_id=user.get("step_tag_id"),
        returned_token_ids=tuple(returned) if returned else None,
    )


def _split_pooling_type(user: dict[str, Any]) -> tuple[str | None, str | None]:
    """``pooling_type`` is a convenience field copied to the sequence or token field by its value (spec §9.1)."""
    seq_type = _upper(user.get("seq_pooling_type"))
    tok_type = _upper(user.get("tok_pooling_type"))
    pooling_type = _upper(user.get("pooling_type"))
    if pooling_type is not None:
        if seq_type is not None:
            raise ValueError("Cannot set both `pooling_type` and `seq_pooling_type`")
        if tok_type is not None:
            raise ValueError("Cannot set both `pooling_type` and `tok_pooling_type`")
        if pooling_type in TOKEN_POOLING_TYPES:
            tok_type = pooling_type
        else:
            seq_type = pooling_type
    if seq_type is not None and seq_type not in SEQUENCE_POOLING_TYPES:
        raise ValueError(f"Unsupported sequence pooling type {seq_type!r}; expected one of {SEQUENCE_POOLING_TYPES}")
    if tok_type is not None and tok_type not in TOKEN_POOLING_TYPES:
        raise ValueError(f"Unsupported token pooling type {tok_type!r}; expected one of {TOKEN_POOLING_TYPES}")
    return seq_type, tok_type


def _upper(value: str | None) -> str | None:
    return None if value is None else str(value).upper()
