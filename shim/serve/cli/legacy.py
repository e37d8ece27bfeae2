"""The legacy serve flags per release: ``--task`` (POOL013) and ``--override-pooler-config`` (POOL014).

vLLM removed both before 0.18 (0.13 and 0.12). Warn mode (0.18-0.20) runs them translated, as the offline shim
runs ``LLM(task=...)``: ``--task embed|classify`` becomes ``--convert`` (other values: auto), the override is
merged over ``--pooler-config`` (the override wins, as in 0.11), and each is warned with vLLM's last text (M60 with
its hint, M61) and the rule code. The 0.21 preview does not register them: argparse rejects them, and the hit
still goes into the usage report.
"""

from __future__ import annotations

import argparse
import copy
from collections.abc import Sequence
from dataclasses import dataclass

from vllm_pooling_migrate.shim.config import PoolerConfig
from vllm_pooling_migrate.shim.deprecations import log_vllm_warning
from vllm_pooling_migrate.shim.messages import LOGGER_MODEL_CONFIG, render, text
from vllm_pooling_migrate.shim.serve.hits import COMMAND_LINE_SITE, record_hit, warn_hit
from vllm_pooling_migrate.shim.serve.messages import LOGGER_ARGPARSE, online_text
from vllm_pooling_migrate.shim.serve.releases import OnlineRelease

#: The old ``--task`` choices (vLLM 0.10-0.12).
LEGACY_TASK_VALUES = ("auto", "generate", "embedding", "embed", "classify", "score", "reward", "transcription",
                      "draft")
#: POOL013: the task values that meant a pooling conversion (spec §8, M60 table; as shim/llm.py's LLM(task=)).
LEGACY_TASK_CONVERT = {"embed": "embed", "embedding": "embed", "classify": "classify", "reward": "reward"}
_LEGACY_FLAGS = {"--task": "POOL013", "--override-pooler-config": "POOL014"}


@dataclass(frozen=True)
class LegacyFlags:
    task: str | None = None
    override_pooler_config: dict | None = None

    def convert_for(self, convert: str) -> str:
        legacy = LEGACY_TASK_CONVERT.get(self.task or "")
        if convert == "auto" and legacy in ("embed", "classify"):
            return legacy
        return convert

    def merged_pooler_config(self, config: PoolerConfig | None) -> PoolerConfig:
        base = config if config is not None else PoolerConfig()
        if not self.override_pooler_config:
            return base
        try:
            override = PoolerConfig(**self.override_pooler_config)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"argument --override-pooler-config: {error}") from None
        merged = copy.copy(base)
        for name, value in vars(override).items():
            if value not in (None, False):
                setattr(merged, name, value)
        return merged

    def announce(self, supported_tasks: Sequence[str]) -> None:
        """Warn about each legacy flag used, once the model's tasks are known (the M60 hint depends on them)."""
        if self.task is not None:
            log_deprecated_argument("task")
            convert = LEGACY_TASK_CONVERT.get(self.task)
            if self.task == "score":
                convert = "classify" if "classify" in supported_tasks else "embed"
            hint = render("M60-convert", convert=convert) if convert else text("M60-remove")
            warn_hit("POOL013", f"{text('M60')} {hint}", COMMAND_LINE_SITE)
        if self.override_pooler_config is not None:
            log_deprecated_argument("override_pooler_config")
            warn_hit("POOL014", text("M61"), COMMAND_LINE_SITE, log=(LOGGER_MODEL_CONFIG, text("M61"), ()))


def log_deprecated_argument(dest: str) -> None:
    log_vllm_warning(LOGGER_ARGPARSE, online_text("deprecated-argument"), dest)


def legacy_flags_from(args: argparse.Namespace, release: OnlineRelease) -> LegacyFlags:
    if not release.warn_mode:
        return LegacyFlags()
    return LegacyFlags(task=args.task, override_pooler_config=args.override_pooler_config)


def record_rejected_legacy_flags(argv: Sequence[str]) -> None:
    """0.21: argparse is about to reject these; the usage report still counts them."""
    for arg in argv:
        name = arg.partition("=")[0].replace("_", "-")
        if name in _LEGACY_FLAGS:
            record_hit(_LEGACY_FLAGS[name], COMMAND_LINE_SITE)
