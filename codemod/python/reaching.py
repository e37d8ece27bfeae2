"""Which bindings of a name can reach one use of it: a small reaching-definitions reading of straight code.

``prompt = {...}; post(prompt); prompt = {...}; post(prompt)`` binds ``prompt`` twice in one scope; each post sees
the value bound last before it. A binding reaches a use when it comes before the use and no binding in a block
that always runs before the use (an enclosing block of the use) comes between them; a binding later in a loop
that holds the use reaches it through the next iteration. The answer is a *may* set: every binding that can be
the value on some path, none that cannot (except through code that never runs).

Only bindings in the scope the use reads from are ordered this way: a module-level name read inside a function
is read when the function runs, so several module-level bindings of it give no answer (None).
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cached_property

import libcst as cst
from libcst.metadata import (Assignment, ComprehensionScope, ParentNodeProvider, PositionProvider, Scope,
                             ScopeProvider)

Position = tuple[int, int]


class ReachingBindings:
    """Answers :meth:`of` for the names of one module (its metadata wrapper), after the traversal."""

    def __init__(self, wrapper: cst.MetadataWrapper) -> None:
        self._wrapper = wrapper
        self._found: dict[tuple[int, str], list[Assignment] | None] = {}  # (id(scope), name) -> its bindings
        self._ordered: dict[tuple[int, str], tuple[list[Assignment], list[Position]]] = {}  # ... in source order

    @cached_property
    def _scopes(self):
        return self._wrapper.resolve(ScopeProvider)

    @cached_property
    def _parents(self):
        return self._wrapper.resolve(ParentNodeProvider)

    @cached_property
    def _positions(self):
        return self._wrapper.resolve(PositionProvider)

    def assignments(self, name: cst.Name) -> list[Assignment] | None:
        """Every binding of ``name`` visible where it is read; None when some is not an assignment in the file."""
        scope = self._scopes.get(name)
        if scope is None:
            return None
        key = (id(scope), name.value)
        if key not in self._found:
            found = list(scope[name.value]) if name.value in scope else []
            ok = found and all(isinstance(a, Assignment) for a in found)
            self._found[key] = found if ok else None  # all Assignment when ok
        return self._found[key]

    def of(self, name: cst.Name) -> list[Assignment] | None:
        """The bindings of ``name`` that can reach this use of it, in source order; None when unknown."""
        found = self.assignments(name)
        if found is None:
            return None
        if len(found) == 1:
            return found
        owner = found[0].scope
        if any(a.scope is not owner for a in found) or not self._reads_in(self._scopes.get(name), owner):
            return None
        use_start = self._start(name)
        ancestors = self._ancestors(name)
        ancestor_ids = {id(node) for node in ancestors}
        ordered, starts = self._in_order(owner, name.value, found)
        before = bisect_right(starts, use_start)  # bindings that start after the use cannot run before it
        reaching: list[Assignment] = []
        for assignment in reversed(ordered[:before]):
            statement = self._statement(assignment.node)
            if statement is None:
                return None
            inside = id(statement) in ancestor_ids
            done_at = self._end(assignment.node if inside else statement)
            if done_at > use_start:
                continue
            reaching.append(assignment)
            if inside or self._block_ids(statement) & ancestor_ids:
                break  # this binding always runs before the use: earlier ones are overwritten
        for loop in ancestors:
            if isinstance(loop, (cst.For, cst.While)):  # later bindings in the loop reach the next iteration
                end = self._end(loop)
                reaching.extend(a for a in ordered[before:bisect_right(starts, end)]
                                if all(a is not r for r in reaching) and self._end(a.node) <= end)
        return sorted(reaching, key=lambda a: self._start(a.node))

    def _in_order(self, owner: Scope, name: str, found: list[Assignment]) -> tuple[list[Assignment], list[Position]]:
        key = (id(owner), name)
        if key not in self._ordered:
            ordered = sorted(found, key=lambda a: self._start(a.node))
            self._ordered[key] = ordered, [self._start(a.node) for a in ordered]
        return self._ordered[key]

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        """The class whose method holds ``node`` (``self.x`` there is that class's attribute)."""
        return next((n for n in self._ancestors(node) if isinstance(n, cst.ClassDef)), None)

    # --- the tree around a node ----------------------------------------------------------------------------

    def _reads_in(self, scope: Scope | None, owner: Scope) -> bool:
        """The use is read in ``owner`` itself, or in a comprehension run there and then."""
        while isinstance(scope, ComprehensionScope) and scope is not owner:
            scope = scope.parent
        return scope is owner

    def _ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        found = []
        parent = self._parents.get(node)
        while parent is not None:
            found.append(parent)
            parent = self._parents.get(parent)
        return found

    def _statement(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The statement that binds: the small statement (``x = ...``) or compound one (``for x in``, ``def``)."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            current = self._parents.get(current)
        return current

    def _block_ids(self, statement: cst.CSTNode) -> set[int]:
        """The blocks a small statement runs in whenever they run: its line's suite, and the block around a ``with``
        whose body that suite is (a ``with`` body always runs). None for compound bindings, which may not bind at
        all (an empty loop)."""
        if not isinstance(statement, cst.BaseSmallStatement):
            return set()
        line = self._parents.get(statement)
        block = line if isinstance(line, cst.SimpleStatementSuite) else self._parents.get(line) if line is not None else None
        found: set[int] = set()
        while block is not None:
            found.add(id(block))
            owner = self._parents.get(block)
            if not isinstance(owner, cst.With):
                break
            block = self._parents.get(owner)  # the block the with statement is in
        return found

    def _start(self, node: cst.CSTNode) -> Position:
        where = self._positions[node].start
        return where.line, where.column

    def _end(self, node: cst.CSTNode) -> Position:
        where = self._positions[node].end
        return where.line, where.column
