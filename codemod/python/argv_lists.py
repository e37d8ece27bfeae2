"""Command lines written as Python lists: ``subprocess.run(["vllm", "serve", "M", "--task", "embed"])``.

The command-line rules (POOL013-POOL019) read them exactly as they read shell text: each list or tuple literal
becomes a :class:`~vllm_pooling_migrate.codemod.argv.Command` whose edits are written as string literals, and a
``["bash", "-c", "vllm serve ..."]`` script is read as shell text inside its Python string. Their fixes are text
edits, applied by the engine in a pass of their own.

A list is read as vLLM's when one of its strings names vLLM, when it holds a flag only vLLM takes with a pooling
value (``argv.invocation.pooling_args_start``: a test server's ``["--task", "embed"]``), or when it is a list of
flags handed to a server launcher: vLLM's test helper ``RemoteOpenAIServer``, or a callable that this file also
hands such a recognised list of vLLM's arguments (``Server(M, ["--task", "embed"])`` makes ``Server(M, ["--task",
"generate"])`` vLLM's too). A list reaches a callable directly or through a name assigned in the same function.
Elements are strings (a parenthesised ``'...' '...'`` concatenation too, whose JSON keys are renamed in the piece
that holds them), ``json.dumps({...})`` of a literal dict, or unknown (a variable, ``*rest``): rules never match those.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from vllm_pooling_migrate.codemod.argv import (
    ArgToken,
    Command,
    CommandLineWriter,
    Script,
    quoted_script,
    render_string_list,
    scan_commands,
)
from vllm_pooling_migrate.codemod.argv.client_tasks import ClientTasks
from vllm_pooling_migrate.codemod.argv.command import ScriptFinder
from vllm_pooling_migrate.codemod.argv.invocation import pooling_args_start
from vllm_pooling_migrate.codemod.argv.tokens import ValueSource
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding, Location
from vllm_pooling_migrate.codemod.python.client_requests import client_tasks
from vllm_pooling_migrate.codemod.python.http_requests import HttpRequestsFeed
from vllm_pooling_migrate.codemod.python.rule import FileContext
from vllm_pooling_migrate.codemod.python.string_commands import is_command_string, string_command_findings
from vllm_pooling_migrate.codemod.visitors import CachedVisitors

_MARKERS = ("vllm",)
_WRITER = CommandLineWriter(render_string_list)
#: vLLM's own test helper: ``RemoteOpenAIServer(model, args)`` runs ``vllm serve model *args``.
KNOWN_LAUNCHERS = frozenset({"RemoteOpenAIServer"})

Scope = int  # id() of the enclosing function definition (0: the module)


@dataclass
class _Candidate:
    """A list of flags that names no vLLM and holds no vLLM-only flag: vLLM's only if a launcher receives it."""

    node: cst.List | cst.Tuple
    scope: Scope


class ArgvLists(HttpRequestsFeed, CachedVisitors):
    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.findings: list[Finding] = []
        self._scripts: ScriptFinder | None = None
        self._scopes: list[Scope] = [0]
        self._assigned_to: dict[int, tuple[Scope, str]] = {}  # id(list) -> the name it is assigned to
        self._direct: dict[int, set[str]] = {}  # id(list) -> callables it is passed to
        self._by_name: dict[tuple[Scope, str], set[str]] = {}  # (scope, name) -> callables it is passed to
        self._local: set[tuple[Scope, str]] = set()  # names a function (or the module) assigns
        self._arguments_of: list[tuple[int, Scope]] = []  # recognised lists of vLLM's arguments alone
        self._candidates: list[_Candidate] = []
        self._lists: list[tuple[cst.List | cst.Tuple, int | None]] = []  # vLLM's lists, with where its arguments start
        self._strings: list[cst.SimpleString | cst.FormattedString] = []  # ``os.system("vllm serve ...")``

    def leave_Module(self, original_node: cst.Module) -> None:
        """Lists are judged once the whole file has been seen: which callables launch vLLM is known then, and what
        the file's own clients request."""
        launchers = set(KNOWN_LAUNCHERS)
        for key, scope in self._arguments_of:
            launchers |= self._receivers(key, scope)
        for candidate in self._candidates:
            receivers = self._receivers(id(candidate.node), candidate.scope)
            if any(r in launchers or r.rsplit(".", 1)[-1] in KNOWN_LAUNCHERS for r in receivers):
                self._lists.append((candidate.node, 0))
        # Requests can be tied to a server only when the file starts one.
        clients = client_tasks(self.context) if len(self._lists) == 1 else None
        for node, start in self._lists:
            self._emit(node, start, clients)
        in_lists = {id(e.value) for node, _ in self._lists for e in node.elements}  # read as argv tokens already
        strings = [s for s in self._strings if id(s) not in in_lists]
        if strings:
            self.findings.extend(string_command_findings(self.context, strings, LineIndex(self.context.module.code)))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if is_command_string(node):
            self._strings.append(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if is_command_string(node):
            self._strings.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)  # the HTTP requests the file makes: what its clients ask its server (POOL019)
        self._scopes.append(id(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            name = node.targets[0].target.value
            self._local.add((self._scopes[-1], name))
            if isinstance(node.value, (cst.List, cst.Tuple)):
                self._assigned_to[id(node.value)] = (self._scopes[-1], name)

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        callee = _dotted(node.func)
        if callee is None:
            return
        for arg in node.args:
            if isinstance(arg.value, (cst.List, cst.Tuple)):
                self._direct.setdefault(id(arg.value), set()).add(callee)
            elif isinstance(arg.value, cst.Name):
                self._by_name.setdefault((self._scopes[-1], arg.value.value), set()).add(callee)

    def visit_List(self, node: cst.List) -> None:
        self._scan(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._scan(node)

    def _receivers(self, key: int, scope: Scope) -> set[str]:
        """The callables a list is passed to: directly, or through the name it is assigned to in its scope (a module's
        name also in the functions that read it without assigning it)."""
        receivers = set(self._direct.get(key, ()))
        named = self._assigned_to.get(key)
        if named is not None:
            scope, name = named
            for (where, used), callees in self._by_name.items():
                if used == name and (where == scope or (scope == 0 and (where, name) not in self._local)):
                    receivers |= callees
        return receivers

    def _find_script(self, token: ArgToken) -> Script | None:
        """The ``sh -c`` script in a string literal (the module's text is built once, when first needed)."""
        if self._scripts is None:
            code = self.context.module.code
            self._scripts = quoted_script(code, LineIndex(code), "python")
        return self._scripts(token)

    def _scan(self, node: cst.List | cst.Tuple) -> None:
        values = [e.value for e in node.elements]
        if len(values) < 2:
            return
        named = any(isinstance(v, cst.SimpleString) and any(m in v.value for m in _MARKERS) for v in values)
        if named:
            self._lists.append((node, None))
            return
        literal = [_string_value(v) for v in values]
        start = pooling_args_start(literal)
        if start is not None:
            if start == 0:
                self._arguments_of.append((id(node), self._scopes[-1]))
            self._lists.append((node, start))
        elif (literal[0] or "").startswith("--"):
            self._candidates.append(_Candidate(node, self._scopes[-1]))

    def _emit(self, node: cst.List | cst.Tuple, start: int | None, clients: ClientTasks | None) -> None:
        tokens = [self._token(element) for element in node.elements]
        command = Command(tokens, _WRITER, rows=self.context.statement_rows(node), script=self._find_script,
                          start=start, clients=clients)
        self.findings.extend(scan_commands([command], path=self.context.path, options=self.context.options))

    def _location(self, node: cst.CSTNode) -> tuple[Location, Location]:
        where = self.context.position(node)
        return Location(where.start.line, where.start.column + 1), Location(where.end.line, where.end.column + 1)

    def _token(self, element: cst.BaseElement) -> ArgToken:
        value = element.value
        start, end = self._location(element if isinstance(element, cst.StarredElement) else value)
        if isinstance(element, cst.StarredElement):
            return ArgToken(None, start, end)  # any number of unknown elements
        if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
            prefix = len(value.prefix)
            return ArgToken(value.evaluated_value, Location(start.row, start.column + prefix), end, quote=value.quote[0])
        if isinstance(value, (cst.ConcatenatedString, cst.FormattedString)):
            read = self._read_string(value)
            if read is not None:
                text, source = read
                return ArgToken(text, start, end, quote=_quote_of(value), source=source)
        dumped = _json_dumps_of_literal(value, self.context)
        if dumped is not None:
            text, keys = dumped
            return ArgToken(text, start, end, source=self._keys_source(text, keys))
        return ArgToken(None, start, end)

    def _verbatim(self, piece: cst.SimpleString) -> list[Location | None]:
        """Where each character of a string literal's value is written (None for all when it holds escapes)."""
        body = piece.raw_value
        if body != piece.evaluated_value:
            return [None] * len(str(piece.evaluated_value))
        start, _ = self._location(piece)
        return _walk(Location(start.row, start.column + len(piece.prefix) + len(piece.quote)), body)

    def _read_string(self, node: cst.ConcatenatedString | cst.FormattedString) -> tuple[str, ValueSource] | None:
        """The text of adjacent string literals, f-strings among them (each field taken for an expansion written
        as its source, ``{size}``), and where each character is written; None for bytes or escapes in f-strings."""
        pieces = list(_pieces(node)) if isinstance(node, cst.ConcatenatedString) else [node]
        text: list[str] = []
        positions: list[Location | None] = []
        expansions: list[tuple[int, int]] = []
        for piece in pieces:
            if isinstance(piece, cst.SimpleString) and isinstance(piece.evaluated_value, str):
                text.append(piece.evaluated_value)
                positions.extend(self._verbatim(piece))
            elif isinstance(piece, cst.FormattedString) and "b" not in piece.prefix.lower():
                at, _ = self._location(piece)
                at = Location(at.row, at.column + len(piece.start))  # ``start`` is the prefix and the quote
                for part in piece.parts:
                    raw = self.context.code(part)
                    where = _walk(at, raw)
                    if isinstance(part, cst.FormattedStringExpression):
                        offset = sum(map(len, text))
                        expansions.append((offset, offset + len(raw)))
                        text.append(raw)
                        positions.extend([None] * len(raw))
                    elif "\\" in raw and "r" not in piece.prefix.lower():
                        return None
                    else:  # ``{{`` and ``}}`` stand for one brace each
                        k = 0
                        while k < len(raw):
                            doubled = raw[k : k + 2] in ("{{", "}}")
                            text.append(raw[k])
                            positions.append(None if doubled else where[k])
                            k += 2 if doubled else 1
                    at = _after(at, raw)
            else:
                return None
        return "".join(text), ValueSource(tuple(positions), tuple(expansions))

    def _keys_source(self, text: str, keys: list[tuple[int, cst.SimpleString]]) -> ValueSource:
        """Where the keys of a ``json.dumps`` dict are written: at their offsets in ``text``, their literals' body."""
        positions: list[Location | None] = [None] * len(text)
        for offset, literal in keys:
            for k, where in enumerate(self._verbatim(literal)):
                positions[offset + k] = where
        return ValueSource(tuple(positions))


def _pieces(node: cst.ConcatenatedString) -> Iterator[cst.BaseString]:
    for part in (node.left, node.right):
        if isinstance(part, cst.ConcatenatedString):
            yield from _pieces(part)
        else:
            yield part


def _walk(start: Location, body: str) -> list[Location | None]:
    """The location of each character of ``body`` written from ``start`` on (rows advance at newlines)."""
    locations: list[Location | None] = []
    for char in body:
        locations.append(start)
        start = _after(start, char)
    return locations


def _after(start: Location, body: str) -> Location:
    """Where the text that follows ``body``, written from ``start`` on, begins."""
    newline = body.rfind("\n")
    if newline == -1:
        return Location(start.row, start.column + len(body))
    return Location(start.row + body.count("\n"), len(body) - newline)


def _quote_of(node: cst.ConcatenatedString | cst.FormattedString) -> str:
    first = next(_pieces(node)) if isinstance(node, cst.ConcatenatedString) else node
    if isinstance(first, cst.FormattedString):
        return first.start[-1]
    return first.quote[0] if isinstance(first, cst.SimpleString) else '"'


def _string_value(value: cst.BaseExpression) -> str | None:
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)) and isinstance(value.evaluated_value, str):
        return value.evaluated_value
    return None


def _dotted(node: cst.BaseExpression) -> str | None:
    """``name`` or ``a.b.name`` as written; None for any other callee."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def _json_dumps_of_literal(
    node: cst.BaseExpression, context: FileContext
) -> tuple[str, list[tuple[int, cst.SimpleString]]] | None:
    """``json.dumps({...})`` of a dict of literals, without options: the text it returns, and for each key the offset
    of its characters in that text with the literal that writes it."""
    if not isinstance(node, cst.Call) or len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
        return None
    names = context.qualified_names.get(node.func, set())
    if not any(name.name == "json.dumps" for name in names) or not isinstance(node.args[0].value, cst.Dict):
        return None
    pieces: list[str] = []
    keys: list[tuple[int, cst.SimpleString]] = []
    seen: set[str] = set()
    offset = 1
    for element in node.args[0].value.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return None
        key = element.key.evaluated_value
        try:
            value = ast.literal_eval(context.code(element.value))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        if not isinstance(key, str) or key in seen:
            return None
        seen.add(key)
        written = json.dumps(key)
        try:
            piece = f"{written}: {json.dumps(value)}"
        except (TypeError, ValueError):
            return None
        if written == f'"{key}"':
            keys.append((offset + 1, element.key))
        pieces.append(piece)
        offset += len(piece) + 2
    return "{" + ", ".join(pieces) + "}", keys
