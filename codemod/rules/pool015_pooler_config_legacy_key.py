"""POOL015: legacy keys inside ``--pooler-config '{json}'`` (and ``--override-pooler-config``)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.json_object import top_level_key_spans
from vllm_pooling_migrate.codemod.argv.pooler_keys import LEGACY_KEYS, legacy_key_problems
from vllm_pooling_migrate.codemod.argv.rule import VLLM_CONTAINER, CommandLineRule
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
        Valid("model: M\npooler-config:\n  use_activation: false\n", path="config.yaml"),
        Valid(f'{VLLM_CONTAINER}    args: ["--model", "M", "--pooler-config", "{{\\"use_activation\\": false}}"]\n', path="k8s.yaml"),
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
        Invalid(  # JSON held in a variable: fixed where it is assigned
            "CFG='{\"pooling_type\": \"MEAN\", \"normalize\": true}'\nvllm serve M --pooler-config \"$CFG\"\n",
            "CFG='{\"pooling_type\": \"MEAN\", \"use_activation\": true}'\nvllm serve M --pooler-config \"$CFG\"\n",
            line=2,
        ),
        Invalid(  # shell expansions are opaque values; the key is renamed where it is written
            'vllm serve M --pooler-config "{\\"normalize\\": true, \\"max_embed_len\\": ${MAX_LEN}}"',
            'vllm serve M --pooler-config "{\\"use_activation\\": true, \\"max_embed_len\\": ${MAX_LEN}}"',
        ),
        Invalid(  # a variable that other commands read too: its assignment is not edited
            "CFG='{\"normalize\": true}'\necho \"$CFG\"\nvllm serve M --pooler-config \"$CFG\"\n", line=3,
        ),
        Invalid(  # a string in pieces: the piece that holds the key is edited
            'args = ["--pooler-config", (\'{"pooling_type": "MEAN", "normalize": true, \'\n'
            '                            \'"max_embed_len": 10000}\')]\n',
            'args = ["--pooler-config", (\'{"pooling_type": "MEAN", "use_activation": true, \'\n'
            '                            \'"max_embed_len": 10000}\')]\n',
            path="example.py",
        ),
        Invalid(  # a script that installs 0.11.0, which has no use_activation yet: reported, not rewritten
            "pip install vllm==0.11.0\nvllm serve M --pooler-config '{\"normalize\": true}'\n",
        ),
        Invalid('vllm serve M --pooler-config \'{"pooling_task": "embed"}\'', target="0.18"),
        Invalid('vllm serve M --pooler-config \'{"normalize": true, "use_activation": false}\''),
        Invalid("vllm serve M --pooler-config '{\"logit_scale\": 2.0}'"),
        Invalid(
            "model: M\npooler-config:\n  pooling_type: MEAN\n  normalize: false  # keep this comment\n",
            "model: M\npooler-config:\n  pooling_type: MEAN\n  use_activation: false  # keep this comment\n",
            path="config.yaml",
        ),
        Invalid(
            "model: M\npooler_config: '{\"softmax\": true, \"pooling_task\": \"classify\"}'\n",
            "model: M\npooler_config: '{\"use_activation\": true, \"task\": \"classify\"}'\n",
            path="config.yaml",
        ),
        Invalid(
            f'{VLLM_CONTAINER}    args: ["--model", "M", "--pooler-config", "{{\\"normalize\\": false}}"]\n',
            f'{VLLM_CONTAINER}    args: ["--model", "M", "--pooler-config", "{{\\"use_activation\\": false}}"]\n',
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.name not in ("pooler-config", "override-pooler-config") or flag.key is not None:
                continue
            spans = top_level_key_spans(flag.json_text or "")  # shell expansions in it: opaque values
            if spans is None:
                continue
            problems = legacy_key_problems([key for key, _, _ in spans], scan.options.target_version)
            stuck = [p for p in problems if not p.fixable]
            if stuck:  # one finding per flag value, as for the renames below: they all point at the same text
                keys = ", ".join(f"`{p.key}`" for p in stuck)
                uses = ", ".join(f"`{r}`" for r in dict.fromkeys(p.replacement for p in stuck))
                verb = "is a legacy PoolerConfig key" if len(stuck) == 1 else "are legacy PoolerConfig keys"
                reasons = "; ".join(dict.fromkeys(p.reason or "" for p in stuck))
                yield scan.finding(self.CODE, f"{keys} {verb}; use {uses}", flag, reason=reasons)
            renames = {p.key: p.replacement for p in problems if p.fixable}
            if renames:
                listing = ", ".join(f"`{old}` -> `{new}`" for old, new in renames.items())
                yield scan.finding(
                    self.CODE,
                    f"Legacy PoolerConfig keys: {listing}",
                    flag,
                    fix_message=f"Rename {listing}",
                    changes=[scan.rename_keys(flag, renames)],
                    spelling=", ".join(f"`{new}`" for new in dict.fromkeys(renames.values())),
                    needs=max(LEGACY_KEYS[old].fix_min_target for old in renames),
                )
