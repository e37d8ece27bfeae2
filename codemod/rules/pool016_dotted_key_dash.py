"""POOL016: vLLM does not normalise dashes after the dot in ``--pooler-config.<key>`` (spec §9.3)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class DottedKeyDash(CommandLineRule):
    CODE = "POOL016"
    MESSAGE = "Dashes after the dot in `--pooler-config.<key>` are not normalised: the key is rejected"
    VALID = [
        Valid("vllm serve M --pooler-config.pooling_type MEAN"),
        Valid("vllm serve M --pooler_config.task embed"),
    ]

    INVALID = [
        Invalid("vllm serve M --pooler-config.pooling-type MEAN", "vllm serve M --pooler-config.pooling_type MEAN"),
        Invalid(
            "vllm serve M --pooler_config.max-embed-len=4096",
            "vllm serve M --pooler_config.max_embed_len=4096",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.name != "pooler-config" or flag.key is None or "-" not in flag.key:
                continue
            head = flag.written_name.split(".", 1)[0]
            old = f"--{head}.{flag.key}"
            new = f"--{head}.{flag.key.replace('-', '_')}"
            yield scan.finding(
                self.CODE,
                f"`{old}` is passed to PoolerConfig as the key `{flag.key}`, which does not exist; write `{new}`",
                flag,
                fix_message=f"Rename to `{new}`",
                edits=[scan.rename_prefix(flag.token, old, new)],
            )

