"""The frame stack of the instance tracker: which function, class or inner scope the traversal is in, how deep in
compound statements, and in how many ``with pytest.raises(...)`` blocks.

A binding made inside a compound statement may or may not happen at run time (``block_depth``); lambdas and
comprehensions have scopes of their own, whose parameters and targets are not rebindings of the enclosing names.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider

from vllm_pooling_migrate.codemod.analysis import fixtures
from vllm_pooling_migrate.codemod.analysis.bindings import UNKNOWN, Frame
from vllm_pooling_migrate.codemod.visitors import CachedVisitors


class FrameStack(CachedVisitors):
    """Visitors that keep ``_frames`` right; ``InstanceTracker`` adds what it tracks in them."""

    def __init__(self) -> None:
        super().__init__()
        self._frames: list[Frame] = [Frame("module")]
        self._declarations: set[int] = set()  # names of defs, classes and parameters
        self._expecting_errors = 0  # how many ``with pytest.raises(...)`` blocks we are in

    @property
    def _frame(self) -> Frame:
        return self._frames[-1]

    def _names_bound_in(self, body: cst.CSTNode) -> frozenset[str]:
        try:
            scope = self.get_metadata(ScopeProvider, body, None)
        except KeyError:
            scope = None
        return frozenset(a.name for a in scope.assignments) if scope is not None else frozenset()

    # Lambdas and comprehensions have scopes of their own: their parameters and targets are not
    # rebindings of the enclosing names.
    def _push_inner_scope(self, params: cst.Parameters | None = None, inside: cst.CSTNode | None = None) -> None:
        frame = Frame("function")
        if inside is not None:
            frame.assigned = self._names_bound_in(inside)
        if params is not None:
            every = [*params.posonly_params, *params.params, *params.kwonly_params, params.star_arg, params.star_kwarg]
            for param in every:
                if isinstance(param, cst.Param):
                    self._declarations.add(id(param.name))
                    frame.env[param.name.value] = UNKNOWN
        self._frames.append(frame)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push_inner_scope(node.params)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._frames.pop()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._push_inner_scope(inside=node.elt)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._frames.pop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._push_inner_scope(inside=node.elt)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._frames.pop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._push_inner_scope(inside=node.key)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._frames.pop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._push_inner_scope(inside=node.elt)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._frames.pop()

    def visit_Global(self, node: cst.Global) -> None:
        self._frame.globals.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._frame.nonlocals.update(item.name.value for item in node.names)

    # Compound statements: a binding made inside one may or may not happen at run time.
    # (libcst finds visitor methods by their __name__, so each needs its own def.)
    def visit_If(self, node: cst.If) -> None:
        self._frame.block_depth += 1

    def leave_If(self, original_node: cst.If) -> None:
        self._frame.block_depth -= 1

    def visit_For(self, node: cst.For) -> None:
        self._frame.block_depth += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._frame.block_depth -= 1

    def visit_Match(self, node: cst.Match) -> None:
        self._frame.block_depth += 1

    def leave_Match(self, original_node: cst.Match) -> None:
        self._frame.block_depth -= 1

    def visit_While(self, node: cst.While) -> None:
        self._frame.block_depth += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._frame.block_depth -= 1

    def visit_Try(self, node: cst.Try) -> None:
        self._frame.block_depth += 1

    def leave_Try(self, original_node: cst.Try) -> None:
        self._frame.block_depth -= 1

    def visit_With(self, node: cst.With) -> None:
        self._frame.block_depth += 1
        if fixtures.expects_error(self, node):
            self._expecting_errors += 1

    def leave_With(self, original_node: cst.With) -> None:
        self._frame.block_depth -= 1
        if fixtures.expects_error(self, original_node):
            self._expecting_errors -= 1
