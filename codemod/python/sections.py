"""Large Python files, analysed a section at a time: the statements that can affect each other, with the imports.

libcst needs about 600 bytes of memory per byte of source and its analyses grow with the size of the module, so a
generated 5 MB file would need gigabytes. Its top-level statements rarely all depend on each other, though: what
one statement can tell the analysis about another goes through a module-level name (a global bound once, a
factory function, a class, a dict filled in one place and splatted in another) or through an attribute that a class
sets on ``self`` and some other code reads on another object. This module finds those links with one pass of the
tokenizer (constant memory), groups the statements that are linked, and packs the groups into sections of bounded
size. Every section is analysed as a module of its own that starts with every top-level import of the file, so
names resolve as in the whole file.

A section's text is built of whole lines of the file, each statement preceded by a marker comment line, so the
fixed text splits back into statements and a position in it maps back to the file line by line (columns never
change). See ``codemod.engine`` for how sections are checked, fixed and put together.
"""

from __future__ import annotations

import io
import keyword
from bisect import bisect_right
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

#: The marker comment written before each statement of a section (the engine never chunks a file holding it).
MARKER = "# migrate-pooling: section "
MARKER_LINE = re.compile(r"^# migrate-pooling: section (-?\d+)\r?\n", re.MULTILINE)
#: A compound statement placed after the file's first block of imports: ``add_imports`` extends and appends to
#: that block only, as it does in the whole file, and never to the later imports that follow it in a section.
SENTINEL_TEXT = "if True:\n    pass\n"
SENTINEL = -1
#: The key of text a fix put before a section's first marker.
HEAD = -2

_COMPOUND = frozenset({"def", "class", "if", "for", "while", "try", "with", "async", "match"})
_CONTINUATION = frozenset({"else", "elif", "except", "finally"})
_AUGMENTED = frozenset({"+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "^=", "|=", "@="})
_SELF_NAMES = frozenset({"self", "cls"})
_IDENTIFIER = re.compile(r"(\.?)\b([A-Za-z_]\w*)")


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
    first_block: bool = False  # an import of the file's first block of imports (see SENTINEL_TEXT)
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


def plan_sections(layout: Layout, max_bytes: int) -> list[list[Statement]]:
    """The file's code statements grouped so that linked statements share a section; sections in file order.

    Statements are linked when one mentions a module-level name the other binds, when both bind it, and when one
    assigns an attribute that the other reads on an object other than ``self`` (or on a ``self`` whose class
    never assigns it). Groups are packed into sections of about ``max_bytes``; a larger group is one section.
    """
    code = [s for s in layout.statements if s.kind == "code"]
    parent = {s.index: s.index for s in code}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    binders: dict[str, int] = {}
    for statement in code:
        for name in statement.binds:
            if name in binders:
                union(statement.index, binders[name])
            else:
                binders[name] = statement.index
    # An attribute assigned in one class and read elsewhere on another object (or on the self of a class that
    # never assigns it) makes the tracker give up on that class's engine: the reader and every class assigning the
    # attribute go together. Attributes only ever used on their own class's self link nothing.
    foreign: dict[str, int] = {}
    for statement in code:
        for attr in statement.foreign_attrs | (statement.self_attrs - statement.attr_writes):
            foreign.setdefault(attr, statement.index)
    for statement in code:
        for attr in statement.attr_writes:
            if attr in foreign:
                union(statement.index, foreign[attr])
    for statement in code:
        for name in statement.names:
            if name in binders:
                union(statement.index, binders[name])

    groups: dict[int, list[Statement]] = {}
    for statement in code:
        groups.setdefault(find(statement.index), []).append(statement)
    sections: list[list[Statement]] = []
    current: list[Statement] = []
    size = 0
    for group in sorted(groups.values(), key=lambda g: g[0].index):
        group_size = sum(layout.size_of(s) for s in group)
        if current and size + group_size > max_bytes:
            sections.append(sorted(current, key=lambda s: s.index))
            current, size = [], 0
        current.extend(group)
        size += group_size
    if current:
        sections.append(sorted(current, key=lambda s: s.index))
    return sections


@dataclass
class SectionText:
    """The text of one section and where each of its lines comes from."""

    text: str
    file_line: list[int]  # file_line[row] for each row of ``text`` (1-based, one past the end included)
    ids: list[int]  # the statement indexes (SENTINEL for the sentinel) in the order of their markers
    body_start: int  # the first row of the section's own statements (after the imports); 0 when it has none


def section_text(layout: Layout, statements: list[Statement], newline: str = "\n") -> SectionText:
    """The imports of the file (its first block, the sentinel, the later ones), then ``statements``, each after
    its marker line."""
    prefix = layout.prefix
    parts: list[str] = []
    rows: list[int | None] = [0]
    ids: list[int] = []
    body_start = 0

    def add(ident: int, text: str, first: int | None) -> None:
        ids.append(ident)
        parts.append(f"{MARKER}{ident}{newline}")
        rows.append(None)
        if not text.endswith("\n"):
            text += newline
        parts.append(text)
        count = text.count("\n")
        rows.extend([None] * count if first is None else range(first, first + count))

    for statement in prefix:
        if statement.kind == "docstring" or statement.first_block:
            add(statement.index, layout.text_of(statement), statement.first)
    add(SENTINEL, SENTINEL_TEXT.replace("\n", newline), None)
    for statement in prefix:
        if statement.kind == "import" and not statement.first_block:
            add(statement.index, layout.text_of(statement), statement.first)
    for statement in statements:
        if not body_start:
            body_start = len(rows)
        add(statement.index, layout.text_of(statement), statement.first)
    rows.append(None)
    # A marker (or a sentinel line) maps to the line after the text above it: an insertion there in the section
    # is an insertion after that text in the file, and a span ending there ends with that text.
    file_line = [0]
    for row in rows[1:]:
        file_line.append(row if row is not None else file_line[-1] + 1)
    return SectionText("".join(parts), file_line, ids, body_start)


def split_fixed(text: str, ids: list[int]) -> dict[int, str] | None:
    """The fixed text of each statement of a section, by index; None when the markers did not survive the fix.

    Text that a fix put before the first marker is returned under the key ``HEAD``.
    """
    pieces = MARKER_LINE.split(text)
    found = [int(n) for n in pieces[1::2]]
    if found != ids:
        return None
    result = dict(zip(found, pieces[2::2]))
    if pieces[0]:
        result[HEAD] = pieces[0]
    return result


def assemble(layout: Layout, fixed: dict[int, str]) -> tuple[str, dict[int, int]]:
    """The file with the fixed text of some statements in place of theirs, and the line each statement's text
    starts on in it."""
    parts = []
    first_lines: dict[int, int] = {}
    line = 1
    for statement in layout.statements:
        first_lines[statement.index] = line
        text = fixed.get(statement.index)
        if text is None:
            text = layout.text_of(statement)
        else:
            original = layout.text_of(statement)
            if not original.endswith("\n") and text.endswith("\n"):
                text = text[:-2] if text.endswith("\r\n") and not original.endswith("\r") else text[:-1]
        parts.append(text)
        line += text.count("\n")
    if not layout.statements:
        return "".join(layout.lines), first_lines
    return "".join(parts), first_lines


def locator(text: str) -> Callable[[int], tuple[int, int] | None]:
    """For a section's text: row -> (the statement it lies in, rows into that statement's text); None above the
    first marker."""
    starts: list[int] = []
    ids: list[int] = []
    line, position = 1, 0
    for match in MARKER_LINE.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        starts.append(line + 1)
        ids.append(int(match.group(1)))

    def locate(row: int) -> tuple[int, int] | None:
        at = bisect_right(starts, row) - 1
        return None if at < 0 else (ids[at], row - starts[at])

    return locate


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
            (token.type == tokenize.NAME and token.string in _CONTINUATION) or current.decorator_only
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
                if token.string == "name" and i + 2 < len(tokens) and _identifier(tokens[i + 2]):
                    statement.binds.add(_identifier(tokens[i + 2]))  # ``@pytest.fixture(name="llm")``
                continue  # a keyword argument's name
            elif i > 1 and tokens[i - 2].string == "getfixturevalue" and _identifier(token):
                statement.names.add(_identifier(token))  # ``request.getfixturevalue("llm")`` reads the fixture
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
            elif token.type == tokenize.STRING and _is_f_string(token.string):
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
        if first.type == tokenize.NAME and first.string in _COMPOUND and _is_header(tokens):
            statement.compound = True
            self._close_first_block()
            return
        if all(t.type == tokenize.STRING for t in tokens) and not self.statements and not statement.names:
            statement.kind = "docstring"
            return
        smalls = _split(tokens, ";")
        if smalls and all(s and s[0].type == tokenize.NAME and s[0].string in ("import", "from") for s in smalls):
            statement.kind = "import"
            statement.first_block = not self.first_block_closed
            self.seen_import = True

    def _close_first_block(self) -> None:
        if self.seen_import:
            self.first_block_closed = True

    def _bindings(self, statement: Statement, tokens: list[tokenize.TokenInfo], module_scope: bool) -> None:
        """Record what this logical line binds at module level and which attributes it assigns."""
        header, rest = _header_split(tokens)
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
            for small in _split(rest, ";"):
                self._small_bindings(statement, small, module_scope and keyword_ not in ("def", "class"))
            return
        for small in _split(tokens, ";"):
            self._small_bindings(statement, small, module_scope)

    def _header_bindings(self, statement: Statement, keyword_: str, header: list[tokenize.TokenInfo]) -> None:
        names = _plain_names
        if keyword_ == "for":
            end = next((i for i, t in _depth_zero(header) if t.string == "in"), len(header))
            statement.binds |= names(header[1:end])
        elif keyword_ in ("with", "except"):
            for i, token in _depth_zero(header):
                if token.string == "as":
                    statement.binds |= names(header[i + 1 : i + 2])
        elif keyword_ in ("match", "case"):
            statement.binds |= names(header[1:])
        statement.binds |= _walrus_targets(header)

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
                statement.binds |= _plain_names(small[1:])
            return
        if module_scope:
            statement.binds |= _walrus_targets(small)
        targets = _targets(small)
        for target in targets:
            if module_scope:
                statement.binds |= _target_names(target)
            statement.attr_writes |= _attribute_names(target)
        if module_scope and not targets and _is_method_call_on_name(small):
            # ``parser.set_defaults(...)``, ``cfg.update(...)``: the statement changes the object a name holds.
            statement.binds.add(small[0].string)


def _identifier(token: tokenize.TokenInfo) -> str:
    """The identifier a plain string token spells (``"llm"``), else ""."""
    if token.type != tokenize.STRING or token.string[:1] not in ("'", '"'):
        return ""
    text = token.string.strip("'\"")
    return text if text.isidentifier() and not keyword.iskeyword(text) else ""


def _is_f_string(text: str) -> bool:
    prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))]
    return "f" in prefix.lower()


def _depth_zero(tokens: list[tokenize.TokenInfo]) -> Iterator[tuple[int, tokenize.TokenInfo]]:
    depth = 0
    for i, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif depth == 0:
            yield i, token


def _split(tokens: list[tokenize.TokenInfo], separator: str) -> list[list[tokenize.TokenInfo]]:
    parts: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        if depth == 0 and token.type == tokenize.OP and token.string == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def _is_header(tokens: list[tokenize.TokenInfo]) -> bool:
    """A compound statement's header: ``match`` and ``case`` are soft keywords, the others always are."""
    first = tokens[0].string
    if first not in ("match", "case"):
        return True
    return len(tokens) > 1 and tokens[1].string not in ("=", ".", "(", "[", ",", ")") and any(
        t.string == ":" for _, t in _depth_zero(tokens)
    )


def _header_split(tokens: list[tokenize.TokenInfo]) -> tuple[list[tokenize.TokenInfo] | None, list[tokenize.TokenInfo]]:
    """(header, statements after its colon on the same line) of a compound header; (None, []) otherwise."""
    first = tokens[0]
    if first.type != tokenize.NAME or first.string not in _COMPOUND | _CONTINUATION | {"case"}:
        return None, []
    if first.string in ("match", "case") and not _is_header(tokens):
        return None, []
    lambdas = 0
    for i, token in _depth_zero(tokens):
        if token.string == "lambda":
            lambdas += 1
        elif token.type == tokenize.OP and token.string == ":":
            if lambdas:
                lambdas -= 1
                continue
            return tokens[: i + 1], tokens[i + 1 :]
    return tokens, []


def _targets(small: list[tokenize.TokenInfo]) -> list[list[tokenize.TokenInfo]]:
    """The assignment targets of one simple statement (``a = b = value``, ``a += 1``, ``a: int = 1``)."""
    if small[0].type == tokenize.NAME and small[0].string in keyword.kwlist and small[0].string not in ("None",):
        return []
    cuts = []
    for i, token in _depth_zero(small):
        if token.type != tokenize.OP:
            continue
        if token.string == "=":
            cuts.append(i)
        elif token.string in _AUGMENTED or (token.string == ":" and not cuts):
            return [small[:i]]
    if not cuts:
        return []
    targets, start = [], 0
    for cut in cuts:
        targets.append(small[start:cut])
        start = cut + 1
    return targets


def _is_method_call_on_name(small: list[tokenize.TokenInfo]) -> bool:
    return (
        len(small) > 2
        and small[0].type == tokenize.NAME
        and not keyword.iskeyword(small[0].string)
        and small[1].string == "."
        and any(t.string == "(" for t in small)
    )


def _plain_names(tokens: list[tokenize.TokenInfo]) -> set[str]:
    return {
        t.string
        for i, t in enumerate(tokens)
        if t.type == tokenize.NAME and not (i > 0 and tokens[i - 1].string == ".") and not keyword.iskeyword(t.string)
    }


def _target_names(target: list[tokenize.TokenInfo]) -> set[str]:
    """The names an assignment target binds: ``a``, ``a, b``, ``(a, *b)``, but not ``k`` in ``d[k]`` or ``b`` in
    ``a.b`` (over-approximated: ``d`` in ``d[k]`` counts, so that a statement filling a dict is linked to it)."""
    if target and target[0].string in ("(", "["):
        return _plain_names(target)
    return {
        t.string
        for i, t in _depth_zero(target)
        if t.type == tokenize.NAME and not keyword.iskeyword(t.string) and not (i > 0 and target[i - 1].string == ".")
    }


def _attribute_names(tokens: list[tokenize.TokenInfo]) -> set[str]:
    return {t.string for i, t in enumerate(tokens) if t.type == tokenize.NAME and i > 0 and tokens[i - 1].string == "."}


def _walrus_targets(tokens: list[tokenize.TokenInfo]) -> set[str]:
    return {
        tokens[i - 1].string
        for i, t in enumerate(tokens)
        if t.type == tokenize.OP and t.string == ":=" and i > 0 and tokens[i - 1].type == tokenize.NAME
    }
