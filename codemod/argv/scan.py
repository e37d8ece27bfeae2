"""One vLLM invocation as a command-line rule sees it: its flags, labels in the surface's spelling, and changes.

Rules read ``scan.flags`` and ask the scan for changes in vLLM's terms; the scan's :class:`Writer` turns them into
edits of whatever surface the invocation is written in. Rules never build surface text themselves, so one rule
serves shell scripts, Dockerfiles, Kubernetes YAML, ``--config`` files and argv lists inside Python alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vllm_pooling_migrate.codemod.argv.client_tasks import ClientTasks
from vllm_pooling_migrate.codemod.argv.flags import Flag, parse_flags
from vllm_pooling_migrate.codemod.argv.invocation import is_vllm_image
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken
from vllm_pooling_migrate.codemod.argv.writer import Change, Unwritable, Writer
from vllm_pooling_migrate.codemod.finding import Edit, Finding, Fix
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.registry import BY_CODE, FixClass, Version, format_version, parse_version

_RELEASE = re.compile(r"v?(\d+(?:\.\d+){1,3})(?![\w.])")


@dataclass(frozen=True)
class Pin:
    """The vLLM release a file or a command is pinned to: ``vllm/vllm-openai:v0.9.2``, ``pip install vllm==0.9.2``.

    Code pinned to a release runs on it, not on the target: a fix is applied only when its new spelling exists
    there; otherwise the finding says which release it needs.
    """

    version: Version
    source: str  # how the file says it, for messages: "this image is 0.9.2"


def release_of(text: str) -> Version | None:
    """``v0.9.2``, ``0.10.1.1``, ``v0.9.2-cu118`` -> the version; ``latest``, a digest -> None."""
    match = _RELEASE.match(text)
    return parse_version(match.group(1)) if match else None


def image_pin(image: str | None) -> Pin | None:
    """The pin of a ``vllm/vllm-openai:<tag>`` image reference (None without a release tag)."""
    if not is_vllm_image(image) or image is None or ":" not in image.rsplit("/", 1)[-1]:
        return None
    version = release_of(image.rsplit(":", 1)[1])
    return Pin(version, f"this image is {format_version(version)}") if version else None


@dataclass
class ArgvScan:
    tokens: Sequence[ArgToken]
    start: int  # index of the first argument vLLM parses
    path: str
    options: Options
    writer: Writer
    rows: tuple[int, int]  # the rows of the whole command (a ``# noqa`` on any of them applies)
    pin: Pin | None = None  # the release the file pins; an image named in the command itself wins
    clients: ClientTasks | None = None  # the tasks the file's own clients request of this server (Python files)
    flags: list[Flag] = field(init=False)

    def __post_init__(self) -> None:
        self.flags = parse_flags(self.tokens, self.start)
        for token in self.tokens[: self.start]:
            pinned = image_pin(token.value)
            if pinned is not None:
                self.pin = pinned

    def has_flag(self, *names: str) -> bool:
        return any(f.name in names and f.key is None for f in self.flags)

    def show(self, *args: str) -> str:
        """Argv elements as this surface writes them, in backticks: ``--task embed`` or ``task: embed``."""
        return self.writer.show(args)

    # Changes: each returns the edits that make it, or Unwritable when the surface cannot write it here.

    def rename_flag(self, flag: Flag, name: str) -> Change:
        """Give the flag a new name (without ``--``; a dotted key included), keeping its value."""
        return self.writer.rename_flag(self, flag, name)

    def replace_value(self, flag: Flag, value: str) -> Change:
        return self.writer.replace_value(self, flag, value)

    def replace_flag(self, flag: Flag, pairs: Sequence[tuple[str, str]]) -> Change:
        """Put ``--name value`` pairs in place of the flag and its value (none: delete it)."""
        return self.writer.replace_flag(self, flag, pairs)

    def delete(self, flag: Flag) -> Change:
        return self.writer.delete(self, flag)

    def rename_keys(self, flag: Flag, renames: Mapping[str, str]) -> Change:
        """Rename top-level keys of the flag's JSON-object value."""
        return self.writer.rename_keys(self, flag, renames)

    def add_keys(self, flag: Flag, additions: Mapping[str, Any]) -> Change:
        """Add (or overwrite) top-level keys of the flag's JSON-object value."""
        return self.writer.add_keys(self, flag, additions)

    def finding(
        self,
        code: str,
        message: str,
        flag: Flag,
        *,
        fix_class: FixClass = FixClass.SAFE,
        fix_message: str = "",
        changes: Sequence[Change] = (),
        reason: str | None = None,
        spelling: str = "",
        needs: Version | None = None,
    ) -> Finding:
        """A finding spanning ``flag`` and its value; without ``changes`` it is report-only, with ``reason``.

        When the surface cannot write one of the changes, the finding is report-only with the writer's reason.
        An unsafe fix is attached like a safe one; whoever applies fixes applies it only with ``--unsafe-fixes``.
        In a file pinned to a release older than the one the fix needs (``needs``, by default the registry entry's
        ``fix_min_target``), the fix is dropped and the message says which release ``spelling`` needs.
        """
        needs = needs if needs is not None else BY_CODE[code].fix_min_target if code in BY_CODE else None
        if changes and self.pin is not None and needs is not None and self.pin.version < needs:
            note = f"{spelling or 'the fix'} needs vLLM >= {format_version(needs)}; {self.pin.source}"
            message, changes, reason = f"{message} ({note})", (), note
        edits: list[Edit] = []
        for change in changes:
            if isinstance(change, Unwritable):
                edits, reason = [], change.reason
                break
            edits.extend(change)
        last = flag.last_token
        # A value resolved from a shell variable lies where the variable is assigned, before the flag.
        end = last.end if (last.start.row, last.start.column) >= (flag.token.start.row, flag.token.start.column) \
            else flag.token.end
        return Finding(
            code=code,
            message=message,
            path=self.path,
            location=flag.token.start,
            end_location=end,
            fix=Fix(fix_class, fix_message, tuple(edits)) if edits else None,
            unfixable_reason=reason,
            statement_rows=self.writer.rows(self, flag),
        )
