"""Names that stand for a vLLM class: ``llm_cls = vllm.LLM``, ``llm_cls = cast("type[LLM]", vllm.LLM)``,
``Actor = ray.remote(LLM)``, and subclasses defined in the file (``class Worker(LLM)``, Ray's ``@ray.remote`` ones too).

Code that imports vLLM lazily, or keeps type checkers quiet about a lazily imported module, calls the class
through a local name; ``llm_cls(model=..., task="embed")`` is then an ``LLM(...)`` call like any other. A name
counts as an alias only when the scope that reads it sees exactly one assignment of it, a plain ``=`` (or an
annotated one) whose value is a name, an attribute, ``typing.cast(<type>, <name or attribute>)`` or
``ray.remote(<name or attribute>)``. A name assigned twice, in a branch and its ``else``, or through a conditional
expression is not followed. A subclass counts when its constructor takes what ``LLM`` takes: no ``__init__`` of its
own, or one that only passes ``*args, **kwargs`` on; so does a wrapper whose ``__init__(self, *args, **kwargs)``
builds ``LLM(*args, **kwargs)`` (a Ray actor around the engine). ``symbols`` also reads an actor's ``X.remote(...)`` and
``X.options(...).remote(...)`` as building ``X``).
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment, Scope

#: ``typing.cast`` and its twin in typing_extensions: a no-op at run time that returns its second argument.
CAST_FUNCTIONS = frozenset({"typing.cast", "typing_extensions.cast"})
#: Ray's actor wrapper: ``ray.remote(LLM)`` is an actor class whose ``.remote(...)`` builds an ``LLM``.
ACTOR_WRAPPERS = frozenset({"ray.remote"})


class ClassAliases:
    """The value a once-assigned name stands for; each scope's assignments are read once, when first asked."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module  # the global scope's node: libcst's GlobalScope does not keep it
        self._values: dict[int, dict[int, cst.BaseExpression]] = {}  # id(scope node) -> id(target) -> value

    def values_of(self, scope: Scope, name: cst.Name) -> list[cst.BaseExpression]:
        """What ``name`` stands for: the class an alias names, or the bases of a class that builds like them."""
        assignments = list(scope[name.value]) if name.value in scope else []
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return []
        assignment = assignments[0]
        if isinstance(assignment.node, cst.ClassDef):
            return _bases_if_built_alike(assignment.node)
        if not isinstance(assignment.node, cst.Name) or assignment.node is name:
            return []
        value = self._value_of(assignment)
        return [value] if value is not None else []

    def _value_of(self, assignment: Assignment) -> cst.BaseExpression | None:
        owner = getattr(assignment.scope, "node", self._module)
        values = self._values.get(id(owner))
        if values is None:
            collector = _SimpleAssignments(owner)
            owner.visit(collector)
            values = self._values[id(owner)] = collector.values
        value = values.get(id(assignment.node))
        if value is None:
            return None
        return unwrapped_class(value, assignment.scope)


def unwrapped_class(value: cst.BaseExpression, scope: Scope) -> cst.BaseExpression | None:
    """The class behind ``cast(T, X)``, ``ray.remote(X)`` or ``ray.remote(num_gpus=1)(X)``; ``X`` itself."""
    if isinstance(value, (cst.Name, cst.Attribute)):
        return value
    if not isinstance(value, cst.Call):
        return None
    positional = [a.value for a in value.args if a.keyword is None and not a.star]
    if len(positional) != len(value.args):
        return None
    func = value.func.func if isinstance(value.func, cst.Call) else value.func  # ``ray.remote(**options)(X)``
    names = {q.name for q in scope.get_qualified_names_for(func)}
    if names & CAST_FUNCTIONS and len(positional) == 2:
        inner = positional[1]
    elif names & ACTOR_WRAPPERS and len(positional) == 1:
        inner = positional[0]
    else:
        return None
    return inner if isinstance(inner, (cst.Name, cst.Attribute)) else None


def _bases_if_built_alike(node: cst.ClassDef) -> list[cst.BaseExpression]:
    """What a class's constructor hands its arguments to: its bases when it has no ``__init__`` of its own; when its
    ``__init__`` only takes ``*args, **kwargs``, also what that ``__init__`` calls with exactly them (a wrapper's
    ``self.llm = LLM(*args, **kwargs)``). Another ``__init__`` may give ``task=`` a meaning of its own."""
    bases = [base.value for base in node.bases if base.keyword is None]
    for statement in node.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            params = statement.params
            named = [*params.posonly_params, *params.params, *params.kwonly_params]
            star, double = params.star_arg, params.star_kwarg
            if len(named) != 1 or not isinstance(star, cst.Param) or double is None:
                return []
            finder = _PassingOn(star.name.value, double.name.value)
            statement.body.visit(finder)
            return bases + finder.callees
    return bases


class _PassingOn(cst.CSTVisitor):
    """Calls ``f(*args, **kwargs)`` that hand on exactly the ``*args, **kwargs`` an ``__init__`` received."""

    def __init__(self, star: str, double: str) -> None:
        self._names = (("*", star), ("**", double))
        self.callees: list[cst.BaseExpression] = []

    def visit_Call(self, node: cst.Call) -> None:
        passed = tuple((a.star, a.value.value) for a in node.args if isinstance(a.value, cst.Name))
        if len(node.args) == 2 and passed == self._names and isinstance(node.func, (cst.Name, cst.Attribute)):
            self.callees.append(node.func)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function's call runs later, if at all


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
