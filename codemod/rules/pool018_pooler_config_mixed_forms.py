"""POOL018: ``--pooler-config '{json}'`` together with dotted ``--pooler-config.<key>`` flags.

vLLM re-emits the dotted flags as one JSON-form argument at the end of the command line, so the
user's JSON argument is dropped as a whole, without a warning (spec §9.3). The fix merges both
into one JSON argument; it is unsafe because it changes what the server runs with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vllm_pooling_migrate.codemod.argv.flags import Flag, parse_dotted_value
from vllm_pooling_migrate.codemod.argv.json_object import json_object
from vllm_pooling_migrate.codemod.argv.rule import VLLM_CONTAINER, CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.registry import FixClass


class PoolerConfigMixedForms(CommandLineRule):
    CODE = "POOL018"
    MESSAGE = "`--pooler-config '{...}'` mixed with `--pooler-config.<key>`: vLLM drops the JSON part silently"
    VALID = [
        Valid('vllm serve M --pooler-config \'{"pooling_type": "MEAN", "task": "embed"}\''),
        Valid("vllm serve M --pooler-config.pooling_type MEAN --pooler-config.task embed"),
        Valid("model: M\npooler-config:\n  pooling_type: MEAN\n  task: embed\n", path="config.yaml"),
        Valid(f"{VLLM_CONTAINER}    args:\n      - --pooler-config\n      - '{{\"pooling_type\": \"MEAN\", \"task\": \"embed\"}}'\n",
              path="k8s.yaml"),
    ]

    INVALID = [
        Invalid(
            'vllm serve M --pooler-config \'{"pooling_type": "MEAN"}\' --pooler-config.task embed',
            'vllm serve M --pooler-config \'{"pooling_type": "MEAN", "task": "embed"}\'',
            unsafe=True,
        ),
        Invalid(
            'vllm serve M \\\n  --pooler-config.dimensions 256 \\\n  --pooler-config=\'{"task":"classify"}\' \\\n  --port 8000\n',
            'vllm serve M \\\n  --pooler-config=\'{"task":"classify","dimensions":256}\' \\\n  --port 8000\n',
            unsafe=True,
            line=3,
        ),
        Invalid(
            'vllm serve M --pooler-config \'{"task": "embed"}\' --pooler-config.task token_embed',
            'vllm serve M --pooler-config \'{"task": "token_embed"}\'',
            unsafe=True,
        ),
        Invalid(
            "model: M\npooler-config:\n  pooling_type: MEAN  # keep\npooler-config.task: embed\nport: 8000\n",
            "model: M\npooler-config:\n  pooling_type: MEAN  # keep\n  task: embed\nport: 8000\n",
            unsafe=True,
            path="config.yaml",
        ),
        Invalid("model: M\npooler-config:\n  task: classify\npooler-config.task: embed\n", path="config.yaml"),
        Invalid(
            f"{VLLM_CONTAINER}    args:\n      - --pooler-config\n      - '{{\"pooling_type\": \"MEAN\"}}'\n"
            "      - --pooler-config.task\n      - embed\n",
            f"{VLLM_CONTAINER}    args:\n      - --pooler-config\n      - '{{\"pooling_type\": \"MEAN\", \"task\": \"embed\"}}'\n",
            unsafe=True,
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        json_flags = [f for f in scan.flags if f.is_("pooler-config")]
        dotted = [f for f in scan.flags if f.name == "pooler-config" and f.key is not None]
        if not json_flags or not dotted:
            return
        keys = ", ".join(f"`{f.key}`" for f in dotted)
        whole = scan.show("--pooler-config", "'{...}'")
        message = f"{whole} is dropped because dotted flags ({keys}) are also given; merge them"
        target = json_flags[-1]
        if len(json_flags) > 1 or json_object(target.value) is None:
            reason = f"several or non-JSON {scan.show('--pooler-config')} values: merge by hand"
            yield scan.finding(self.CODE, message, target, reason=reason)
            return
        yield scan.finding(
            self.CODE,
            message,
            target,
            fix_class=FixClass.UNSAFE,
            fix_message="Merge the dotted keys into the JSON argument",
            changes=[scan.add_keys(target, dotted_additions(dotted)), *(scan.delete(f) for f in dotted)],
        )


def dotted_additions(dotted: list[Flag]) -> dict[str, Any]:
    """The dict vLLM builds from the dotted flags (nested keys, ``key+`` comma lists), dashes fixed."""
    additions: dict[str, Any] = {}
    for flag in dotted:
        *parents, leaf = (flag.key or "").replace("-", "_").split(".")
        value = parse_dotted_value(flag.value or "")
        if leaf.endswith("+"):  # vLLM splits a `key+` value on commas
            leaf, value = leaf[:-1], [parse_dotted_value(v) for v in (flag.value or "").split(",")]
        node = additions
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return additions
