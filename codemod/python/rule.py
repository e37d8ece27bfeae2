"""The base of every Python rule, and the per-file context the rules share.

A Python rule is a small libcst visitor: one class per file under ``codemod/rules/``, carrying its registry code,
its message and its ``VALID``/``INVALID`` examples (its tests and its documentation). Rules that need the
whole file (which tasks an ``LLM`` is used for) do their work in ``finish()``, after the one traversal.
The engine runs only the rules active at the target version (``Rule.active``); a rule never gates itself.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider, QualifiedNameProvider

from vllm_pooling_migrate.codemod.analysis.instances import InstanceTracker
from vllm_pooling_migrate.codemod.visitors import CachedVisitors
from vllm_pooling_migrate.codemod.analysis.symbols import SHIM_MODULE, resolve_root, resolve_symbol
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.edits import ImportNeed, PythonFix
from vllm_pooling_migrate.codemod.rule import Rule
from vllm_pooling_migrate.registry import FixClass, Version, format_version


@dataclass
class RawFinding:
    """A finding before it is turned into text positions and edits."""

    code: str
    message: str
    node: cst.CSTNode
    fix: PythonFix | None
    applicability: FixClass
    unfixable_reason: str | None = None


class FileContext:
    def __init__(
        self,
        wrapper: cst.MetadataWrapper,
        path: str,
        options: Options,
        tracker: InstanceTracker,
        module_names: frozenset[str] = frozenset(),
        mentions_vllm: bool = True,
    ):
        self.wrapper = wrapper
        self.module = wrapper.module
        self.path = path
        self.options = options
        self.tracker = tracker
        self.findings: list[RawFinding] = []
        self.qualified_names = wrapper.resolve(QualifiedNameProvider)
        self._imports = _top_level_from_imports(self.module)
        self._planned: dict[tuple[str, str], ImportNeed] = {}
        #: Names bound at module level elsewhere in the file, when this module is a section of a larger file.
        self._other_module_names = module_names
        #: The file names vLLM somewhere: a request to a generic route (``/v1/embeddings``) is then taken as vLLM's.
        self.mentions_vllm = mentions_vllm

    # Positions cost a traversal and are needed only for findings: computed on demand.
    @cached_property
    def _positions(self):
        return self.wrapper.resolve(PositionProvider)

    @cached_property
    def _simple_statements(self) -> tuple[list[tuple[int, int]], list[CodeRange]]:
        """Where each simple statement line starts, and its range, in source order (they never nest)."""
        ranges = [self._positions[line] for line in _simple_statement_lines(self.module)]
        return [(r.start.line, r.start.column) for r in ranges], ranges

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self._positions[node]

    @cached_property
    def _top_level_starts(self) -> list[tuple[int, int]]:
        return [(r.start.line, r.start.column) for r in (self._positions[s] for s in self.module.body)]

    def top_level_index(self, node: cst.CSTNode) -> int:
        """The index in the module's body of the top-level statement holding ``node``."""
        where = self._positions[node].start
        return max(0, bisect_right(self._top_level_starts, (where.line, where.column)) - 1)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def statement_rows(self, node: cst.CSTNode) -> tuple[int, int]:
        """Rows of the simple statement line holding ``node`` (a ``# noqa`` on any of them applies); the node's
        own rows when none holds it (a compound statement's header, a ``if x: y()`` suite)."""
        where = self._positions[node]
        starts, ranges = self._simple_statements
        index = bisect_right(starts, (where.start.line, where.start.column)) - 1
        if index >= 0:
            line = ranges[index]
            if (line.end.line, line.end.column) >= (where.end.line, where.end.column):
                return line.start.line, line.end.line
        return where.start.line, where.end.line

    def import_for(self, root: str, module: str, name: str) -> ImportNeed | None:
        """How to refer to ``name``: an existing import of it, or a new ``from module import name``.

        ``root`` is "vllm" or ``SHIM_MODULE``: code written against this project's shim gets its names from it.
        None when a new top-level import would be wrong: the file imports vLLM only conditionally
        (inside ``try``/``if`` or a function), so an unconditional one could break where vLLM is absent.
        """
        module = SHIM_MODULE if root == SHIM_MODULE else module
        key = (module, name)
        if key in self._planned:
            return self._planned[key]
        for imported_module, imported_name, local in self._imports:
            if imported_name == name and imported_module.split(".")[0] == module.split(".")[0]:
                need = ImportNeed(imported_module, name, local)
                break
        else:
            if not self._imports_root_unconditionally(module.split(".")[0]):
                return None
            taken = set(self.module_level_names())
            local = name if name not in taken else f"Vllm{name}"
            need = ImportNeed(module, name, local)
        self._planned[key] = need
        return need

    def _imports_root_unconditionally(self, root: str) -> bool:
        for statement in self.module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                        if self.code(small.module).split(".")[0] == root:
                            return True
                    if isinstance(small, cst.Import) and any(
                        self.code(alias.name).split(".")[0] == root for alias in small.names
                    ):
                        return True
        return False

    def module_level_names(self) -> set[str]:
        scope = self.wrapper.resolve(cst.metadata.ScopeProvider).get(self.module)
        names = {a.name for a in scope.assignments} if scope is not None else set()
        return names | self._other_module_names


#: Nodes that hold statements (a compound statement's test and other expressions are not walked).
_STATEMENT_CONTAINERS: tuple[type[cst.CSTNode], ...] = tuple(
    kind
    for kind in (cst.BaseCompoundStatement, cst.BaseSuite, cst.Else, cst.ExceptHandler,
                 getattr(cst, "ExceptStarHandler", None), cst.Finally, getattr(cst, "MatchCase", None))
    if kind is not None
)


def _simple_statement_lines(module: cst.Module) -> list[cst.SimpleStatementLine]:
    """Every simple statement line of the module, in source order, found by walking statements only."""
    found: list[cst.SimpleStatementLine] = []
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        for child in reversed(node.children):
            if isinstance(child, cst.SimpleStatementLine):
                found.append(child)
            elif isinstance(child, _STATEMENT_CONTAINERS):
                stack.append(child)
    found.reverse()
    return found


def _top_level_from_imports(module: cst.Module) -> list[tuple[str, str, str]]:
    found = []
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                if isinstance(small.names, cst.ImportStar):
                    continue
                module_name = cst.Module(body=[]).code_for_node(small.module)
                for alias in small.names:
                    name = cst.Module(body=[]).code_for_node(alias.name)
                    asname = alias.asname.name if alias.asname is not None else None
                    local = asname.value if isinstance(asname, cst.Name) else name  # `import` aliases are Names
                    found.append((module_name, name, local))
    return found


class PythonRule(Rule, CachedVisitors):
    LANGUAGE: ClassVar[str] = "python"
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context

    @property
    def target(self) -> Version:
        return self.context.options.target_version

    def symbol(self, node: cst.BaseExpression) -> str | None:
        # The resolved mapping works both during the traversal and in finish().
        return resolve_symbol(self.context.qualified_names, node)

    def root(self, node: cst.BaseExpression) -> str:
        """Where the file imports vLLM's API from ("vllm", or this project's ``SHIM_MODULE``)."""
        return resolve_root(self.context.qualified_names, node)

    def finish(self) -> None:
        """Called once after the traversal, when every use of every LLM is known."""

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix: PythonFix | None = None,
        applicability: FixClass | None = None,
        unfixable_reason: str | None = None,
    ) -> None:
        entry = self.entry()
        applicability = applicability or entry.fix_class
        if fix is not None and entry.fix_min_target and self.target < entry.fix_min_target:
            fix = None
            unfixable_reason = (
                f"the replacement needs vLLM >= {format_version(entry.fix_min_target)} "
                f"(target is {format_version(self.target)})"
            )
        if fix is None and applicability is not FixClass.REPORT and unfixable_reason is None:
            applicability = FixClass.REPORT
        self.context.findings.append(
            RawFinding(self.CODE, message or self.MESSAGE, node, fix, applicability, unfixable_reason)
        )
