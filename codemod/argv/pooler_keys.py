"""Legacy ``PoolerConfig`` keys (spec §11 P10-P12), and which of them matter on a target version."""

from __future__ import annotations

from dataclasses import dataclass

from vllm_pooling_migrate.registry import Version


@dataclass(frozen=True)
class LegacyKey:
    replacement: str
    deprecated_in: Version | None  # None: never valid
    fix_min_target: Version  # the replacement key fails below this target
    fixable: bool = True  # False: the value must change too (logit_scale -> 1/scale)


LEGACY_KEYS: dict[str, LegacyKey] = {
    "normalize": LegacyKey("use_activation", (0, 11, 2), (0, 11, 2)),
    "softmax": LegacyKey("use_activation", (0, 11, 2), (0, 11, 2)),
    "activation": LegacyKey("use_activation", (0, 11, 2), (0, 11, 2)),
    "logit_bias": LegacyKey("logit_mean", (0, 20), (0, 20)),
    "logit_scale": LegacyKey("logit_sigma", (0, 20), (0, 20), fixable=False),
    "pooling_task": LegacyKey("task", None, (0, 19)),
}


@dataclass(frozen=True)
class KeyProblem:
    key: str
    replacement: str
    fixable: bool
    reason: str | None  # why there is no fix


def legacy_key_problems(keys: list[str], target: Version) -> list[KeyProblem]:
    """The legacy keys among ``keys`` that matter on ``target``, each with whether renaming it is safe."""
    problems = []
    for key in keys:
        legacy = LEGACY_KEYS.get(key)
        if legacy is None or (legacy.deprecated_in is not None and target < legacy.deprecated_in):
            continue
        rivals = [k for k in keys if k != key and (k == legacy.replacement or _replacement(k) == legacy.replacement)]
        if not legacy.fixable:
            reason = f"`{legacy.replacement}` is 1/`{key}`: compute the new value by hand"
        elif target < legacy.fix_min_target:
            wanted = ".".join(map(str, legacy.fix_min_target))
            reason = f"`{legacy.replacement}` needs vLLM >= {wanted}; raise the target version"
        elif rivals:
            reason = f"`{key}` and `{'`, `'.join(rivals)}` both set `{legacy.replacement}`: keep one by hand"
        else:
            reason = None
        problems.append(KeyProblem(key, legacy.replacement, reason is None, reason))
    return problems


def _replacement(key: str) -> str | None:
    legacy = LEGACY_KEYS.get(key)
    return legacy.replacement if legacy else None
