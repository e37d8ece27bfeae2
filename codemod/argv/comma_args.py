"""Arguments a deploy tool hands to a container as one comma-separated list.

Google Cloud Run's ``gcloud run deploy ... --command=python3 --args="-m,vllm.entrypoints.openai.api_server,
--model=M,--task=embed"`` (also ``gcloud beta run`` and ``services replace`` spellings) starts vLLM with the list
split at commas. The pieces are read as the container's argv, so the command-line rules see ``--task=embed``;
their findings point at the ``--args`` word and are reported without a fix (a rewrite would have to keep the
list's commas, which the shell writers do not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vllm_pooling_migrate.codemod.argv.flags import Flag
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken
from vllm_pooling_migrate.codemod.argv.writer import Change, Unwritable, Writer

_OPTIONS = ("--command", "--args")
_UNWRITABLE = Unwritable("the flag is inside a comma-separated `--args` list: edit it by hand")


def comma_argv(tokens: Sequence[ArgToken]) -> list[ArgToken] | None:
    """The container argv of a ``gcloud ... --command=X --args=a,b,c`` command, or None when it has no ``--args``."""
    values = [t.value for t in tokens]
    if not values or (values[0] or "").rsplit("/", 1)[-1] != "gcloud":
        return None
    found: dict[str, tuple[ArgToken, str]] = {}
    for i, token in enumerate(tokens):
        value = token.value or ""
        for option in _OPTIONS:
            if value.startswith(option + "="):
                found[option] = (token, value[len(option) + 1:])
            elif value == option and i + 1 < len(tokens) and tokens[i + 1].value is not None:
                found[option] = (tokens[i + 1], tokens[i + 1].value or "")
    if "--args" not in found:
        return None
    argv: list[ArgToken] = []
    for option in _OPTIONS:
        if option in found:
            token, text = found[option]
            argv.extend(ArgToken(piece, token.start, token.end) for piece in text.split(",") if piece)
    return argv


@dataclass(frozen=True)
class CommaListWriter(Writer):
    """Shows flags as a comma list does; writes nothing (see the module's docstring)."""

    def show(self, args: Sequence[str]) -> str:
        pieces: list[str] = []
        i = 0
        while i < len(args):  # a flag and its value are one piece: ``--task=embed``
            joined = args[i].startswith("-") and i + 1 < len(args) and not args[i + 1].startswith("-")
            pieces.append(f"{args[i]}={args[i + 1]}" if joined else args[i])
            i += 2 if joined else 1
        return "`" + ",".join(pieces) + "`"

    def rename_flag(self, scan: ArgvScan, flag: Flag, name: str) -> Change:
        return _UNWRITABLE

    def replace_value(self, scan: ArgvScan, flag: Flag, value: str) -> Change:
        return _UNWRITABLE

    def replace_flag(self, scan: ArgvScan, flag: Flag, pairs: Sequence[tuple[str, str]]) -> Change:
        return _UNWRITABLE

    def delete(self, scan: ArgvScan, flag: Flag) -> Change:
        return _UNWRITABLE
