"""``vllm serve --config file.yaml`` files: top-level keys are flags without their dashes (spec §9.3).

A YAML document counts as a vLLM config when its top level holds a key only vLLM uses
(``pooler-config``, ``runner``, ``tensor-parallel-size`` ...) or both ``model`` and ``task``, so
that a CI workflow's ``task:`` is never touched. Edits are made line by line on the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import yaml

from vllm_pooling_migrate.codemod.argv.pooler_keys import legacy_key_problems, top_level_key_spans
from vllm_pooling_migrate.codemod.rules import (
    pool013_task_flag,
    pool014_override_pooler_config,
    pool015_pooler_config_legacy_key,
    pool016_dotted_key_dash,
    pool017_convert_reward,
    pool018_pooler_config_mixed_forms,
    pool019_server_without_task,
)
from vllm_pooling_migrate.codemod.rules.pool018_pooler_config_mixed_forms import merged_json_text
from vllm_pooling_migrate.codemod.argv.scan import make_finding
from vllm_pooling_migrate.codemod.finding import Edit, Finding, Location
from vllm_pooling_migrate.codemod.formats.yaml_scalars import location, yaml_scalar
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.registry import BY_CODE, FixClass, is_deprecated_at

VLLM_ONLY_KEYS = frozenset(
    {
        "pooler-config",
        "override-pooler-config",
        "runner",
        "convert",
        "served-model-name",
        "tensor-parallel-size",
        "pipeline-parallel-size",
        "gpu-memory-utilization",
        "max-model-len",
        "max-num-seqs",
        "hf-overrides",
        "trust-remote-code",
    }
)


def _flag_name(key: str) -> tuple[str, str | None]:
    """``pooler_config.pooling-type`` -> (``pooler-config``, ``pooling-type``), as vLLM normalises it."""
    head, dot, sub = key.partition(".")
    return head.replace("_", "-"), sub if dot else None


def is_vllm_config(document: yaml.Node) -> bool:
    if not isinstance(document, yaml.MappingNode):
        return False
    names = {_flag_name(k.value)[0] for k, _ in document.value if isinstance(k, yaml.ScalarNode)}
    return bool(names & VLLM_ONLY_KEYS) or {"model", "task"} <= names


def find_in_vllm_configs(text: str, documents: Sequence[yaml.Node], path: str, options: Options) -> list[Finding]:
    findings: list[Finding] = []
    for document in documents:
        if is_vllm_config(document):
            findings.extend(_ConfigScan(text, document, path, options).findings())
    return findings


class _ConfigScan:
    def __init__(self, text: str, document: yaml.MappingNode, path: str, options: Options) -> None:
        self.text, self.path, self.options = text, path, options
        self.entries = [(k, v) for k, v in document.value if isinstance(k, yaml.ScalarNode)]
        self.names = {_flag_name(k.value) for k, _ in self.entries}

    def finding(self, code: str, message: str, key: yaml.Node, value: yaml.Node, **fix) -> Finding:
        rows = (key.start_mark.line + 1, value.end_mark.line + 1)
        start, end = location(key.start_mark), location(value.end_mark)
        return make_finding(code, message, self.path, self.options, start, end, rows, **fix)

    def deprecated(self, code: str) -> bool:
        return is_deprecated_at(BY_CODE[code], self.options.target_version)

    def has_dotted_pooler_keys(self) -> bool:
        mixed = any(name == "pooler-config" and sub for name, sub in self.names)
        return mixed and self.deprecated(pool018_pooler_config_mixed_forms.PoolerConfigMixedForms.CODE)

    def multi_task_without_task(self, overrides: yaml.Node) -> bool:
        """``hf-overrides`` loads a multi-task architecture (bge-m3) and no task is pinned (POOL019)."""
        if not self.deprecated(pool019_server_without_task.ServerWithoutTask.CODE):
            return False
        if isinstance(overrides, yaml.MappingNode):
            architectures = [
                item.value
                for k, v in overrides.value
                if k.value == "architectures" and isinstance(v, yaml.SequenceNode)
                for item in v.value
            ]
            multi_task = bool(pool019_server_without_task.MULTI_TASK_ARCHITECTURES & set(architectures))
        else:
            multi_task = _is_str(overrides) and pool019_server_without_task.multi_task(overrides.value)
        return multi_task and not self.task_pinned()

    def task_pinned(self) -> bool:
        for key, value in self.entries:
            name, sub = _flag_name(key.value)
            if name == "pooler-config" and sub == "task":
                return True
            if name == "pooler-config" and sub is None:
                if isinstance(value, yaml.MappingNode) and any(k.value == "task" for k, _ in value.value):
                    return True
                if _is_str(value) and "task" in (top_level_keys(value.value) or ()):
                    return True
        return False

    def findings(self) -> Iterator[Finding]:
        for key, value in self.entries:
            name, sub = _flag_name(key.value)
            if name == "task" and sub is None and self.deprecated(pool013_task_flag.TaskFlag.CODE):
                yield self.task_key(key, value)
            if name == "override-pooler-config" and self.deprecated(pool014_override_pooler_config.OverridePoolerConfigFlag.CODE):
                prefix = key.value[: len("override-")]
                edit = _edit_in_scalar(key, 0, len(prefix), "")
                message = pool014_override_pooler_config.OverridePoolerConfigFlag.MESSAGE
                yield self.finding(pool014_override_pooler_config.OverridePoolerConfigFlag.CODE, message, key, value, edits=[edit])
            if name in ("pooler-config", "override-pooler-config") and sub is None:
                yield from self.legacy_keys(key, value)
            if name == "pooler-config" and sub is not None and "-" in sub:
                new = f"{key.value.split('.', 1)[0]}.{sub.replace('-', '_')}"
                message = f"`{key.value}` is passed to PoolerConfig as the key `{sub}`, which does not exist"
                edit = Edit(yaml_scalar(new, _style(key)), location(key.start_mark), location(key.end_mark))
                fix = {"edits": [edit], "fix_message": f"Rename to `{new}`"}
                yield self.finding(pool016_dotted_key_dash.DottedKeyDash.CODE, message, key, value, **fix)
            if name == "convert" and _is_str(value, "reward") and self.deprecated(pool017_convert_reward.ConvertReward.CODE):
                edit = Edit(yaml_scalar("embed", _style(value)), location(value.start_mark), location(value.end_mark))
                message = pool017_convert_reward.ConvertReward.MESSAGE.replace("--convert ", "convert: ")
                yield self.finding(pool017_convert_reward.ConvertReward.CODE, message, key, value, edits=[edit])
            if name == "hf-overrides" and sub is None and self.multi_task_without_task(value):
                reason = "which tasks the clients need is not visible here: pick them, one server each"
                message = pool019_server_without_task.ServerWithoutTask.MESSAGE.replace("--pooler-config.task", "pooler-config.task:")
                yield self.finding(pool019_server_without_task.ServerWithoutTask.CODE, message, key, value, reason=reason)
            if name == "pooler-config" and sub is None and self.has_dotted_pooler_keys():
                yield self.mixed_forms(key, value)

    def mixed_forms(self, key: yaml.ScalarNode, value: yaml.Node) -> Finding:
        """POOL018: move the dotted ``pooler-config.<key>:`` entries into the ``pooler-config:`` value."""
        code = pool018_pooler_config_mixed_forms.PoolerConfigMixedForms.CODE
        message = "`pooler-config:` is dropped because dotted `pooler-config.<key>:` keys are also given"
        dotted = [
            (k, v) for k, v in self.entries if _flag_name(k.value)[0] == "pooler-config" and _flag_name(k.value)[1]
        ]
        edits = self.merge_edits(value, dotted)
        if edits is None:
            reason = "merge the dotted keys into the `pooler-config:` value by hand"
            return self.finding(code, message, key, value, reason=reason)
        fix = {
            "edits": edits,
            "fix_class": FixClass.UNSAFE,
            "fix_message": "Merge the dotted keys into `pooler-config:`",
        }
        return self.finding(code, message, key, value, **fix)

    def merge_edits(self, value: yaml.Node, dotted: list[tuple[yaml.Node, yaml.Node]]) -> list[Edit] | None:
        """Edits that merge one-line, non-nested dotted entries into a mapping or JSON string; else None."""
        additions: dict[str, yaml.ScalarNode] = {}
        for key, item in dotted:
            sub = _flag_name(key.value)[1].replace("-", "_")
            one_line = isinstance(item, yaml.ScalarNode) and key.start_mark.line == item.end_mark.line
            if "." in sub or sub.endswith("+") or not one_line:
                return None
            additions[sub] = item
        lines = self.text.splitlines(keepends=True)
        deletions = [_delete_line(self.text, lines, key.start_mark.line) for key, _ in dotted]
        raw = {name: self.text[node.start_mark.index : node.end_mark.index] for name, node in additions.items()}
        if isinstance(value, yaml.MappingNode):
            children = [(k, v) for k, v in value.value if isinstance(v, yaml.ScalarNode)]
            if len(children) != len(value.value) or not children or {k.value for k, _ in children} & additions.keys():
                return None
            if value.flow_style:  # {a: 1} -> {a: 1, b: 2}
                close = location(value.end_mark)
                close = Location(close.row, close.column - 1)
                return [Edit("".join(f", {n}: {r}" for n, r in raw.items()), close, close), *deletions]
            indent = " " * children[0][0].start_mark.column
            last_row = children[-1][1].end_mark.line
            end = Location(last_row + 1, len(lines[last_row].rstrip("\r\n")) + 1)
            return [Edit("".join(f"\n{indent}{n}: {r}" for n, r in raw.items()), end, end), *deletions]
        if _is_str(value) and _source_is_value(self.text, value):
            spans = top_level_key_spans(value.value)
            if spans is None:
                return None
            base = json.loads(value.value)
            merged = merged_json_text(value.value, base, {n: yaml.safe_load(r) for n, r in raw.items()})
            replacement = Edit(yaml_scalar(merged, _style(value)), location(value.start_mark), location(value.end_mark))
            return [replacement, *deletions]
        return None

    def task_key(self, key: yaml.ScalarNode, value: yaml.Node) -> Finding:
        task = value.value if isinstance(value, yaml.ScalarNode) else None
        convert = pool013_task_flag.CONVERT_FOR_TASK.get(task or "")
        code = pool013_task_flag.TaskFlag.CODE
        if convert is None:
            advice = pool013_task_flag.ADVICE.get(task or "", "`runner:`/`convert:` for the model at hand")
            message = f"`task: {task}` was removed in vLLM 0.13.0; use {advice}"
            return self.finding(code, message, key, value, reason="the replacement depends on the model")
        message = f"`task: {task}` was removed in vLLM 0.13.0; use `runner: pooling` and `convert: {convert}`"
        runners = {str(v.value) for k, v in self.entries if _flag_name(k.value) == ("runner", None)}
        converts = {str(v.value) for k, v in self.entries if _flag_name(k.value) == ("convert", None)}
        if runners - {"pooling"} or converts - {convert}:
            return self.finding(code, message, key, value, reason="`runner:`/`convert:` already say something else")
        indent = " " * key.start_mark.column
        wanted = ([] if runners else ["runner: pooling"]) + ([] if converts else [f"convert: {convert}"])
        if wanted:
            edit = Edit(f"\n{indent}".join(wanted), location(key.start_mark), location(value.end_mark))
        else:  # both already there: the line goes
            row = key.start_mark.line + 1
            lines = self.text.splitlines(keepends=True)
            end = Location(row + 1, 1) if row < len(lines) or self.text.endswith("\n") else location(value.end_mark)
            edit = Edit("", Location(row, 1), end)
        fix = {"edits": [edit], "fix_class": FixClass.UNSAFE, "fix_message": "Replace with `runner:`/`convert:`"}
        return self.finding(code, message, key, value, **fix)

    def legacy_keys(self, key: yaml.ScalarNode, value: yaml.Node) -> Iterator[Finding]:
        code = pool015_pooler_config_legacy_key.PoolerConfigLegacyKey.CODE
        if isinstance(value, yaml.MappingNode):
            key_nodes = {k.value: k for k, _ in value.value if isinstance(k, yaml.ScalarNode)}
            problems = legacy_key_problems(list(key_nodes), self.options.target_version)

            def rename(old: str, new: str) -> Edit:
                node = key_nodes[old]
                return Edit(yaml_scalar(new, _style(node)), location(node.start_mark), location(node.end_mark))

        elif _is_str(value):
            spans = top_level_key_spans(value.value)
            if spans is None:
                return
            problems = legacy_key_problems([k for k, _, _ in spans], self.options.target_version)
            in_place = _source_is_value(self.text, value)
            span_of = {k: (s, e) for k, s, e in spans}

            def rename(old: str, new: str) -> Edit | None:
                start, end = span_of[old]
                return _edit_in_scalar(value, start, end, json.dumps(new)) if in_place else None

        else:
            return
        for problem in problems:
            if not problem.fixable:
                message = f"`{problem.key}` is a legacy PoolerConfig key; use `{problem.replacement}`"
                yield self.finding(code, message, key, value, reason=problem.reason)
        renames = {p.key: p.replacement for p in problems if p.fixable}
        if renames:
            listing = ", ".join(f"`{old}` -> `{new}`" for old, new in renames.items())
            edits = [rename(old, new) for old, new in renames.items()]
            if None in edits:
                yield self.finding(code, f"Legacy PoolerConfig keys: {listing}", key, value, reason="escaped string")
            else:
                fix = {"edits": edits, "fix_message": f"Rename {listing}"}
                yield self.finding(code, f"Legacy PoolerConfig keys: {listing}", key, value, **fix)


def _style(node: yaml.ScalarNode) -> str:
    return node.style if node.style in ("'", '"') else ""


def _is_str(node: yaml.Node, value: str | None = None) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str") and (value is None or node.value == value)


def _source_is_value(text: str, node: yaml.ScalarNode) -> bool:
    """True when the scalar's characters (inside its quotes) are exactly its value: offsets carry over."""
    raw = text[node.start_mark.index : node.end_mark.index]
    inner = raw[1:-1] if _style(node) else raw
    return inner == node.value


def _edit_in_scalar(node: yaml.ScalarNode, start: int, end: int, content: str) -> Edit:
    """Replace characters ``start:end`` of a one-line scalar's value."""
    first = node.start_mark.column + 1 + (1 if _style(node) else 0)
    row = node.start_mark.line + 1
    return Edit(content, Location(row, first + start), Location(row, first + end))


def top_level_keys(text: str) -> list[str] | None:
    spans = top_level_key_spans(text)
    return None if spans is None else [key for key, _, _ in spans]


def _delete_line(text: str, lines: list[str], line: int) -> Edit:
    """Remove one whole line (0-based), with its line break; the file's last line takes the one before it."""
    if line + 1 < len(lines) or text.endswith("\n"):
        return Edit("", Location(line + 1, 1), Location(line + 2, 1))
    previous = lines[line - 1].rstrip("\r\n")
    return Edit("", Location(line, len(previous) + 1), Location(line + 1, len(lines[line]) + 1))
