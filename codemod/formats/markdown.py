"""Markdown: fenced shell blocks through the argv scanner, fenced Python blocks through the engine.

Shell blocks are ``bash``, ``sh``, ``shell``, ``zsh`` and ``console``; a ``$ `` prompt is not part
of the command, and in ``console`` blocks only prompt lines (and their continuations) are
commands, the rest is output. Python blocks that do not parse are skipped: documentation is full
of fragments (``...``), and a fragment is not a broken file.

A fence without a language tag is read as shell when a line of it is a vLLM command (``vllm serve``,
``python -m vllm.entrypoints...``, ``docker run ... vllm/vllm-openai``), as Python when it parses and imports
vLLM, and is skipped otherwise. A fence inside a ``>`` blockquote is read without the quote prefix, at the file's
rows and columns; its findings are reported without fixes.

Fences may be indented (inside list items, or under MkDocs content tabs ``=== "Tab"``): a Python block's
lines are checked without the fence's indentation and written back with it. A Python block that uses
``LLM``/``PoolerConfig``/... without importing them, in a document about vLLM, is checked with vLLM's
imports in front (a doc snippet leaves them out); fixes then use those names without adding imports. Rows in
findings, and the line numbers inside their messages, are the file's.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace

from vllm_pooling_migrate.codemod.argv import scan_commands, shell_commands
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.formats.embedded_python import CheckPython, check_embedded, relocate
from vllm_pooling_migrate.codemod.formats.fixing import check_and_fix, visible_findings
from vllm_pooling_migrate.codemod.formats.masking import keep_only
from vllm_pooling_migrate.codemod.formats.pins import installed_pin, pinned
from vllm_pooling_migrate.codemod.formats.shell_variables import with_variables
from vllm_pooling_migrate.codemod.options import Options

SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession"})
PYTHON_LANGUAGES = frozenset({"python", "py", "python3"})
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*\{?\.?([\w+-]*)")
_PROMPT = re.compile(r"^[ \t]*\$ ")


@dataclass(frozen=True)
class Block:
    language: str
    start: int  # offset of the first content line
    end: int  # offset of the closing fence line (or the end of the text)
    first_row: int  # 1-based row of the first content line
    indent: str = ""  # the fence's indentation (a block inside a list item or a content tab), after any quote prefix
    quoted: bool = False  # inside a ``>`` blockquote: every line carries the quote prefix, which is not content


_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?")


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced block, also one inside a ``>`` blockquote (its ``indent`` then starts with the quote prefix).

    A quoted block ends at its closing fence or at the first line without the quote prefix.
    """
    blocks: list[Block] = []
    offset, row = 0, 1
    opened: tuple[str, str, int, int, str, bool] | None = None  # (fence, language, start, row, indent, quoted)
    for line in text.splitlines(keepends=True):
        quote = _QUOTE.match(line)
        if opened is not None and opened[5] and not quote:
            blocks.append(Block(opened[1], opened[2], offset, opened[3], opened[4], True))
            opened = None
        prefix = quote.group(0) if quote else ""
        match = _FENCE.match(line[len(prefix):])
        if opened is None and match:
            indent = (prefix.rstrip(" \t") + " " if prefix else "") + match.group(1)
            opened = (match.group(2), match.group(3).lower(), offset + len(line), row + 1, indent, bool(prefix))
        elif (opened is not None and match and match.group(2).startswith(opened[0]) and not match.group(3)
              and bool(prefix) == opened[5]):
            blocks.append(Block(opened[1], opened[2], offset, opened[3], opened[4], opened[5]))
            opened = None
        offset += len(line)
        row += 1
    if opened is not None:
        blocks.append(Block(opened[1], opened[2], len(text), opened[3], opened[4], opened[5]))
    return blocks


#: A logical line of an untagged block that is a vLLM command: ``vllm serve``, ``python -m vllm.entrypoints...``,
#: or ``docker run ... vllm/vllm-openai`` (after optional ``$ ``, ``VAR=value`` and ``nohup``/``sudo``/``exec``).
_VLLM_COMMAND_LINE = re.compile(
    r"^[ \t]*(?:\$[ \t]+)?(?:[A-Za-z_]\w*=\S*[ \t]+)*(?:(?:nohup|sudo|exec)[ \t]+)*"
    r"(?:vllm[ \t]+serve\b|python[\d.]*[ \t]+-m[ \t]+vllm\.entrypoints\.|docker[ \t]+run\b.*\bvllm/vllm-openai\b)",
    re.MULTILINE,
)
_IMPORTS_VLLM = re.compile(r"^[ \t]*(?:from[ \t]+vllm\b|import[ \t]+vllm\b)", re.MULTILINE)


def untagged_language(source: str) -> str:
    """The language an untagged block is read as: ``shell`` for vLLM commands, ``python`` for Python that
    imports vLLM, ``""`` (skipped) otherwise."""
    if _VLLM_COMMAND_LINE.search(re.sub(r"\\\r?\n", " ", source)):
        return "shell"
    if _IMPORTS_VLLM.search(source):
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            return ""
        return "python"
    return ""


def block_language(text: str, block: Block) -> str:
    if block.language:
        return block.language
    return untagged_language(dedent(text[block.start : block.end], block.indent)[0])


def dedent(source: str, indent: str) -> tuple[str, list[int]]:
    """The block's lines without the fence's indentation, and how many characters each line lost."""
    lines, removed = [], []
    for line in source.splitlines(keepends=True):
        count = 0
        while count < len(indent) and count < len(line) and line[count] == indent[count]:
            count += 1
        lines.append(line[count:])
        removed.append(count)
    return "".join(lines), removed


def reindent(source: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in source.splitlines(keepends=True))


#: vLLM's names a documentation snippet uses without importing them, and where a prelude imports them from.
SNIPPET_NAMES = {"LLM": "vllm", "PoolingParams": "vllm", "EngineArgs": "vllm", "AsyncEngineArgs": "vllm",
                 "PoolerConfig": "vllm.config"}
_PRELUDE_MARK = "  # migrate-pooling: snippet prelude"
_ABOUT_VLLM = re.compile(r"vllm", re.IGNORECASE)


def snippet_prelude(source: str, document: str) -> str:
    """Import lines for the vLLM names a Python block uses without binding them, in a document about vLLM.

    ``PoolerConfig`` comes along whenever a prelude is needed, so that a fix pinning a task uses the snippet's
    style (no import) instead of adding one.
    """
    if not _ABOUT_VLLM.search(document):
        return ""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    bound: set[str] = set()
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    free = sorted(name for name in SNIPPET_NAMES if name in used and name not in bound)
    if not free:
        return ""
    if "PoolerConfig" not in bound and "PoolerConfig" not in free:
        free.append("PoolerConfig")
    lines = []
    for module in ("vllm", "vllm.config"):
        names = [name for name in free if SNIPPET_NAMES[name] == module]
        if names:
            lines.append(f"from {module} import {', '.join(names)}{_PRELUDE_MARK}\n")
    return "".join(lines)


def _shell_regions(text: str, block: Block, language: str) -> list[tuple[int, int]]:
    """The command text of a shell block: prompts left out, console output left out, quote prefixes left out."""
    regions: list[tuple[int, int]] = []
    offset = block.start
    continuing = False
    _, removed = dedent(text[block.start : block.end], block.indent if block.quoted else "")
    for line, skip in zip(text[block.start : block.end].splitlines(keepends=True), removed):
        offset += skip
        line = line[skip:]
        prompt = _PROMPT.match(line)
        if prompt:
            regions.append((offset + prompt.end(), offset + len(line)))
        elif language != "console" or continuing:
            regions.append((offset, offset + len(line)))
        continuing = (bool(prompt) or continuing) and line.rstrip("\r\n").endswith("\\")
        offset += len(line)
    return regions


_QUOTED_REPORT_ONLY = "inside a Markdown blockquote: fix it by hand"


def find_in_shell_blocks(text: str, path: str, options: Options) -> list[Finding]:
    blocks = [(b, language) for b in fenced_blocks(text) if (language := block_language(text, b)) in SHELL_LANGUAGES]
    if not blocks:
        return []
    masked = keep_only(text, [region for block, language in blocks for region in _shell_regions(text, block, language)])
    commands = pinned(with_variables(shell_commands(masked)), installed_pin(masked))
    found = scan_commands(commands, path=path, options=options)
    quoted = [(b.start, b.end) for b, _ in blocks if b.quoted]
    if not quoted:
        return found
    rows = [text.count("\n", 0, start) + 1 for start, _ in quoted]
    ends = [text.count("\n", 0, end) + 1 for _, end in quoted]
    return [replace(f, fix=None, unfixable_reason=_QUOTED_REPORT_ONLY)
            if f.fix and any(r <= f.location.row < e for r, e in zip(rows, ends)) else f for f in found]


def scan_markdown(path: str, text: str, options: Options, check_python: CheckPython) -> FileResult:
    """Shell blocks first (fixed until stable), then each Python block through the engine.

    Python findings are located in the text as it is after the shell fixes (the same rows unless
    a shell fix added or removed lines); ``remaining`` is located in the final text.
    """
    shell = check_and_fix(text, path, options, lambda current: find_in_shell_blocks(current, path, options))
    current = shell.fixed_source or text
    python_findings: list[Finding] = []
    python_applied: list[Finding] = []
    python_remaining: list[Finding] = []
    pieces: list[str] = []
    cursor, row_shift = 0, 0
    for block in fenced_blocks(current):
        if block_language(current, block) not in PYTHON_LANGUAGES:
            continue
        written = current[block.start : block.end]
        source, removed = dedent(written, block.indent)
        prelude = snippet_prelude(source, current)
        extra = prelude.count("\n")
        result = check_embedded(prelude + source, path, options, check_python)
        if result.error:
            continue
        fixed = None if block.quoted else result.fixed_source  # a quoted block: report only
        if fixed is not None and prelude:
            fixed = fixed[len(prelude):] if fixed.startswith(prelude) else None  # a fix that moved the prelude: none
        rows = block.first_row - 1 - extra

        def columns(row: int, removed: list[int] = removed, extra: int = extra) -> int:
            index = row - extra - 1
            return removed[index] if 0 <= index < len(removed) else 0

        def mapper(row: int, first: int = block.first_row, extra: int = extra, shift: int = 0) -> tuple[None, int] | None:
            return None if row <= extra else (None, row - extra + first - 1 + shift)

        def place(found: list[Finding], shift: int = 0, quoted: bool = block.quoted) -> list[Finding]:
            placed = [relocate(f, rows + shift, lambda r: mapper(r, shift=shift), block.indent, columns, path=path)
                      for f in found if f.location.row > extra]
            if quoted:
                placed = [replace(f, fix=None, unfixable_reason=_QUOTED_REPORT_ONLY) if f.fix else f for f in placed]
            return placed

        python_findings.extend(place(result.findings))
        if fixed is not None:
            python_applied.extend(place(result.applied))
        python_remaining.extend(place(result.remaining if fixed is not None else result.findings, row_shift))
        if fixed is not None:
            new = reindent(fixed, block.indent)
            pieces.append(current[cursor : block.start] + new)
            cursor = block.end
            row_shift += new.count("\n") - written.count("\n")
    final = "".join(pieces) + current[cursor:]
    findings = sorted(shell.findings + python_findings, key=Finding.sort_key)
    if not options.fix:
        return FileResult(path, findings)
    shell_remaining = shell.remaining
    if final != current:  # rows of shell findings below a rewritten Python block moved
        shell_remaining = visible_findings(final, lambda t: find_in_shell_blocks(t, path, options), options)
    return FileResult(
        path,
        findings,
        fixed_source=final if final != text else None,
        applied=shell.applied + python_applied,
        remaining=sorted(shell_remaining + python_remaining, key=Finding.sort_key),
    )
