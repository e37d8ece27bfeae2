"""Shell text: every command line in it that starts a vLLM server."""

from __future__ import annotations

from codemod.argv.quoting import render_shell_words
from codemod.argv.scan import scan_argv_tokens
from codemod.argv.shell_lexer import shell_tokens
from codemod.edits import LineIndex
from codemod.finding import Finding
from codemod.options import Options


def scan_shell_text(
    text: str,
    path: str,
    options: Options,
    index: LineIndex | None = None,
    start: int = 0,
    end: int | None = None,
) -> list[Finding]:
    """Findings for the shell commands in ``text[start:end]``.

    Locations are rows and columns of ``text`` (pass ``index`` when one is already built on it).
    Callers that scan a part of a larger file, or a file with non-shell lines in between, blank
    those parts out with spaces of the same length first, so that offsets still match the file.
    """
    index = index or LineIndex(text)
    findings: list[Finding] = []
    for command in shell_tokens(text, index, start, end):
        findings.extend(scan_argv_tokens(command, path, options, render_shell_words))
    return findings
