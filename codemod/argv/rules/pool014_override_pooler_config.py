"""POOL014: ``--override-pooler-config`` was renamed ``--pooler-config`` (removed in vLLM 0.12.0)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.registry import BY_CODE, is_deprecated_at

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


def check(scan: ArgvScan) -> Iterator[Finding]:
    if not is_deprecated_at(BY_CODE[CODE], scan.options.target_version):
        return
    for flag in scan.flags:
        if flag.name != "override-pooler-config":
            continue
        old = "--" + flag.written_name.split(".", 1)[0]
        new = "--" + old[len("--override") + 1 :]  # keeps the author's dash or underscore
        yield scan.finding(
            CODE, MESSAGE, flag, fix_message=f"Rename to `{new}`", edits=[scan.rename_prefix(flag.token, old, new)]
        )
