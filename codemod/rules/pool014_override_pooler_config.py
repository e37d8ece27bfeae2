"""POOL014: ``--override-pooler-config`` was renamed ``--pooler-config`` (removed in vLLM 0.12.0)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class OverridePoolerConfigFlag(CommandLineRule):
    CODE = "POOL014"
    MESSAGE = "`--override-pooler-config` was renamed `--pooler-config` (removed in vLLM 0.12.0)"
    VALID = [
        Valid('vllm serve M --pooler-config \'{"pooling_type": "MEAN"}\''),
        Valid("vllm serve M --override-pooler-config '{}'", target="0.10"),
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
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.name != "override-pooler-config":
                continue
            old = "--" + flag.written_name.split(".", 1)[0]
            new = "--" + old[len("--override") + 1 :]  # keeps the author's dash or underscore
            yield scan.finding(
                self.CODE, self.MESSAGE, flag, fix_message=f"Rename to `{new}`", edits=[scan.rename_prefix(flag.token, old, new)]
            )

