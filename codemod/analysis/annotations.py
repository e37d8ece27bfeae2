"""Whether a type annotation says "an instance of vLLM's ``LLM``" (possibly ``None``), or of another vLLM class.

``llm: LLM``, ``llm: Optional[LLM]``, ``llm: typing.Optional[vllm.LLM]``, ``llm: LLM | None``,
``llm: Union[LLM, None]`` and the same written as strings (``llm: "LLM"``, ``llm: "Optional[LLM]"``) all do; a
union with another type (``LLM | str``) does not, nor does a user's own class named ``LLM``. Names inside string
annotations are resolved in the scope of the string, through the module's imports.

The receiver is then certainly an ``LLM`` (or ``None``, where a call would fail anyway), but its construction is
unknown: rules that need only "this is an ``LLM``" (``encode()`` without a task) may use it; rules that need the
model or the configured task may not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import libcst as cst
from libcst.metadata import QualifiedName, QualifiedNameSource, ScopeProvider

from vllm_pooling_migrate.codemod.analysis.symbols import LLM, NameSource, qualified_names, symbol_of_qualified_name

#: ``X`` or ``None`` spelled as a subscript (``Optional[X]``) or as a union of the two.
OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
UNION = frozenset({"typing.Union", "typing_extensions.Union"})
#: How deep string annotations may nest (``"Optional['LLM']"``): a bound, not a feature.
MAX_STRING_DEPTH = 3

NamesOf = Callable[[cst.BaseExpression], Collection[QualifiedName]]


def annotates_llm(visitor: cst.MetadataDependent, annotation: cst.BaseExpression) -> bool:
    """True when ``annotation`` (the expression after ``:``) names vLLM's ``LLM``, optionally or-``None``; during
    the traversal (``visitor`` declares ``ScopeProvider`` and ``QualifiedNameProvider``)."""
    try:
        scope = visitor.get_metadata(ScopeProvider, annotation, None)
    except KeyError:
        scope = None
    return annotates(visitor, scope, annotation, frozenset({LLM}))


def annotates(names: NameSource, scope, annotation: cst.BaseExpression, symbols: frozenset[str]) -> bool:
    """True when ``annotation`` names one of the vLLM ``symbols`` (``KNOWN_SYMBOLS``), optionally or-``None``.
    ``names`` gives qualified names (a visitor, or the resolved mapping); ``scope`` is the annotation's scope, where
    the names of a string annotation are looked up."""
    return _is_one_of(annotation, lambda node: qualified_names(names, node), scope, 0, symbols)


def _imported(names: Collection[QualifiedName]) -> set[str]:
    return {q.name for q in names if q.source is QualifiedNameSource.IMPORT}


def _is_one_of(node: cst.BaseExpression, names_of: NamesOf, scope, depth: int, symbols: frozenset[str]) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return _string_is_one_of(node, scope, depth, symbols)
    if isinstance(node, (cst.Name, cst.Attribute)):
        return any(symbol_of_qualified_name(name) in symbols for name in _imported(names_of(node)))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _union_is_one_of([node.left, node.right], names_of, scope, depth, symbols)
    if isinstance(node, cst.Subscript) and isinstance(node.value, (cst.Name, cst.Attribute)):
        generic = _imported(names_of(node.value))
        members = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if len(members) != len(node.slice):
            return False
        if generic & OPTIONAL:
            return len(members) == 1 and _is_one_of(members[0], names_of, scope, depth, symbols)
        if generic & UNION:
            return _union_is_one_of(members, names_of, scope, depth, symbols)
    return False


def _union_is_one_of(
    members: list[cst.BaseExpression], names_of: NamesOf, scope, depth: int, symbols: frozenset[str]
) -> bool:
    """``LLM | None`` and ``Union[LLM, None]``: every member is ``LLM`` or ``None``, and one is ``LLM``."""
    flat: list[cst.BaseExpression] = []
    for member in members:
        if isinstance(member, cst.BinaryOperation) and isinstance(member.operator, cst.BitOr):
            flat.extend([member.left, member.right])
        else:
            flat.append(member)
    nones = [m for m in flat if _is_none(m)]
    others = [m for m in flat if not _is_none(m)]
    return len(others) >= 1 and len(nones) + len(others) == len(flat) and all(
        _is_one_of(m, names_of, scope, depth, symbols) for m in others
    )


def _is_none(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value == "None"
    return isinstance(node, cst.SimpleString) and node.evaluated_value == "None"


def _string_is_one_of(
    node: cst.SimpleString | cst.ConcatenatedString, scope, depth: int, symbols: frozenset[str]
) -> bool:
    """A string annotation: parse it and resolve its names where the string stands."""
    text = node.evaluated_value
    if scope is None or depth >= MAX_STRING_DEPTH or not isinstance(text, str):
        return False
    try:
        inner = cst.parse_expression(text.strip())
    except cst.ParserSyntaxError:
        return False
    code = cst.Module(body=[]).code_for_node

    def names_in_string(expr: cst.BaseExpression) -> Collection[QualifiedName]:
        return scope.get_qualified_names_for(code(expr))

    return _is_one_of(inner, names_in_string, scope, depth + 1, symbols)
