"""Shell text: every command line in it that starts a vLLM server, including ``sh -c '...'`` scripts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words, render_within
from vllm_pooling_migrate.codemod.argv.scan import scan_argv_tokens
from vllm_pooling_migrate.codemod.argv.shell_lexer import ShellWord, split_commands
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.options import Options

SHELL_PROGRAMS = frozenset({"sh", "bash", "zsh", "dash", "ash", "ksh"})
_COMMAND_OPTION = re.compile(r"-[a-z]*c[a-z]*")  # -c, -lc, -ec, -exc ...


def script_argument(values: Sequence[str | None]) -> int | None:
    """Index of the script in ``sh -c SCRIPT ...`` (any shell, any path, options like ``-lc``), else None."""
    for i in range(len(values) - 2):
        program, option = values[i], values[i + 1]
        if program and program.rsplit("/", 1)[-1] in SHELL_PROGRAMS and option and _COMMAND_OPTION.fullmatch(option):
            return i + 2
    return None


def verbatim_inside_quotes(text: str, word: ShellWord) -> bool:
    """True when a quoted word's characters between its quotes are exactly its value (offsets carry over)."""
    inner = text[word.start + 1 : word.end - 1]
    return bool(word.quote) and text[word.end - 1 : word.end] == word.quote and inner == word.value


def scan_shell_text(
    text: str,
    path: str,
    options: Options,
    index: LineIndex | None = None,
    start: int = 0,
    end: int | None = None,
    render: Renderer = render_shell_words,
    statement_rows: tuple[int, int] | None = None,
) -> list[Finding]:
    """Findings for the shell commands in ``text[start:end]``, and in the scripts of ``sh -c '...'``.

    Locations are rows and columns of ``text`` (pass ``index`` when one is already built on it).
    Callers that scan a part of a larger file, or a file with non-shell lines in between, blank
    those parts out with spaces of the same length first, so that offsets still match the file.
    ``render`` writes replacement words; pass one that escapes them when the shell text itself
    sits inside a quoted string (see ``codemod.argv.quoting.render_within``).
    """
    index = index or LineIndex(text)
    findings: list[Finding] = []
    for words in split_commands(text, start, end):
        tokens = [
            ArgToken(w.value, index.location(w.start), index.location(w.end), w.quote, raw=text[w.start : w.end])
            for w in words
        ]
        rows = statement_rows or (tokens[0].start.row, tokens[-1].end.row)
        findings.extend(scan_argv_tokens(tokens, path, options, render, statement_rows=rows))
        script = script_argument([w.value for w in words])
        if script is not None and verbatim_inside_quotes(text, words[script]):
            word = words[script]
            inner = render_within(render, "shell", word.quote)
            findings.extend(scan_shell_text(text, path, options, index, word.start + 1, word.end - 1, inner, rows))
    return findings
