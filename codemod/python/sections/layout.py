"""The top-level statements of a file, as the tokenizer scan found them, and what links them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


class NotSplittable(ValueError):
    """The text cannot be split with confidence (it does not tokenize, or uses bare CR line ends)."""


@dataclass
class Statement:
    """One top-level statement of the file, with the blank and comment lines above it."""

    index: int
    first: int  # first line of its text, 1-based
    last: int = 0  # last line of its text
    code_line: int = 0  # the line of its first token
    kind: str = "code"  # "docstring" | "import" | "code"
    first_block: bool = False  # an import of the file's first block of imports (see ``text.SENTINEL_TEXT``)
    binds: set[str] = field(default_factory=set)  # module-level names it may bind
    names: set[str] = field(default_factory=set)  # every name it mentions
    attr_writes: set[str] = field(default_factory=set)  # attributes it assigns (on any object)
    self_attrs: set[str] = field(default_factory=set)  # attributes it reads or writes on self / cls
    foreign_attrs: set[str] = field(default_factory=set)  # attributes it reads on anything else
    compound: bool = False
    decorator_only: bool = False


@dataclass
class Layout:
    """The top-level statements of a file and what links them."""

    lines: list[str]  # the file's lines, line ends kept
    statements: list[Statement]
    comments: list[tuple[int, str, bool]]  # (row, comment, alone on its line): for the file's noqa marker

    @cached_property
    def prefix(self) -> list[Statement]:
        """The docstring and the import statements: every section starts with them."""
        return [s for s in self.statements if s.kind != "code"]

    def text_of(self, statement: Statement) -> str:
        return "".join(self.lines[statement.first - 1 : statement.last])

    def size_of(self, statement: Statement) -> int:
        return sum(len(line) for line in self.lines[statement.first - 1 : statement.last])

    def module_names(self) -> frozenset[str]:
        """Every name some top-level statement may bind at module level (an over-approximation)."""
        names: set[str] = set()
        for statement in self.statements:
            names |= statement.binds
        return frozenset(names)
