"""``vllm serve --config file.yaml`` files: top-level keys are flags without their dashes (spec §9.3).

A YAML document counts as a vLLM config when its top level holds a key only vLLM uses (``pooler-config``,
``runner``, ``tensor-parallel-size`` ...) or both ``model`` and ``task``, so that a CI workflow's ``task:`` is
never touched. The document becomes the command line vLLM builds from it (``key: value`` -> ``--key value``,
``key: true`` -> ``--key``, a mapping -> its JSON, a list -> its items), whose tokens lie on the keys and values,
and the command-line rules read it like any other. Their changes are written by :class:`ConfigWriter` as YAML:
keys renamed, values replaced in their own style, entries replaced or deleted line by line, keys added to a
mapping, so comments, indentation and quoting elsewhere stay as they were.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from vllm_pooling_migrate.codemod.argv import ArgToken, Command, Unwritable, Writer
from vllm_pooling_migrate.codemod.argv.flags import Flag
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.argv.writer import Change
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Edit, Location
from vllm_pooling_migrate.codemod.formats.yaml_scalars import yaml_scalar

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


def _flag_name(key: str) -> str:
    """``pooler_config.pooling-type`` -> ``pooler-config``, as vLLM normalises it."""
    return key.partition(".")[0].replace("_", "-")


def is_vllm_config(document: yaml.Node) -> bool:
    if not isinstance(document, yaml.MappingNode):
        return False
    names = {_flag_name(k.value) for k, _ in document.value if isinstance(k, yaml.ScalarNode)}
    return bool(names & VLLM_ONLY_KEYS) or {"model", "task"} <= names


def config_commands(text: str, documents: Sequence[yaml.Node]) -> list[Command]:
    """The command line of each vLLM config document in ``text``."""
    index = LineIndex(text)
    return [_command(text, index, document) for document in documents if isinstance(document, yaml.MappingNode)
            and is_vllm_config(document)]


def _command(text: str, index: LineIndex, document: yaml.MappingNode) -> Command:
    tokens: list[ArgToken] = []
    entries: dict[int, _Entry] = {}  # index of a flag token -> its YAML entry
    for key, value in document.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        loaded = _load(value)
        if loaded is False:
            continue  # vLLM passes nothing for a false flag
        entry = _Entry(key, value, index.location(_end(text, value)))
        entries[len(tokens)] = entry
        tokens.append(ArgToken("--" + key.value, _start(key), _start_of_end(key), _style(key)))
        if isinstance(loaded, list):  # ``--key item item``
            tokens += [ArgToken(str(v), _start(n), index.location(_end(text, n)), _style(n)) for v, n in zip(loaded, value.value)]
        elif loaded is not True and loaded is not None:
            argument = json.dumps(loaded, default=str) if isinstance(loaded, dict) else str(loaded)
            tokens.append(ArgToken(argument, _start(value), entry.end, _style(value)))
    return Command(tokens, ConfigWriter(text, document, entries), start=0)


@dataclass(frozen=True)
class _Entry:
    key: yaml.ScalarNode
    value: yaml.Node
    end: Location  # where the value's text ends (before trailing comments and blank lines)


class ConfigWriter(Writer):
    """Writes the command-line rules' changes as edits of one vLLM config document."""

    def __init__(self, text: str, document: yaml.MappingNode, entries: dict[int, _Entry]) -> None:
        self.text, self.document, self.entries = text, document, entries
        self.lines = text.split("\n")  # rows as LineIndex counts them; a CRLF line keeps its "\r"
        self.newline = "\r\n" if self.lines[0].endswith("\r") else "\n"
        self.flow = bool(document.flow_style)

    def show(self, args: Sequence[str]) -> str:
        """``--runner pooling --convert embed`` -> ```runner: pooling` and `convert: embed```."""
        parts, i = [], 0
        while i < len(args):
            name, value = args[i].removeprefix("--"), None
            if "=" in name:
                name, _, value = name.partition("=")
            elif args[i].startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
                value, i = args[i + 1], i + 1
            parts.append(f"`{name}: {value}`" if value is not None else f"`{name}`")
            i += 1
        return " and ".join(parts)

    def rows(self, scan: ArgvScan, flag: Flag) -> tuple[int, int]:
        entry = self.entries[flag.index]
        return entry.key.start_mark.line + 1, entry.end.row

    def rename_flag(self, scan: ArgvScan, flag: Flag, name: str) -> Change:
        key = self.entries[flag.index].key
        return (Edit(yaml_scalar(name, _style(key), self.flow), _start(key), _start_of_end(key)),)

    def replace_value(self, scan: ArgvScan, flag: Flag, value: str) -> Change:
        entry = self.entries[flag.index]
        if not isinstance(entry.value, yaml.ScalarNode):
            return Unwritable(f"`{entry.key.value}:` holds a list or mapping: change it by hand")
        return (Edit(yaml_scalar(value, _style(entry.value), self.flow), _start(entry.value), entry.end),)

    def replace_flag(self, scan: ArgvScan, flag: Flag, pairs: Sequence[tuple[str, str]]) -> Change:
        """``task: embed`` -> ``runner: pooling`` and ``convert: embed`` on lines of their own, same indent."""
        if not pairs:
            return self.delete(scan, flag)
        entry = self.entries[flag.index]
        if self.flow:
            return Unwritable("the config is one flow mapping: change it by hand")
        indent = self.newline + " " * entry.key.start_mark.column
        text = indent.join(f"{yaml_scalar(name, '')}: {yaml_scalar(value, '')}" for name, value in pairs)
        return (Edit(text, _start(entry.key), entry.end),)

    def delete(self, scan: ArgvScan, flag: Flag) -> Change:
        """Remove the entry's lines (a comment on them goes too); the last line of a file without a final
        newline takes the line break before it."""
        entry = self.entries[flag.index]
        first, last = entry.key.start_mark.line, entry.end.row - 1  # 0-based rows
        if self.flow or self.lines[first][: entry.key.start_mark.column].strip():
            return Unwritable(f"`{entry.key.value}:` does not start its line: remove it by hand")
        if last + 1 < len(self.lines):  # a line break ends the entry's last line
            return (Edit("", Location(first + 1, 1), Location(last + 2, 1)),)
        end = Location(last + 1, len(self.lines[last]) + 1)
        if first == 0:
            return (Edit("", Location(1, 1), end),)
        return (Edit("", Location(first, len(self.lines[first - 1].rstrip("\r")) + 1), end),)

    def rename_keys(self, scan: ArgvScan, flag: Flag, renames: Mapping[str, str]) -> Change:
        value = self.entries[flag.index].value
        if not isinstance(value, yaml.MappingNode):
            return super().rename_keys(scan, flag, renames)  # a JSON string
        return tuple(
            Edit(yaml_scalar(renames[key.value], _style(key), value.flow_style), _start(key), _start_of_end(key))
            for key, _ in value.value
            if isinstance(key, yaml.ScalarNode) and key.value in renames
        )

    def add_keys(self, scan: ArgvScan, flag: Flag, additions: Mapping[str, Any]) -> Change:
        entry = self.entries[flag.index]
        mapping = entry.value
        if not isinstance(mapping, yaml.MappingNode):
            return super().add_keys(scan, flag, additions)  # a JSON string
        keys = {k.value for k, _ in mapping.value if isinstance(k, yaml.ScalarNode)}
        if len(keys) != len(mapping.value) or keys & additions.keys() or not (mapping.value or mapping.flow_style):
            return Unwritable(f"merge the keys into the `{entry.key.value}:` mapping by hand")
        items = [f"{yaml_scalar(k, '', flow=bool(mapping.flow_style))}: {_yaml_value(v, bool(mapping.flow_style))}"
                 for k, v in additions.items()]
        if mapping.flow_style:  # {a: 1} -> {a: 1, b: 2}
            close = Location(entry.end.row, entry.end.column - 1)
            return (Edit((", " if mapping.value else "") + ", ".join(items), close, close),)
        last_row = entry.end.row
        end = Location(last_row, len(self.lines[last_row - 1].rstrip("\r")) + 1)
        indent = self.newline + " " * mapping.value[0][0].start_mark.column
        return (Edit("".join(indent + item for item in items), end, end),)


def _load(node: yaml.Node) -> Any:
    """The value PyYAML gives for ``node``."""
    try:
        return SafeConstructor().construct_object(node, deep=True)
    except yaml.YAMLError:
        return None


def _yaml_value(value: Any, flow: bool) -> str:
    """A Python value as YAML: strings as plain or quoted scalars, anything else in JSON (which YAML reads)."""
    return yaml_scalar(value, "", flow) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _style(node: yaml.Node) -> str:
    style = node.style if isinstance(node, yaml.ScalarNode) else None
    return style if style in ("'", '"') else ""


def _start(node: yaml.Node) -> Location:
    return Location(node.start_mark.line + 1, node.start_mark.column + 1)


def _start_of_end(node: yaml.Node) -> Location:
    return Location(node.end_mark.line + 1, node.end_mark.column + 1)


def _end(text: str, node: yaml.Node) -> int:
    """Offset where a node's own text ends: a block collection ends with its last item, and trailing line
    breaks of a block scalar are not its text."""
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value and not node.flow_style:
        last = node.value[-1]
        return _end(text, last[1] if isinstance(last, tuple) else last)
    end = node.end_mark.index
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    return end
