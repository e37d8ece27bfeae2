"""Command lines written as Python lists: ``subprocess.run(["vllm", "serve", "M", "--task", "embed"])``.

The argv rules (POOL013-POOL018) read them exactly as they read shell text; this module only turns each
list or tuple literal into argv tokens with their source spans. Their fixes are text edits, applied by the
engine in a pass of their own.
"""

from __future__ import annotations

import libcst as cst

from vllm_pooling_migrate.codemod.argv import ArgToken, render_string_list, scan_argv_tokens
from vllm_pooling_migrate.codemod.finding import Finding, Location
from vllm_pooling_migrate.codemod.visitors import CachedVisitors

#: A list can only start a vLLM server if one of its strings names vLLM.
_MARKERS = ("vllm",)


class ArgvLists(CachedVisitors):
    def __init__(self, context) -> None:
        super().__init__()
        self.context = context
        self.findings: list[Finding] = []

    def visit_List(self, node: cst.List) -> None:
        self._scan(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._scan(node)

    def _scan(self, node: cst.List | cst.Tuple) -> None:
        values = [e.value for e in node.elements]
        if len(values) < 2 or not any(
            isinstance(v, cst.SimpleString) and any(m in v.value for m in _MARKERS) for v in values
        ):
            return
        tokens = [self._token(value) for value in values]
        rows = self.context.statement_rows(node)
        self.findings.extend(
            scan_argv_tokens(tokens, self.context.path, self.context.options, render=render_string_list, statement_rows=rows)
        )

    def _token(self, value: cst.BaseExpression) -> ArgToken:
        where = self.context.position(value)
        start = Location(where.start.line, where.start.column + 1)
        end = Location(where.end.line, where.end.column + 1)
        if not isinstance(value, cst.SimpleString) or not isinstance(value.evaluated_value, str):
            return ArgToken(None, start, end)
        prefix = len(value.prefix)
        quote = value.quote[0]
        return ArgToken(value.evaluated_value, Location(start.row, start.column + prefix), end, quote=quote)
