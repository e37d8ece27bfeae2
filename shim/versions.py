"""Which vLLM release the shim behaves like, and what differs between releases (spec §12.1 as data).

The target comes from :func:`set_target_version`, else from ``POOLING_SHIM_TARGET_VERSION``, read when the shim
first needs it (building an ``LLM``), never at import: a bad value must not break a lint run or an unrelated pytest.
0.21 is the removal preview: it raises what 0.21.0 raises. 0.18-0.20 are "warn mode": besides behaving like the
release, the shim accepts legacy spellings the release had already removed, translates them, and warns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from vllm_pooling_migrate.registry import DEFAULT_SHIM_TARGET, Version, format_version, parse_version

TARGET_ENV = "POOLING_SHIM_TARGET_VERSION"


@dataclass(frozen=True)
class Profile:
    """The decision points of one release. Field names say what is decided; values are that release's answer."""

    version: Version
    #: Legacy spellings are translated and warned about (False: raise what the release raises).
    warn_mode: bool
    #: ``PoolerConfig.task`` exists and a default task is resolved (§3.3).
    has_default_task: bool
    #: What a non-default supported task does offline: "silent", "warn" (M06) or "raise" (M07).
    non_default_task: str
    #: Text for a missing ``pooling_task`` (M02a/M02b), and whether that check precedes the runner check.
    missing_task_message: str
    missing_task_checked_first: bool
    #: ``{"data": ...}`` prompts need ``pooling_task="plugin"`` (M09); plugin checked in verification (M08).
    data_prompt_needs_plugin: bool
    #: ``score`` is still a task value (0.18); otherwise it is the legacy value mapped by M17 in warn mode.
    score_is_task: bool
    #: ``LLM.score``: "architecture" or "default_task" decides the score type; which error texts it uses.
    score_type_from: str
    score_messages: str  # "0.18" (M21-M23) or "0.20" (M25/M26)
    #: ``LLM.score`` verifies its embed/late-interaction task (and so may warn M06): 0.18/0.19 only.
    score_verifies_task: bool
    #: ``encode(pooling_task="embed&token_classify")`` fails vLLM's IO-processor assertion (bare AssertionError).
    combined_task_asserts: bool
    #: ``LLM.reward`` warns M11.
    reward_deprecated: bool
    #: ``PoolerConfig.logit_bias``/``logit_scale``: "plain" fields, or "alias" of ``logit_mean``/``logit_sigma``.
    logit_fields: str


# Each release is written as the changes from the one before it (spec §0.1, §12.1).
_V018 = Profile(
    version=(0, 18), warn_mode=True, has_default_task=False, non_default_task="silent",
    missing_task_message="M02a", missing_task_checked_first=True, data_prompt_needs_plugin=False,
    score_is_task=True, score_type_from="architecture", score_messages="0.18", score_verifies_task=True,
    combined_task_asserts=False, reward_deprecated=False, logit_fields="plain",
)
_V019 = replace(_V018, version=(0, 19), has_default_task=True, non_default_task="warn",
                missing_task_checked_first=False, score_is_task=False)
_V020 = replace(_V019, version=(0, 20), missing_task_message="M02b", data_prompt_needs_plugin=True,
                score_messages="0.20", score_verifies_task=False, combined_task_asserts=True, reward_deprecated=True,
                logit_fields="alias")
_V021 = replace(_V020, version=(0, 21), warn_mode=False, non_default_task="raise", score_type_from="default_task")

PROFILES: dict[Version, Profile] = {p.version: p for p in (_V018, _V019, _V020, _V021)}


def parse_target(value: str | Version) -> Version:
    """``"0.20"``, ``"0.20.2"``, ``(0, 20)`` -> ``(0, 20)``; anything not emulated raises ValueError."""
    version = parse_version(value) if isinstance(value, str) else tuple(value)
    minor = version[:2]
    if minor not in PROFILES:
        known = ", ".join(format_version(v) for v in PROFILES)
        raise ValueError(f"pooling shim: cannot emulate vLLM {format_version(version)}; known targets: {known}")
    return minor


def _target_from_environment() -> Version:
    value = os.environ.get(TARGET_ENV, "").strip()
    if not value:
        return DEFAULT_SHIM_TARGET
    try:
        return parse_target(value)
    except ValueError as error:
        raise ValueError(f"{TARGET_ENV}={value!r}: {error}") from None


#: Set by :func:`set_target_version`; None means "the environment's, or the default".
_target: Version | None = None


def set_target_version(value: str | Version | None) -> None:
    """Switch the emulated release for this process (tests, notebooks); None goes back to the environment's.

    Workers read the environment instead."""
    global _target
    _target = None if value is None else parse_target(value)


def get_target_version() -> Version:
    """The emulated release. Raises ValueError naming ``POOLING_SHIM_TARGET_VERSION`` when it holds no known one."""
    return _target if _target is not None else _target_from_environment()


def profile() -> Profile:
    return PROFILES[get_target_version()]
