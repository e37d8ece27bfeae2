"""One pass of the tokenizer over a file: its top-level statements, what each binds and what it mentions."""

from __future__ import annotations

import io
import re
import tokenize

from vllm_pooling_migrate.codemod.python.sections.layout import Layout, NotSplittable, Statement
from vllm_pooling_migrate.codemod.python.sections.tokens import (
    COMPOUND_KEYWORDS,
    CONTINUATION_KEYWORDS,
    assignment_targets,
    at_depth_zero,
    attribute_names,
    is_compound_header,
    is_f_string,
    is_method_call_on_name,
    plain_names,
    split_at,
    split_header,
    string_identifier,
    target_names,
    walrus_targets,
)

_SELF_NAMES = frozenset({"self", "cls"})
_IDENTIFIER = re.compile(r"(\.?)\b([A-Za-z_]\w*)")


def scan(source: str) -> Layout:
    """Split ``source`` into its top-level statements and collect what links them; NotSplittable if unsure."""
    if "\r" in source.replace("\r\n", ""):
        raise NotSplittable("bare CR line ends")
    lines = source.splitlines(keepends=True)
    scanner = _Scanner(len(lines))
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            scanner.feed(token)
    except (tokenize.TokenError, SyntaxError, IndentationError) as error:
        raise NotSplittable(str(error)) from None
    scanner.close()
    return Layout(lines, scanner.statements, scanner.comments)


class _Scanner:
    """Consumes tokens; closes a top-level statement when the next one starts."""

    def __init__(self, line_count: int) -> None:
        self.line_count = line_count
        self.statements: list[Statement] = []
        self.comments: list[tuple[int, str, bool]] = []
        self.current: Statement | None = None
        self.blocks: list[bool] = []  # per open indented block: True when it is a function or class body
        self.logical: list[tokenize.TokenInfo] = []
        self.last_end = 0  # the last line of the previous statement
        self.next_block_is_function = False
        self.seen_import = False
        self.first_block_closed = False

    @property
    def in_function(self) -> bool:
        return bool(self.blocks) and self.blocks[-1]

    def feed(self, token: tokenize.TokenInfo) -> None:
        kind = token.type
        if kind == tokenize.COMMENT:
            alone = not token.line[: token.start[1]].strip()
            self.comments.append((token.start[0], token.string, alone))
            return
        if kind in (tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
            return
        if kind == tokenize.INDENT:
            self.blocks.append(self.next_block_is_function or self.in_function)
            self.next_block_is_function = False
            return
        if kind == tokenize.DEDENT:
            self.blocks.pop()
            return
        if kind == tokenize.NEWLINE:
            self._logical_line(token.start[0])
            return
        if not self.logical and not self.blocks:
            self._maybe_start(token)
        self.logical.append(token)

    def close(self) -> None:
        if self.logical:
            self._logical_line(self.logical[-1].end[0])
        if self.current is not None:
            self.current.last = self.line_count
            self.statements.append(self.current)
        elif self.statements:
            self.statements[-1].last = self.line_count

    def _maybe_start(self, token: tokenize.TokenInfo) -> None:
        current = self.current
        if current is not None and (
            (token.type == tokenize.NAME and token.string in CONTINUATION_KEYWORDS) or current.decorator_only
        ):
            return
        if current is not None:
            current.last = self.last_end
            self.statements.append(current)
        self.current = Statement(len(self.statements), self.last_end + 1, code_line=token.start[0])

    # --- one logical line -----------------------------------------------------------------------------------

    def _logical_line(self, end_row: int) -> None:
        tokens, self.logical = self.logical, []
        statement = self.current
        if not tokens or statement is None:
            return
        self.last_end = end_row
        top = not self.blocks
        depth = 0
        for i, token in enumerate(tokens):
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth -= 1
            elif token.type == tokenize.NAME and depth and i + 1 < len(tokens) and tokens[i + 1].string == "=":
                if token.string == "name" and i + 2 < len(tokens) and string_identifier(tokens[i + 2]):
                    statement.binds.add(string_identifier(tokens[i + 2]))  # ``@pytest.fixture(name="llm")``
                continue  # a keyword argument's name
            elif i > 1 and tokens[i - 2].string == "getfixturevalue" and string_identifier(token):
                statement.names.add(string_identifier(token))  # ``request.getfixturevalue("llm")`` reads the fixture
            if token.type == tokenize.NAME:
                after_dot = i > 0 and tokens[i - 1].string == "." and tokens[i - 1].type == tokenize.OP
                if after_dot:
                    receiver = tokens[i - 2] if i > 1 else None
                    on_self = (
                        receiver is not None and receiver.type == tokenize.NAME and receiver.string in _SELF_NAMES
                        and not (i > 2 and tokens[i - 3].string == ".")
                    )
                    (statement.self_attrs if on_self else statement.foreign_attrs).add(token.string)
                else:
                    statement.names.add(token.string)
            elif token.type == tokenize.STRING and is_f_string(token.string):
                for dot, name in _IDENTIFIER.findall(token.string):
                    (statement.foreign_attrs if dot else statement.names).add(name)
        if top and statement.code_line == tokens[0].start[0]:
            self._classify(statement, tokens)
        elif top and statement.decorator_only:
            statement.decorator_only = tokens[0].string == "@"
            if not statement.decorator_only:
                statement.compound = True
                self._close_first_block()
        self._bindings(statement, tokens, module_scope=not self.in_function)

    def _classify(self, statement: Statement, tokens: list[tokenize.TokenInfo]) -> None:
        first = tokens[0]
        if first.string == "@":
            statement.decorator_only = True
            statement.compound = True
            return
        if first.type == tokenize.NAME and first.string in COMPOUND_KEYWORDS and is_compound_header(tokens):
            statement.compound = True
            self._close_first_block()
            return
        if all(t.type == tokenize.STRING for t in tokens) and not self.statements and not statement.names:
            statement.kind = "docstring"
            return
        smalls = split_at(tokens, ";")
        if smalls and all(s and s[0].type == tokenize.NAME and s[0].string in ("import", "from") for s in smalls):
            statement.kind = "import"
            statement.first_block = not self.first_block_closed
            self.seen_import = True

    def _close_first_block(self) -> None:
        if self.seen_import:
            self.first_block_closed = True

    def _bindings(self, statement: Statement, tokens: list[tokenize.TokenInfo], module_scope: bool) -> None:
        """Record what this logical line binds at module level and which attributes it assigns."""
        header, rest = split_header(tokens)
        if header is not None:
            keyword_ = header[0].string if header[0].string != "async" else (header[1].string if len(header) > 1 else "")
            if keyword_ in ("def", "class"):
                name = next((t for t in header[1:] if t.type == tokenize.NAME and t.string not in ("def", "class")), None)
                if module_scope and name is not None:
                    statement.binds.add(name.string)
                if not rest:
                    self.next_block_is_function = True
            elif module_scope:
                self._header_bindings(statement, keyword_, header)
            for small in split_at(rest, ";"):
                self._small_bindings(statement, small, module_scope and keyword_ not in ("def", "class"))
            return
        for small in split_at(tokens, ";"):
            self._small_bindings(statement, small, module_scope)

    def _header_bindings(self, statement: Statement, keyword_: str, header: list[tokenize.TokenInfo]) -> None:
        names = plain_names
        if keyword_ == "for":
            end = next((i for i, t in at_depth_zero(header) if t.string == "in"), len(header))
            statement.binds |= names(header[1:end])
        elif keyword_ in ("with", "except"):
            for i, token in at_depth_zero(header):
                if token.string == "as":
                    statement.binds |= names(header[i + 1 : i + 2])
        elif keyword_ in ("match", "case"):
            statement.binds |= names(header[1:])
        statement.binds |= walrus_targets(header)

    def _small_bindings(self, statement: Statement, small: list[tokenize.TokenInfo], module_scope: bool) -> None:
        if not small:
            return
        first = small[0].string
        if first in ("import", "from"):
            if module_scope:
                at = next((i for i, t in enumerate(small) if t.string == "import"), 0)
                statement.binds |= {t.string for t in small[at + 1 :] if t.type == tokenize.NAME and t.string != "as"}
            return
        if first in ("global", "nonlocal", "del"):
            if first == "global" or module_scope:
                statement.binds |= plain_names(small[1:])
            return
        if module_scope:
            statement.binds |= walrus_targets(small)
        targets = assignment_targets(small)
        for target in targets:
            if module_scope:
                statement.binds |= target_names(target)
            statement.attr_writes |= attribute_names(target)
        if module_scope and not targets and is_method_call_on_name(small):
            # ``parser.set_defaults(...)``, ``cfg.update(...)``: the statement changes the object a name holds.
            statement.binds.add(small[0].string)
