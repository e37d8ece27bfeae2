"""POOL016: vLLM does not normalise dashes after the dot in ``--pooler-config.<key>`` (spec §9.3)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.rule import VLLM_CONTAINER, CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class DottedKeyDash(CommandLineRule):
    CODE = "POOL016"
    MESSAGE = "Dashes after the dot in `--pooler-config.<key>` are not normalised: the key is rejected"
    VALID = [
        Valid("vllm serve M --pooler-config.pooling_type MEAN"),
        Valid("vllm serve M --pooler_config.task embed"),
        Valid("model: M\npooler-config.pooling_type: MEAN\n", path="config.yaml"),
        Valid(f"{VLLM_CONTAINER}    args: [--model, M, --pooler-config.pooling_type, MEAN]\n", path="k8s.yaml"),
    ]

    INVALID = [
        Invalid("vllm serve M --pooler-config.pooling-type MEAN", "vllm serve M --pooler-config.pooling_type MEAN"),
        Invalid(
            "vllm serve M --pooler_config.max-embed-len=4096",
            "vllm serve M --pooler_config.max_embed_len=4096",
        ),
        Invalid(
            "model: M\npooler-config.pooling-type: MEAN\n",
            "model: M\npooler-config.pooling_type: MEAN\n",
            path="config.yaml",
        ),
        Invalid(
            f"{VLLM_CONTAINER}    args: [--model, M, --pooler-config.pooling-type, MEAN]\n",
            f"{VLLM_CONTAINER}    args: [--model, M, --pooler-config.pooling_type, MEAN]\n",
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.name != "pooler-config" or flag.key is None or "-" not in flag.key:
                continue
            head = flag.written_name.split(".", 1)[0]
            new = f"{head}.{flag.key.replace('-', '_')}"
            old_label, new_label = scan.show(f"--{head}.{flag.key}"), scan.show(f"--{new}")
            yield scan.finding(
                self.CODE,
                f"{old_label} is passed to PoolerConfig as the key `{flag.key}`, which does not exist; write {new_label}",
                flag,
                fix_message=f"Rename to {new_label}",
                changes=[scan.rename_flag(flag, new)],
            )
