"""POOL015: legacy keys inside ``--pooler-config '{json}'`` (and ``--override-pooler-config``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.pooler_keys import legacy_key_problems, top_level_key_spans
from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class PoolerConfigLegacyKey(CommandLineRule):
    CODE = "POOL015"
    MESSAGE = "Legacy key inside `--pooler-config` JSON"
    VALID = [
        Valid("vllm serve M --pooler-config '{\"use_activation\": false}'"),
        Valid("vllm serve M --pooler-config '{\"logit_bias\": 1.5}'", target="0.19"),
        Valid("vllm serve M --pooler-config '{\"normalize\": false}'", target="0.11"),
        Valid('vllm serve M --pooler-config \'{"extra": {"normalize": true}}\''),
    ]

    INVALID = [
        Invalid(
            'vllm serve M --pooler-config \'{"pooling_type": "MEAN", "normalize": false}\'',
            'vllm serve M --pooler-config \'{"pooling_type": "MEAN", "use_activation": false}\'',
        ),
        Invalid(
            'vllm serve M --pooler-config=\'{"logit_bias":1.5,"pooling_task":"token_embed"}\'',
            'vllm serve M --pooler-config=\'{"logit_mean":1.5,"task":"token_embed"}\'',
        ),
        Invalid(
            'vllm serve M --override-pooler-config "{\\"softmax\\": true}"',
            'vllm serve M --override-pooler-config "{\\"use_activation\\": true}"',
        ),
        Invalid('vllm serve M --pooler-config \'{"pooling_task": "embed"}\'', target="0.18"),
        Invalid('vllm serve M --pooler-config \'{"normalize": true, "use_activation": false}\''),
        Invalid("vllm serve M --pooler-config '{\"logit_scale\": 2.0}'"),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.name not in ("pooler-config", "override-pooler-config") or flag.key is not None or flag.value is None:
                continue
            spans = top_level_key_spans(flag.value)
            if spans is None:
                continue
            problems = legacy_key_problems([key for key, _, _ in spans], scan.options.target_version)
            for problem in problems:
                if not problem.fixable:
                    message = f"`{problem.key}` is a legacy PoolerConfig key; use `{problem.replacement}`"
                    yield scan.finding(self.CODE, message, flag, reason=problem.reason)
            renames = {p.key: p.replacement for p in problems if p.fixable}
            if not renames:
                continue
            new_value = flag.value
            for key, start, end in reversed(spans):
                if key in renames:
                    new_value = new_value[:start] + json.dumps(renames[key]) + new_value[end:]
            listing = ", ".join(f"`{old}` -> `{new}`" for old, new in renames.items())
            edit = scan.replace_value(flag, new_value)
            yield scan.finding(
                self.CODE, f"Legacy PoolerConfig keys: {listing}", flag, fix_message=f"Rename {listing}", edits=[edit]
            )

