"""POOL014: ``--override-pooler-config`` was renamed ``--pooler-config`` (removed in vLLM 0.12.0)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.rule import VLLM_CONTAINER, CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class OverridePoolerConfigFlag(CommandLineRule):
    CODE = "POOL014"
    MESSAGE = "`--override-pooler-config` was renamed `--pooler-config` (removed in vLLM 0.12.0)"
    VALID = [
        Valid('vllm serve M --pooler-config \'{"pooling_type": "MEAN"}\''),
        Valid("vllm serve M --override-pooler-config '{}'", target="0.10"),
        Valid("model: M\npooler-config:\n  pooling_type: MEAN\n", path="config.yaml"),
        Valid(f"{VLLM_CONTAINER}    args:\n      - --pooler-config={{}}\n", path="k8s.yaml"),
    ]

    INVALID = [
        Invalid(
            'vllm serve M --override-pooler-config \'{"pooling_type": "MEAN"}\'',
            'vllm serve M --pooler-config \'{"pooling_type": "MEAN"}\'',
        ),
        Invalid(
            "vllm serve M --override_pooler_config='{\"dimensions\": 256}'",
            "vllm serve M --pooler_config='{\"dimensions\": 256}'",
        ),
        Invalid(
            "model: M\noverride-pooler-config:\n  pooling_type: MEAN\n",
            "model: M\npooler-config:\n  pooling_type: MEAN\n",
            path="config.yaml",
        ),
        Invalid(  # pinned to a release without --pooler-config: reported with the release the fix needs
            'FROM vllm/vllm-openai:v0.9.2\nCMD ["--model", "M", "--override-pooler-config", "{\\"pooling_type\\": \\"MEAN\\"}"]\n',
            path="Dockerfile",
        ),
        Invalid(
            f"{VLLM_CONTAINER}    args:\n      - --model=M\n      - '--override-pooler-config={{\"pooling_type\": \"MEAN\"}}'\n",
            f"{VLLM_CONTAINER}    args:\n      - --model=M\n      - '--pooler-config={{\"pooling_type\": \"MEAN\"}}'\n",
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.name != "override-pooler-config":
                continue
            head, dot, key = flag.written_name.partition(".")
            new = head[len("override") + 1 :] + dot + key  # keeps the author's dash or underscore
            old_label, new_label = scan.show("--override-pooler-config"), scan.show("--pooler-config")
            yield scan.finding(
                self.CODE,
                f"{old_label} was renamed {new_label} (removed in vLLM 0.12.0)",
                flag,
                fix_message=f"Rename to {new_label}",
                changes=[scan.rename_flag(flag, new)],
                spelling=new_label,
            )
