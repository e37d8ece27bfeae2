"""YAML scalars as argv tokens, and rendering replacement values back in a scalar's style.

pyyaml is used only to locate nodes (their marks give offsets); every change is a text edit, so
comments, indentation and quoting elsewhere stay as they were.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import yaml

from vllm_pooling_migrate.codemod.argv.shell_lexer import shell_tokens
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Location
from vllm_pooling_migrate.codemod.formats.masking import keep_only

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./=+@%-][A-Za-z0-9_./=+@%:,-]*")
_BLOCK_ITEM_PREFIX = re.compile(r"[ \t]*-[ \t]+")


def location(mark: yaml.Mark) -> Location:
    return Location(mark.line + 1, mark.column + 1)


def yaml_scalar(value: str, style: str, flow: bool = False) -> str:
    """``value`` as a YAML scalar, in the given style (``'``, ``"`` or ``""`` for plain) when it fits.

    ``flow``: the scalar sits inside ``[...]`` or ``{...}``, where a comma ends a plain scalar.
    """
    if style == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    plain = style == "" and _PLAIN_SAFE.fullmatch(value) is not None and yaml.safe_load(value) == value
    if plain and not (flow and "," in value):
        return value
    return "'" + value.replace("'", "''") + "'"


def scalar_token(node: yaml.ScalarNode, segment: int = 0) -> ArgToken:
    style = node.style if node.style in ("'", '"') else ""
    return ArgToken(node.value, location(node.start_mark), location(node.end_mark), style, segment)


def sequence_renderer(text: str) -> Renderer:
    """Render replacement list items: one per line in a block list, comma-separated in a flow list."""
    lines = text.splitlines()

    def render(args: Sequence[str], like: ArgToken) -> str:
        prefix = lines[like.start.row - 1][: like.start.column - 1]
        block = _BLOCK_ITEM_PREFIX.fullmatch(prefix) is not None
        return ("\n" + prefix if block else ", ").join(yaml_scalar(arg, like.quote, flow=not block) for arg in args)

    return render


@dataclass(frozen=True)
class ShellRegion:
    """A scalar's content laid out for the shell lexer: ``masked`` is the file with only
    ``masked[start:end]`` left, with offsets unchanged."""

    masked: str
    start: int
    end: int
    style: str  # the scalar's quote ("'", '"') or "" (plain and block scalars need no escaping)


def shell_region(text: str, node: yaml.ScalarNode) -> ShellRegion | None:
    """Where a string scalar's shell words lie in the file; None when they cannot be located.

    A plain or quoted scalar whose source text is its value (no escapes), and ``|``/``>`` block
    scalars (indentation is shell whitespace; a folded scalar's line breaks are spaces), can be
    tokenised in place. Others (escapes inside quotes) are skipped rather than guessed at.
    """
    start, end = node.start_mark.index, node.end_mark.index
    raw = text[start:end]
    if node.style in ("'", '"'):
        if raw[1:-1] != node.value:
            return None
        start, end = start + 1, end - 1
    elif node.style in ("|", ">"):
        start = text.index("\n", start) + 1 if "\n" in raw else end
    elif "\n" not in raw and raw != node.value:
        return None
    masked = keep_only(text, [(start, end)])
    if node.style != "|":  # folded and multi-line plain scalars read their line breaks as spaces
        masked = masked[:start] + masked[start:end].replace("\n", " ") + masked[end:]
    return ShellRegion(masked, start, end, node.style if node.style in ("'", '"') else "")


def string_command_tokens(region: ShellRegion, index: LineIndex, segment: int) -> list[ArgToken]:
    """The words of a string ``command:`` scalar, located in the file, as one argv (compose splits it so)."""
    commands = shell_tokens(region.masked, index, region.start, region.end)
    return [replace(t, segment=segment) for c in commands for t in c]
