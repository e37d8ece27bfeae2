"""Command lines written as Python lists: ``subprocess.run(["vllm", "serve", "M", "--task", "embed"])``.

The command-line rules (POOL013-POOL019) read them exactly as they read shell text: each list or tuple literal
becomes a :class:`~vllm_pooling_migrate.codemod.argv.Command` whose edits are written as string literals, and a
``["bash", "-c", "vllm serve ..."]`` script is read as shell text inside its Python string. Their fixes are text
edits, applied by the engine in a pass of their own.
"""

from __future__ import annotations

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
from vllm_pooling_migrate.codemod.argv.command import ScriptFinder
from vllm_pooling_migrate.codemod.argv.invocation import pooling_args_start
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding, Location
from vllm_pooling_migrate.codemod.python.rule import FileContext
from vllm_pooling_migrate.codemod.visitors import CachedVisitors

#: A list starts a vLLM server if one of its strings names vLLM, or if it holds a flag only vLLM takes with a
#: pooling value (``argv.invocation.pooling_args_start``: a test server's ``["--task", "embed"]``).
_MARKERS = ("vllm",)
_WRITER = CommandLineWriter(render_string_list)


class ArgvLists(CachedVisitors):
    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.findings: list[Finding] = []
        self._scripts: ScriptFinder | None = None

    def visit_List(self, node: cst.List) -> None:
        self._scan(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._scan(node)

    def _find_script(self, token: ArgToken) -> Script | None:
        """The ``sh -c`` script in a string literal (the module's text is built once, when first needed)."""
        if self._scripts is None:
            code = self.context.module.code
            self._scripts = quoted_script(code, LineIndex(code), "python")
        return self._scripts(token)

    def _scan(self, node: cst.List | cst.Tuple) -> None:
        values = [e.value for e in node.elements]
        if len(values) < 2 or not all(isinstance(e, cst.Element) for e in node.elements):
            return
        named = any(isinstance(v, cst.SimpleString) and any(m in v.value for m in _MARKERS) for v in values)
        start = None
        if not named:
            literal = [_literal(v) for v in values]
            start = pooling_args_start(literal)
            if start is None:
                return
        tokens = [self._token(value) for value in values]
        command = Command(tokens, _WRITER, rows=self.context.statement_rows(node), script=self._find_script,
                          start=start)
        self.findings.extend(scan_commands([command], path=self.context.path, options=self.context.options))

    def _token(self, value: cst.BaseExpression) -> ArgToken:
        where = self.context.position(value)
        start = Location(where.start.line, where.start.column + 1)
        end = Location(where.end.line, where.end.column + 1)
        if not isinstance(value, cst.SimpleString) or not isinstance(value.evaluated_value, str):
            return ArgToken(None, start, end)
        prefix = len(value.prefix)
        quote = value.quote[0]
        return ArgToken(value.evaluated_value, Location(start.row, start.column + prefix), end, quote=quote)


def _literal(value: cst.BaseExpression) -> str | None:
    return value.evaluated_value if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str) else None
