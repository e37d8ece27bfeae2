"""A small POSIX-shell word splitter that remembers where every word lies in the source.

``shlex`` loses positions, so this follows the same quoting rules by hand: single quotes are
literal, double quotes honour ``\\`` before ``"``, ``\\``, ``$``, `````, and newline, an unquoted
backslash escapes the next character and ``\\``+newline joins lines. Commands are split at newlines
and at ``;``, ``&``, ``|``, ``&&``, ``||``, ``(`` and ``)``; ``#`` at the start of a word begins a
comment. ``$(...)`` and backquotes stay inside their word. Heredoc bodies are not recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from vllm_pooling_migrate.codemod.argv.tokens import ArgToken
from vllm_pooling_migrate.codemod.edits import LineIndex

_OPERATOR_CHARS = ";&|()"
_DOUBLE_QUOTE_ESCAPES = '"\\$`\n'


@dataclass(frozen=True)
class ShellWord:
    value: str
    start: int  # offset of the first character of the word's source text
    end: int  # offset just after it
    quote: str  # the quote that opens the word ("'", '"') or "" when it starts bare


def split_commands(text: str, start: int = 0, end: int | None = None) -> list[list[ShellWord]]:
    """Split ``text[start:end]`` into commands, each a list of words with offsets into ``text``."""
    end = len(text) if end is None else end
    commands: list[list[ShellWord]] = []
    current: list[ShellWord] = []
    i = start
    while i < end:
        char = text[i]
        if char == "\\" and text.startswith("\n", i + 1, end):
            i += 2
        elif char == "\\" and text.startswith("\r\n", i + 1, end):  # CRLF files (Dockerfiles written on Windows)
            i += 3
        elif char == "\n" or char in _OPERATOR_CHARS:
            if current:
                commands.append(current)
                current = []
            i += 1
        elif char in " \t\r":
            i += 1
        elif char == "#":
            newline = text.find("\n", i, end)
            i = end if newline == -1 else newline
        else:
            word, i = _read_word(text, i, end)
            current.append(word)
    if current:
        commands.append(current)
    return commands


def _read_word(text: str, i: int, end: int) -> tuple[ShellWord, int]:
    start = i
    quote = text[i] if text[i] in "'\"" else ""
    value: list[str] = []
    depth = 0  # nesting of $( ... ) inside the word
    while i < end:
        char = text[i]
        if char == "'":
            close = text.find("'", i + 1, end)
            close = end if close == -1 else close
            value.append(text[i + 1 : close])
            i = close + 1
        elif char == '"':
            i += 1
            while i < end and text[i] != '"':
                if text[i] == "\\" and i + 1 < end and text[i + 1] in _DOUBLE_QUOTE_ESCAPES:
                    if text[i + 1] != "\n":
                        value.append(text[i + 1])
                    i += 2
                else:
                    value.append(text[i])
                    i += 1
            i += 1
        elif char == "\\" and i + 1 < end:
            if text[i + 1] == "\n" or text.startswith("\r\n", i + 1, end):
                i += 2 if text[i + 1] == "\n" else 3
                continue
            value.append(text[i + 1])
            i += 2
        elif char == "$" and text.startswith("$(", i):
            depth += 1
            value.append("$(")
            i += 2
        elif char == ")" and depth:
            depth -= 1
            value.append(char)
            i += 1
        elif depth == 0 and (char in " \t\r\n" or char in _OPERATOR_CHARS):
            break
        else:
            value.append(char)
            i += 1
    return ShellWord("".join(value), start, min(i, end), quote), min(i, end)


def shell_tokens(text: str, index: LineIndex, start: int = 0, end: int | None = None) -> list[list[ArgToken]]:
    """The commands of ``text[start:end]`` as ArgTokens located through ``index`` (built on ``text``)."""
    return [
        [
            ArgToken(w.value, index.location(w.start), index.location(w.end), w.quote, raw=text[w.start : w.end])
            for w in command
        ]
        for command in split_commands(text, start, end)
    ]
