"""POOL017: ``--convert reward`` was replaced by ``--convert embed`` (removed in vLLM 0.16.0)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class ConvertReward(CommandLineRule):
    CODE = "POOL017"
    MESSAGE = "`--convert reward` was replaced by `--convert embed` (removed in vLLM 0.16.0)"
    VALID = [
        Valid("vllm serve M --convert embed"),
        Valid("vllm serve M --convert reward", target="0.12"),
    ]

    INVALID = [
        Invalid("vllm serve M --runner pooling --convert reward", "vllm serve M --runner pooling --convert embed"),
        Invalid("vllm serve M --convert=reward", "vllm serve M --convert=embed"),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if not flag.is_("convert") or flag.value != "reward":
                continue
            edit = scan.replace_value(flag, "embed")
            yield scan.finding(self.CODE, self.MESSAGE, flag, fix_message="Replace with `--convert embed`", edits=[edit])

