"""Shell commands written as one Python string: ``os.system("vllm serve M --task embed")``,
``subprocess.Popen(cmd, shell=True)`` with ``cmd = f"vllm serve {model} --task embed"``, a usage line in a docstring.

A string is read as shell text when it names vLLM's server (``vllm serve``, ``vllm.entrypoints.openai.api_server``)
and holds a flag; only commands that name vLLM count (a help text that mentions ``--task embed`` is not a command).
Its characters must be written verbatim between the quotes, so that offsets in it are the file's: a string with
escapes, or an f-string with ``{{``/``}}``, is left alone. An f-string's ``{expression}`` fields are words the
command-line rules never match as values; a fix that would touch one is not offered (see ``_touches_field``).
Strings that are elements of a list read as an argv list are left to it (``["bash", "-c", "vllm serve ..."]``).
"""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst

from vllm_pooling_migrate.codemod.argv import scan_commands
from vllm_pooling_migrate.codemod.argv.command import Command, Script, shell_commands
from vllm_pooling_migrate.codemod.argv.quoting import escape_for
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding, Location
from vllm_pooling_migrate.codemod.python.rule import FileContext

#: A vLLM server command in a string: ``vllm serve`` or the API server module.
_NAMES_SERVER = re.compile(r"\bvllm\s+serve\b|vllm\.entrypoints\.openai\.api_server")


def is_command_string(node: cst.SimpleString | cst.FormattedString) -> bool:
    """Cheap test, during the traversal: the string's text names vLLM's server and holds a flag."""
    raw = node.raw_value if isinstance(node, cst.SimpleString) else "".join(
        p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
    return "--" in raw and _NAMES_SERVER.search(raw) is not None


def string_command_findings(context: FileContext, nodes: list[cst.SimpleString | cst.FormattedString],
                            index: LineIndex) -> list[Finding]:
    code = context.module.code
    commands: list[Command] = []
    fields: list[tuple[int, int]] = []  # offsets of f-string fields
    for node in nodes:
        script = _script(context, code, index, node)
        if script is None:
            continue
        if isinstance(node, cst.FormattedString):
            fields.extend(_fields(context, index, node))
        rows = context.statement_rows(node)
        found = shell_commands(script.text, index=script.index, start=script.start, end=script.end,
                               escape=script.escape, rows=rows)
        commands.extend(replace(command, start=None) for command in found)  # vLLM must be named
    findings = scan_commands(commands, path=context.path, options=context.options) if commands else []
    return [_without_fix_on_fields(f, fields, index) for f in findings]


def _fields(context: FileContext, index: LineIndex, node: cst.FormattedString) -> list[tuple[int, int]]:
    out = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringExpression):
            where = context.position(part)
            out.append((_offset(index, where.start), _offset(index, where.end)))
    return out


def _without_fix_on_fields(finding: Finding, fields: list[tuple[int, int]], index: LineIndex) -> Finding:
    """A fix whose edits reach into an f-string's ``{expression}`` would rewrite code: report it instead."""
    if finding.fix is None or not fields:
        return finding
    for edit in finding.fix.edits:
        start, end = index.offset(edit.location), index.offset(edit.end_location)
        if any(start < field_end and field_start < max(end, start + 1) for field_start, field_end in fields):
            return replace(finding, fix=None, unfixable_reason="the change would touch an f-string field: edit it by hand")
    return finding


def _offset(index: LineIndex, where: cst.metadata.CodePosition) -> int:
    return index.offset(Location(where.line, where.column + 1))


def _script(context: FileContext, code: str, index: LineIndex, node: cst.SimpleString | cst.FormattedString) -> Script | None:
    where = context.position(node)
    start, end = _offset(index, where.start), _offset(index, where.end)
    if isinstance(node, cst.SimpleString):
        if not isinstance(node.evaluated_value, str) or node.raw_value != node.evaluated_value:
            return None  # escapes: offsets inside the value are not the file's
        opening = len(node.prefix) + len(node.quote)
        quote = node.quote
    else:
        if "b" in node.prefix.lower() or any(isinstance(p, cst.FormattedStringText) and
                                             ("{{" in p.value or "}}" in p.value or "\\" in p.value)
                                             for p in node.parts):
            return None
        opening = len(node.start)
        quote = node.end
    body_start, body_end = start + opening, end - len(quote)
    if body_end <= body_start or code[body_end:end] != quote:
        return None
    return Script(code, index, body_start, body_end, escape_for("python", quote[0]))
