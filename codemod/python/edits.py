"""Fixes on Python code are small operations on existing calls, never templates re-parsed.

A rule describes *what* changes (rename this keyword, add that one, rename the method); the applier
mutates the call it was given, so comments inside the call, quote style, and trailing commas survive.
All fixes of one file are merged per node and applied in one transformer pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst


@dataclass(frozen=True)
class RenameKeyword:
    index: int  # position of the argument in the original call
    new_name: str


@dataclass(frozen=True)
class ReplaceValue:
    index: int
    value: cst.BaseExpression


@dataclass(frozen=True)
class RemoveArg:
    index: int


@dataclass(frozen=True)
class AddKeyword:
    name: str
    value: cst.BaseExpression
    after: int | None = None  # insert right after this argument; default: at the end


@dataclass(frozen=True)
class RenameMethod:
    new_name: str


@dataclass(frozen=True)
class AddDictEntry:
    key: str  # written as a string literal in the dict's own quote style
    value: cst.BaseExpression


@dataclass(frozen=True)
class RenameDictKey:
    index: int  # position of the element in the original dict
    key: cst.BaseExpression


CallOp = RenameKeyword | ReplaceValue | RemoveArg | AddKeyword | RenameMethod
DictOp = AddDictEntry | RenameDictKey
#: A statement of a module's body.
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


@dataclass(frozen=True)
class ImportNeed:
    module: str
    name: str
    local: str  # the name the fix's code uses; != name when an alias is needed


@dataclass
class PythonFix:
    """Operations keyed by the original node they change, plus the imports they need."""

    ops: list[tuple[cst.CSTNode, CallOp | DictOp]] = field(default_factory=list)
    imports: list[ImportNeed] = field(default_factory=list)

    def on(self, node: cst.CSTNode, *ops: CallOp | DictOp) -> "PythonFix":
        self.ops.extend((node, op) for op in ops)
        return self


def keyword_index(call: cst.Call, name: str) -> int | None:
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == name:
            return index
    return None


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    index = keyword_index(call, name)
    return None if index is None else call.args[index]


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal (no f-string, no concatenation), else None."""
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value if isinstance(node.evaluated_value, str) else None
    return None


def quote_like(reference: cst.CSTNode | None, value: str) -> cst.SimpleString:
    """A string literal using the quote style of ``reference`` when it is a string, else double quotes."""
    quote = '"'
    if isinstance(reference, cst.SimpleString):
        prefix_free = reference.value.lstrip("rRbBuU")
        if prefix_free.startswith("'") and "'" not in value:
            quote = "'"
    if quote == '"' and '"' in value:
        quote = "'"
    return cst.SimpleString(f"{quote}{value}{quote}")


# --- applying ---------------------------------------------------------------------------------------


def _apply_call_ops(call: cst.Call, ops: list[CallOp]) -> cst.Call:
    renames = {op.index: op.new_name for op in ops if isinstance(op, RenameKeyword)}
    values = {op.index: op.value for op in ops if isinstance(op, ReplaceValue)}
    removed = {op.index for op in ops if isinstance(op, RemoveArg)}
    additions = [op for op in ops if isinstance(op, AddKeyword)]
    last = len(call.args) - 1

    sequence: list[tuple[cst.Arg, str]] = []  # (argument, "last" | "kept" | "new")
    for index, arg in enumerate(call.args):
        if index in renames:
            arg = arg.with_changes(keyword=cst.Name(renames[index]))
        if index in values:
            arg = arg.with_changes(value=values[index])
        if index not in removed:
            sequence.append((arg, "last" if index == last else "kept"))
        sequence.extend((_new_keyword(op), "new") for op in additions if op.after == index)
    sequence.extend((_new_keyword(op), "new") for op in additions if op.after is None or op.after > last)

    func = call.func
    for op in ops:
        if isinstance(op, RenameMethod) and isinstance(func, cst.Attribute):
            func = func.with_changes(attr=cst.Name(op.new_name))
    closing = call.args[-1] if call.args else None
    return call.with_changes(args=_layout(call, sequence, closing), func=func)


def _new_keyword(op: AddKeyword) -> cst.Arg:
    no_space = cst.SimpleWhitespace("")
    return cst.Arg(
        keyword=cst.Name(op.name), value=op.value, equal=cst.AssignEqual(whitespace_before=no_space, whitespace_after=no_space)
    )


def _layout(call: cst.Call, sequence: list[tuple[cst.Arg, str]], closing: cst.Arg | None) -> list[cst.Arg]:
    """Commas and line breaks for the new argument list, in the call's own style.

    Arguments that stay in the middle keep their comma (and any comment on it). The argument that ends the
    list takes the original ending: trailing comma or not, and the line break before ``)``. In a multi-line
    call new arguments go on their own line at the arguments' indentation.
    """
    opening = call.whitespace_before_args if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace) else None
    multiline = opening is not None
    result = []
    for position, (arg, origin) in enumerate(sequence):
        is_last = position == len(sequence) - 1
        if is_last:
            if origin != "last" and closing is not None:
                arg = _as_closing(arg, closing, multiline)
        elif origin != "kept" or not isinstance(arg.comma, cst.Comma):
            arg = _as_middle(arg, opening)
        result.append(arg)
    return result


def _line_break(
    first_line: cst.TrailingWhitespace, empty_lines: Sequence[cst.EmptyLine], last_line: cst.SimpleWhitespace
) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(first_line=first_line, empty_lines=empty_lines, indent=True, last_line=last_line)


def _as_middle(arg: cst.Arg, opening: cst.ParenthesizedWhitespace | None) -> cst.Arg:
    """An argument followed by another: ensure a comma, moving any comment after it onto that comma."""
    if opening is None:
        before = arg.comma.whitespace_before if isinstance(arg.comma, cst.Comma) else cst.SimpleWhitespace("")
        comma = cst.Comma(whitespace_before=before, whitespace_after=cst.SimpleWhitespace(" "))
        return arg.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace(""))
    trailing = arg.comma.whitespace_after if isinstance(arg.comma, cst.Comma) else arg.whitespace_after_arg
    first_line = cst.TrailingWhitespace()
    empty_lines: Sequence[cst.EmptyLine] = ()
    if isinstance(trailing, cst.ParenthesizedWhitespace):
        first_line, empty_lines = trailing.first_line, trailing.empty_lines
    comma = cst.Comma(whitespace_after=_line_break(first_line, empty_lines, opening.last_line))
    return arg.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace(""))


def _as_closing(arg: cst.Arg, closing: cst.Arg, multiline: bool) -> cst.Arg:
    """The new last argument ends the list the way the original last one did."""
    if not multiline:
        return arg.with_changes(comma=closing.comma, whitespace_after_arg=closing.whitespace_after_arg)
    own = arg.comma.whitespace_after if isinstance(arg.comma, cst.Comma) else None
    first_line = own.first_line if isinstance(own, cst.ParenthesizedWhitespace) else cst.TrailingWhitespace()
    empty_lines = own.empty_lines if isinstance(own, cst.ParenthesizedWhitespace) else ()
    if isinstance(closing.comma, cst.Comma) and isinstance(closing.comma.whitespace_after, cst.ParenthesizedWhitespace):
        end = closing.comma.whitespace_after.last_line
        comma = cst.Comma(whitespace_after=_line_break(first_line, empty_lines, end))
        return arg.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace(""))
    if isinstance(closing.whitespace_after_arg, cst.ParenthesizedWhitespace):
        end = closing.whitespace_after_arg.last_line
        return arg.with_changes(
            comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=_line_break(first_line, empty_lines, end)
        )
    return arg.with_changes(comma=closing.comma, whitespace_after_arg=closing.whitespace_after_arg)


def _apply_dict_ops(node: cst.Dict, ops: list[DictOp]) -> cst.Dict:
    elements = list(node.elements)
    for op in ops:
        if isinstance(op, RenameDictKey):
            elements[op.index] = elements[op.index].with_changes(key=op.key)
    additions = [op for op in ops if isinstance(op, AddDictEntry)]
    reference = next((e.key for e in elements if isinstance(e, cst.DictElement)), None)
    separator = next(
        (e.comma for e in elements[:-1] if isinstance(e.comma, cst.Comma)),
        cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
    )
    for addition in additions:
        entry = cst.DictElement(key=quote_like(reference, addition.key), value=addition.value)
        if elements:
            last = elements[-1]
            entry = entry.with_changes(comma=last.comma)
            elements[-1] = last.with_changes(comma=separator)
        elements.append(entry)
    return node.with_changes(elements=elements)


class _ApplyOps(cst.CSTTransformer):
    def __init__(self, ops: dict[int, list]) -> None:
        super().__init__()
        self._ops = ops

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        ops = self._ops.get(id(original_node))
        return _apply_call_ops(updated_node, ops) if ops else updated_node

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        ops = self._ops.get(id(original_node))
        return _apply_dict_ops(updated_node, ops) if ops else updated_node


def apply_fixes(
    module: cst.Module, fixes: list[PythonFix], statement_of: Callable[[cst.CSTNode], int] | None = None
) -> cst.Module:
    """The module with every fix's operations and imports. ``statement_of`` (a changed node -> the index of the
    top-level statement holding it) lets only those statements be rebuilt instead of the whole module."""
    by_node: dict[int, list] = {}
    imports: list[ImportNeed] = []
    for fix in fixes:
        for node, op in fix.ops:
            by_node.setdefault(id(node), []).append(op)
        imports.extend(fix.imports)
    applier = _ApplyOps(by_node)
    if statement_of is None:
        module = module.visit(applier)
    else:
        body = list(module.body)
        for index in sorted({statement_of(node) for fix in fixes for node, _ in fix.ops}):
            changed = body[index].visit(applier)
            assert isinstance(changed, (cst.SimpleStatementLine, cst.BaseCompoundStatement))  # calls/dicts only change
            body[index] = changed
        module = module.with_changes(body=body)
    return add_imports(module, imports)


def render_node_after(module: cst.Module, node: cst.CSTNode, fix: PythonFix) -> str:
    """The source of ``node`` once only ``fix``'s operations on it and its children are applied."""
    by_node: dict[int, list] = {}
    for target, op in fix.ops:
        by_node.setdefault(id(target), []).append(op)
    updated = node.visit(_ApplyOps(by_node))
    # _ApplyOps only replaces calls and dicts by other expressions: it never removes or flattens a node.
    assert isinstance(updated, cst.CSTNode)
    return module.code_for_node(updated)


# --- imports ----------------------------------------------------------------------------------------


def add_imports(module: cst.Module, needs: list[ImportNeed]) -> cst.Module:
    """Add each needed ``from M import N [as L]`` once: extend an existing ``from M import ...`` when there
    is one at the top level, else insert a new statement after the last top-level import."""
    pending: dict[tuple[str, str, str], ImportNeed] = {}
    for need in needs:
        pending.setdefault((need.module, need.name, need.local), need)
    if not pending:
        return module
    body = list(module.body)
    for need in pending.values():
        body = _add_one_import(body, need)
    return module.with_changes(body=body)


def _alias(need: ImportNeed) -> cst.ImportAlias:
    asname = None if need.local == need.name else cst.AsName(name=cst.Name(need.local))
    return cst.ImportAlias(name=cst.Name(need.name), asname=asname)


def _add_one_import(body: list[Statement], need: ImportNeed) -> list[Statement]:
    last_import = -1
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine):
            if last_import >= 0:
                break
            continue
        for small in statement.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                last_import = index
            if (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
                and cst.Module(body=[]).code_for_node(small.module) == need.module
                and not isinstance(small.names, cst.ImportStar)
            ):
                if any(_bound_name(a) == need.local for a in small.names):
                    return body
                names = list(small.names)
                names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                trailing = small.names[-1].comma
                new_alias = _alias(need).with_changes(comma=trailing)
                if isinstance(trailing, cst.Comma) and small.lpar is not None:
                    names[-1] = names[-1].with_changes(comma=trailing)  # parenthesised multi-line form
                names.append(new_alias)
                new_small = small.with_changes(names=names)
                new_statement = statement.with_changes(
                    body=[new_small if s is small else s for s in statement.body]
                )
                return body[:index] + [new_statement] + body[index + 1 :]
    new_import = cst.SimpleStatementLine(
        body=[cst.ImportFrom(module=_dotted(need.module), names=[_alias(need)])]
    )
    insert_at = last_import + 1 if last_import >= 0 else _after_docstring(body)
    return body[:insert_at] + [new_import] + body[insert_at:]


def _bound_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return cst.Module(body=[]).code_for_node(alias.name)


def _dotted(module: str) -> cst.Attribute | cst.Name:
    parts = module.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _after_docstring(body: Sequence[Statement]) -> int:
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr):
        if isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            return 1
    return 0
