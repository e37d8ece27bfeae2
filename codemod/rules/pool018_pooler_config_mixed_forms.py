"""POOL018: ``--pooler-config '{json}'`` together with dotted ``--pooler-config.<key>`` flags.

vLLM re-emits the dotted flags as one JSON-form argument at the end of the command line, so the
user's JSON argument is dropped as a whole, without a warning (spec §9.3). The fix merges both
into one JSON argument; it is unsafe because it changes what the server runs with.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.flags import Flag, parse_dotted_value
from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
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
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        json_flags = [f for f in scan.flags if f.is_("pooler-config")]
        dotted = [f for f in scan.flags if f.name == "pooler-config" and f.key is not None]
        if not json_flags or not dotted:
            return
        keys = ", ".join(f"`{f.key}`" for f in dotted)
        message = f"`--pooler-config '{{...}}'` is dropped because dotted flags ({keys}) are also given; merge them"
        target = json_flags[-1]
        base = _json_object(target.value)
        if len(json_flags) > 1 or base is None:
            yield scan.finding(self.CODE, message, target, reason="several or non-JSON `--pooler-config` values: merge by hand")
            return
        new_value = _merged_text(target.value, base, dotted)
        value_edit = scan.replace_value(target, new_value)
        yield scan.finding(
            self.CODE,
            message,
            target,
            fix_class=FixClass.UNSAFE,
            fix_message="Merge the dotted keys into the JSON argument",
            edits=[value_edit, *(scan.delete(f) for f in dotted)],
        )

def _json_object(text: str | None) -> dict | None:
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _dotted_additions(dotted: list[Flag]) -> dict:
    """The dict vLLM builds from the dotted flags (nested keys, ``key+`` comma lists), dashes fixed."""
    additions: dict = {}
    for flag in dotted:
        *parents, leaf = flag.key.replace("-", "_").split(".")
        value = parse_dotted_value(flag.value or "")
        if leaf.endswith("+"):  # vLLM splits a `key+` value on commas
            leaf, value = leaf[:-1], [parse_dotted_value(v) for v in str(flag.value or "").split(",")]
        node = additions
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return additions


def _merged_text(text: str, base: dict, dotted: list[Flag]) -> str:
    return merged_json_text(text, base, _dotted_additions(dotted))


def merged_json_text(text: str, base: dict, additions: dict) -> str:
    """The JSON object ``text`` (parsed: ``base``) with ``additions``; appended in place when no key clashes."""
    compact = '": ' not in text and '", ' not in text
    item_sep, key_sep = (",", ":") if compact else (", ", ": ")
    if base.keys() & additions.keys():
        merged = {**base, **additions}
        return json.dumps(merged, separators=(item_sep, key_sep), ensure_ascii=False)
    close = text.rstrip().rfind("}")
    items = item_sep.join(
        json.dumps(k, ensure_ascii=False) + key_sep + json.dumps(v, separators=(item_sep, key_sep), ensure_ascii=False)
        for k, v in additions.items()
    )
    lead = item_sep if base else ""
    return text[:close].rstrip() + lead + items + text[close:]
