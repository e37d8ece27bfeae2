"""A small POSIX-shell word splitter that remembers where every word lies in the source.

``shlex`` loses positions, so this follows the same quoting rules by hand: single quotes are
literal, double quotes honour ``\\`` before ``"``, ``\\``, ``$``, `````, and newline, an unquoted
backslash escapes the next character and ``\\``+newline joins lines. Commands are split at newlines
and at ``;``, ``&``, ``|``, ``&&``, ``||``, ``(`` and ``)``; ``#`` at the start of a word begins a
comment. ``$(...)`` and backquotes stay inside their word. Heredoc bodies are not recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, ValueSource
from vllm_pooling_migrate.codemod.edits import LineIndex

_OPERATOR_CHARS = ";&|()"
_DOUBLE_QUOTE_ESCAPES = '"\\$`\n'


@dataclass(frozen=True)
class ShellWord:
    value: str
    start: int  # offset of the first character of the word's source text
    end: int  # offset just after it
    quote: str  # the quote that opens the word ("'", '"') or "" when it starts bare
    #: Only for a word with expansions: the offset of each value character written as itself (-1 for an escaped
    #: one), and the value spans the shell expands (``$NAME``, ``${...}``, ``$(...)`` outside single quotes).
    positions: tuple[int, ...] = ()
    expansions: tuple[tuple[int, int], ...] = ()


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
    where: list[int] = []  # the offset each value character is written at; -1 for an escaped one
    live: list[int] = []  # value indices of a ``$`` the shell expands
    depth = 0  # nesting of $( ... ) inside the word

    def put(char: str, at: int) -> None:
        value.append(char)
        where.append(at)

    while i < end:
        char = text[i]
        if char == "'":
            close = text.find("'", i + 1, end)
            close = end if close == -1 else close
            for k in range(i + 1, close):
                put(text[k], k)
            i = close + 1
        elif char == '"':
            i += 1
            while i < end and text[i] != '"':
                if text[i] == "\\" and i + 1 < end and text[i + 1] in _DOUBLE_QUOTE_ESCAPES:
                    if text[i + 1] != "\n":
                        put(text[i + 1], -1)
                    i += 2
                else:
                    if text[i] in "$`":
                        live.append(len(value))
                    put(text[i], i)
                    i += 1
            i += 1
        elif char == "\\" and i + 1 < end:
            if text[i + 1] == "\n" or text.startswith("\r\n", i + 1, end):
                i += 2 if text[i + 1] == "\n" else 3
                continue
            put(text[i + 1], -1)
            i += 2
        elif char == "$" and text.startswith("$(", i):
            depth += 1
            live.append(len(value))
            put("$", i)
            put("(", i + 1)
            i += 2
        elif char == ")" and depth:
            depth -= 1
            put(char, i)
            i += 1
        elif depth == 0 and (char in " \t\r\n" or char in _OPERATOR_CHARS):
            break
        else:
            if char in "$`":
                live.append(len(value))
            put(char, i)
            i += 1
    text_value = "".join(value)
    spans = tuple(span for span in (expansion_at(text_value, k) for k in live) if span is not None)
    positions = tuple(where) if spans else ()
    return ShellWord(text_value, start, min(i, end), quote, positions, spans), min(i, end)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")


def expansion_at(value: str, k: int) -> tuple[int, int] | None:
    """The span of the expansion that the ``$`` (or backquote) at ``value[k]`` starts (``$NAME``, ``${...}``,
    ``$(...)``, ```...```), if any."""
    if value[k] == "`":
        close = value.find("`", k + 1)
        return (k, close + 1) if close != -1 else None
    following = value[k + 1 : k + 2]
    if following in ("{", "("):
        closing = "}" if following == "{" else ")"
        depth, j = 0, k + 1
        while j < len(value):
            if value[j] == following:
                depth += 1
            elif value[j] == closing:
                depth -= 1
                if depth == 0:
                    return k, j + 1
            j += 1
        return None
    match = _NAME.match(value, k + 1)
    return (k, match.end()) if match else None


def word_token(word: ShellWord, text: str, index: LineIndex) -> ArgToken:
    """``word`` of ``text`` as an ArgToken located through ``index`` (built on ``text``)."""
    source = None
    if word.expansions:
        positions = tuple(index.location(at) if at >= 0 else None for at in word.positions)
        source = ValueSource(positions, word.expansions)
    return ArgToken(
        word.value, index.location(word.start), index.location(word.end), word.quote, raw=text[word.start : word.end],
        source=source,
    )


def shell_tokens(text: str, index: LineIndex, start: int = 0, end: int | None = None) -> list[list[ArgToken]]:
    """The commands of ``text[start:end]`` as ArgTokens located through ``index`` (built on ``text``)."""
    return [[word_token(w, text, index) for w in command] for command in split_commands(text, start, end)]
