"""Names bound once to a vLLM class: ``llm_cls = vllm.LLM`` or ``llm_cls = cast("type[LLM]", vllm.LLM)``.

Code that imports vLLM lazily, or keeps type checkers quiet about a lazily imported module, calls the class
through a local name; ``llm_cls(model=..., task="embed")`` is then an ``LLM(...)`` call like any other. A name
counts as an alias only when the scope that reads it sees exactly one assignment of it, a plain ``=`` (or an
annotated one) whose value is a name, an attribute, or ``typing.cast(<type>, <name or attribute>)``. A name
assigned twice, in a branch and its ``else``, or through a conditional expression is not followed.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment, Scope

#: ``typing.cast`` and its twin in typing_extensions: a no-op at run time that returns its second argument.
CAST_FUNCTIONS = frozenset({"typing.cast", "typing_extensions.cast"})


class ClassAliases:
    """The value a once-assigned name stands for; each scope's assignments are read once, when first asked."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module  # the global scope's node: libcst's GlobalScope does not keep it
        self._values: dict[int, dict[int, cst.BaseExpression]] = {}  # id(scope node) -> id(target) -> value

    def value_of(self, scope: Scope, name: cst.Name) -> cst.BaseExpression | None:
        assignments = list(scope[name.value]) if name.value in scope else []
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        assignment = assignments[0]
        if not isinstance(assignment.node, cst.Name) or assignment.node is name:
            return None
        owner = getattr(assignment.scope, "node", self._module)
        values = self._values.get(id(owner))
        if values is None:
            collector = _SimpleAssignments(owner)
            owner.visit(collector)
            values = self._values[id(owner)] = collector.values
        value = values.get(id(assignment.node))
        if value is None:
            return None
        return _uncast(value, assignment.scope)


def _uncast(value: cst.BaseExpression, scope: Scope) -> cst.BaseExpression | None:
    if isinstance(value, (cst.Name, cst.Attribute)):
        return value
    if isinstance(value, cst.Call) and len(value.args) == 2 and all(a.keyword is None and not a.star for a in value.args):
        names = {q.name for q in scope.get_qualified_names_for(value.func)}
        inner = value.args[1].value
        if names & CAST_FUNCTIONS and isinstance(inner, (cst.Name, cst.Attribute)):
            return inner
    return None


class _SimpleAssignments(cst.CSTVisitor):
    """``name = value`` and ``name: T = value`` statements of one scope, not of the functions and classes inside it."""

    def __init__(self, owner: cst.CSTNode) -> None:
        self._owner = owner
        self.values: dict[int, cst.BaseExpression] = {}

    def visit_Assign(self, node: cst.Assign) -> bool:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self.values[id(node.targets[0].target)] = node.value
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self.values[id(node.target)] = node.value
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self._owner

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return node is self._owner

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Expr(self, node: cst.Expr) -> bool:
        return False  # an expression statement assigns nothing this reads
