"""Markdown: fenced shell blocks through the argv scanner, fenced Python blocks through the engine.

Shell blocks are ``bash``, ``sh``, ``shell``, ``zsh`` and ``console``; a ``$ `` prompt is not part
of the command, and in ``console`` blocks only prompt lines (and their continuations) are
commands, the rest is output. Python blocks that do not parse are skipped: documentation is full
of fragments (``...``), and a fragment is not a broken file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vllm_pooling_migrate.codemod.argv import scan_commands, shell_commands
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.formats.embedded_python import CheckPython, check_embedded, shift_rows
from vllm_pooling_migrate.codemod.formats.fixing import check_and_fix, visible_findings
from vllm_pooling_migrate.codemod.formats.masking import keep_only
from vllm_pooling_migrate.codemod.options import Options

SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession"})
PYTHON_LANGUAGES = frozenset({"python", "py", "python3"})
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*\{?\.?([\w+-]*)")
_PROMPT = re.compile(r"^[ \t]*\$ ")


@dataclass(frozen=True)
class Block:
    language: str
    start: int  # offset of the first content line
    end: int  # offset of the closing fence line (or the end of the text)
    first_row: int  # 1-based row of the first content line


def fenced_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    offset, row = 0, 1
    opened: tuple[str, str, int, int] | None = None  # (fence, language, content start, content row)
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if opened is None and match:
            opened = (match.group(1), match.group(2).lower(), offset + len(line), row + 1)
        elif opened is not None and match and match.group(1).startswith(opened[0]) and not match.group(2):
            blocks.append(Block(opened[1], opened[2], offset, opened[3]))
            opened = None
        offset += len(line)
        row += 1
    if opened is not None:
        blocks.append(Block(opened[1], opened[2], len(text), opened[3]))
    return blocks


def _shell_regions(text: str, block: Block) -> list[tuple[int, int]]:
    """The command text of a shell block: prompts left out, console output left out."""
    regions: list[tuple[int, int]] = []
    offset = block.start
    continuing = False
    for line in text[block.start : block.end].splitlines(keepends=True):
        prompt = _PROMPT.match(line)
        if prompt:
            regions.append((offset + prompt.end(), offset + len(line)))
        elif block.language != "console" or continuing:
            regions.append((offset, offset + len(line)))
        continuing = (bool(prompt) or continuing) and line.rstrip("\r\n").endswith("\\")
        offset += len(line)
    return regions


def find_in_shell_blocks(text: str, path: str, options: Options) -> list[Finding]:
    blocks = [b for b in fenced_blocks(text) if b.language in SHELL_LANGUAGES]
    if not blocks:
        return []
    masked = keep_only(text, [region for block in blocks for region in _shell_regions(text, block)])
    return scan_commands(shell_commands(masked), path=path, options=options)


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
        if block.language not in PYTHON_LANGUAGES:
            continue
        source = current[block.start : block.end]
        result = check_embedded(source, path, options, check_python)
        if result.error:
            continue
        rows = block.first_row - 1
        python_findings.extend(shift_rows(f, rows, path=path) for f in result.findings)
        python_applied.extend(shift_rows(f, rows, path=path) for f in result.applied)
        python_remaining.extend(shift_rows(f, rows + row_shift, path=path) for f in result.remaining)
        if result.fixed_source is not None:
            pieces.append(current[cursor : block.start] + result.fixed_source)
            cursor = block.end
            row_shift += result.fixed_source.count("\n") - source.count("\n")
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
