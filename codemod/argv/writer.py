"""How a surface writes what a command-line rule asks for.

A rule asks its :class:`~vllm_pooling_migrate.codemod.argv.scan.ArgvScan` for changes in vLLM's terms (rename
this flag, give it this value, put these flags in its place, delete it, rename or add keys of its JSON object) and
for labels (``--task embed``); the scan hands each request to its surface's :class:`Writer`. The command-line
writer here serves every surface whose arguments are tokens of a command (shell words, Dockerfile exec form,
Kubernetes lists, Python argv lists); ``codemod.formats.yaml_vllm_config`` has the one for ``--config`` files.
A change a surface cannot write at that place is :class:`Unwritable`: the finding is then reported without fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vllm_pooling_migrate.codemod.argv.flags import Flag
from vllm_pooling_migrate.codemod.argv.json_object import top_level_key_spans, with_keys_added, with_keys_renamed
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer
from vllm_pooling_migrate.codemod.finding import Edit, Location

if TYPE_CHECKING:
    from vllm_pooling_migrate.codemod.argv.scan import ArgvScan


@dataclass(frozen=True)
class Unwritable:
    """A change this surface cannot write at this place; ``reason`` tells the user what to do instead."""

    reason: str


#: A key that needs no escaping in any string of any surface, so it can be renamed where it is written.
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: What every change request gives back: the edits that make it, or why there are none.
Change = tuple[Edit, ...] | Unwritable


class Writer:
    """The requests every surface answers; the JSON-object ones work on the flag's value as text."""

    def show(self, args: Sequence[str]) -> str:
        """``args`` (argv elements) as this surface spells them, in backticks: ``--task embed``."""
        raise NotImplementedError

    def rows(self, scan: ArgvScan, flag: Flag) -> tuple[int, int]:
        """The rows a ``# noqa`` comment for a finding on ``flag`` may sit on."""
        return scan.rows

    def rename_flag(self, scan: ArgvScan, flag: Flag, name: str) -> Change:
        raise NotImplementedError

    def replace_value(self, scan: ArgvScan, flag: Flag, value: str) -> Change:
        raise NotImplementedError

    def replace_flag(self, scan: ArgvScan, flag: Flag, pairs: Sequence[tuple[str, str]]) -> Change:
        raise NotImplementedError

    def delete(self, scan: ArgvScan, flag: Flag) -> Change:
        raise NotImplementedError

    def rename_keys(self, scan: ArgvScan, flag: Flag, renames: Mapping[str, str]) -> Change:
        new = with_keys_renamed(flag.value or "", renames)
        return self.replace_value(scan, flag, new) if new is not None else Unwritable("the value is not a JSON object")

    def add_keys(self, scan: ArgvScan, flag: Flag, additions: Mapping[str, Any]) -> Change:
        new = with_keys_added(flag.value or "", additions)
        return self.replace_value(scan, flag, new) if new is not None else Unwritable("the value is not a JSON object")


@dataclass(frozen=True)
class CommandLineWriter(Writer):
    """Edits on the tokens of one command, each written back in the style of the token it replaces."""

    render: Renderer

    def show(self, args: Sequence[str]) -> str:
        return "`" + " ".join(args) + "`"

    def replace(self, token: ArgToken, args: Sequence[str]) -> Edit:
        """Replace one token with one or more argv elements."""
        return Edit(self.render(args, token), token.start, token.end)

    def rename_flag(self, scan: ArgvScan, flag: Flag, name: str) -> Change:
        """Rewrite the flag's name only: the characters after an opening quote are the source's (names need no
        escaping), so ``--old=value`` keeps its value and quoting as written."""
        token = flag.token
        start = Location(token.start.row, token.start.column + (1 if token.quote else 0))
        old = f"--{flag.written_name}"
        return (Edit(f"--{name}", start, Location(start.row, start.column + len(old))),)

    def replace_value(self, scan: ArgvScan, flag: Flag, value: str) -> Change:
        """A new value, in whichever form (``--flag value`` or ``--flag=value``) the flag was written."""
        at = flag.value_at
        if at is not None and at[0].unwritable is not None:
            return Unwritable(at[0].unwritable)
        if at is not None and at[0].expands:
            return Unwritable("the value holds shell expansions, which a rewrite would not keep: edit it by hand")
        if flag.value_token is not None:
            return (self.replace(flag.value_token, [value]),)
        prefix = f"--{flag.written_name}="
        token = flag.token
        if token.raw is not None and token.raw.startswith(prefix):
            raw_value = token.raw[len(prefix) :]
            start = Location(token.start.row, token.start.column + len(prefix))
            quote = raw_value[:1] if raw_value[:1] in ("'", '"') else ""
            return (self.replace(ArgToken(flag.value, start, token.end, quote, token.segment, raw_value), [value]),)
        return (self.replace(token, [prefix + value]),)

    def rename_keys(self, scan: ArgvScan, flag: Flag, renames: Mapping[str, str]) -> Change:
        """Rename top-level keys where each is written, when the value's source says where (a value with shell
        expansions, a Python string in pieces); else rewrite the value."""
        at = flag.value_at
        if at is not None and at[0].unwritable is not None:
            return Unwritable(at[0].unwritable)
        if at is None or at[0].source is None:
            return super().rename_keys(scan, flag, renames)
        token, offset = at
        assert token.source is not None
        spans = top_level_key_spans(flag.json_text or "")
        if spans is None:
            return Unwritable("the value is not a JSON object")
        edits = []
        for key, start, end in spans:
            if key not in renames:
                continue
            where = token.source.span(offset + start + 1, offset + end - 1)  # the key's characters, not its quotes
            if where is None or not _PLAIN_KEY.fullmatch(key) or not _PLAIN_KEY.fullmatch(renames[key]):
                return Unwritable(f"`{key}` is not written plainly in the source: rename it by hand")
            edits.append(Edit(renames[key], *where))
        return tuple(edits)

    def replace_flag(self, scan: ArgvScan, flag: Flag, pairs: Sequence[tuple[str, str]]) -> Change:
        """The flag and its value become ``--name value`` pairs, in the flag's form; a value token that stays
        the same is left as written."""
        if not pairs:
            return self.delete(scan, flag)
        if flag.value_token is None:
            return (self.replace(flag.token, [f"--{name}={value}" for name, value in pairs]),)
        args = [arg for name, value in pairs for arg in (f"--{name}", value)]
        edits = [self.replace(flag.token, args[:-1])]
        if args[-1] != flag.value:
            edits.append(self.replace(flag.value_token, args[-1:]))
        return tuple(edits)

    def delete(self, scan: ArgvScan, flag: Flag) -> Change:
        """Remove a flag and its value together with the separator that precedes them (never across segments)."""
        tokens = scan.tokens
        first, last = flag.index, flag.index + (1 if flag.value_token is not None else 0)
        if first > 0 and tokens[first - 1].segment == tokens[first].segment:
            return (Edit("", tokens[first - 1].end, tokens[last].end),)
        if last + 1 < len(tokens) and tokens[last + 1].segment == tokens[last].segment:
            return (Edit("", tokens[first].start, tokens[last + 1].start),)
        return (Edit("", tokens[first].start, tokens[last].end),)
