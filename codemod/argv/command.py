"""The one entry point from any file kind to the command-line rules: :func:`scan_commands`.

A file kind finds the commands in its text (a shell script's lines, a Dockerfile's RUN/CMD, a Kubernetes
``command:``/``args:``, a ``--config`` file, a Python argv list) and hands each over as a :class:`Command`: its
tokens, the :class:`Writer` that writes edits in its style, and how to find the text of a ``sh -c SCRIPT`` argument.
``scan_commands`` runs every active rule once per vLLM invocation, and scans ``sh -c`` scripts as shell text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from vllm_pooling_migrate.codemod.argv.client_tasks import ClientTasks
from vllm_pooling_migrate.codemod.argv.comma_args import CommaListWriter, comma_argv
from vllm_pooling_migrate.codemod.argv.invocation import (
    pooling_args_start,
    script_argument,
    token_values,
    vllm_args_start,
)
from vllm_pooling_migrate.codemod.argv.quoting import Escape, escape_for, no_escape, shell_renderer, within
from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan, Pin
from vllm_pooling_migrate.codemod.argv.shell_lexer import split_commands, word_token
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken
from vllm_pooling_migrate.codemod.argv.writer import CommandLineWriter, Writer
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.options import Options


@dataclass(frozen=True)
class Script:
    """The script of ``sh -c SCRIPT`` where it lies in the file: ``text[start:end]``, located through ``index``.

    ``text`` is the file (or a copy with other parts blanked, offsets kept); ``escape`` is how words written into
    the script are escaped for the string that holds it.
    """

    text: str
    index: LineIndex
    start: int
    end: int
    escape: Escape = no_escape


#: Finds the script held by a ``sh -c`` argument token, or None when its text cannot be located verbatim.
ScriptFinder = Callable[[ArgToken], "Script | None"]


@dataclass(frozen=True)
class Command:
    """One command (or argv list) of a file, as its file kind found it."""

    tokens: Sequence[ArgToken]
    writer: Writer
    #: Where vLLM's arguments begin when the command does not name vLLM itself (a container whose image runs
    #: the server, a ``--config`` file): used when neither ``vllm serve``-like words nor a ``sh -c`` are found.
    start: int | None = None
    rows: tuple[int, int] | None = None  # the enclosing statement's rows, when wider than the tokens
    script: ScriptFinder | None = None
    pin: Pin | None = None  # the vLLM release the file (or container) pins: fixes go only as far as it allows
    clients: ClientTasks | None = None  # a Python file's one server: the tasks its own clients request of it


COMMA_LIST_WRITER = CommaListWriter()


def scan_commands(commands: Iterable[Command], *, path: str, options: Options) -> list[Finding]:
    """Findings of the active command-line rules in ``commands`` (and in their ``sh -c`` scripts).

    Every finding spans its flag and value and carries the command's rows (or what its writer says), so a
    ``# noqa`` on any of them suppresses it; suppression is the caller's job. Only the rules active at the
    target version run (``Rule.active``): the one version gate.
    """
    from vllm_pooling_migrate.codemod.rules import rules_of_kind  # the rule modules import this package

    rules = [rule() for rule in rules_of_kind(CommandLineRule) if rule.active(options)]
    findings: list[Finding] = []
    if rules:
        for command in commands:
            findings.extend(_scan(command, path, options, rules))
    return findings


def _scan(command: Command, path: str, options: Options, rules: Sequence[CommandLineRule]) -> list[Finding]:
    tokens = command.tokens
    if not tokens:
        return []
    rows = command.rows or (tokens[0].start.row, tokens[-1].end.row)
    values = token_values(tokens)
    findings: list[Finding] = []
    at = script_argument(values)
    script = command.script(tokens[at]) if at is not None and command.script is not None else None
    if script is not None:
        for inner in shell_commands(script.text, index=script.index, start=script.start, end=script.end,
                                    escape=script.escape, rows=rows):
            findings.extend(_scan(replace(inner, pin=command.pin), path, options, rules))
    deployed = comma_argv(tokens)  # ``gcloud run deploy --args=-m,vllm...,--task=embed``
    if deployed:
        findings.extend(_scan(Command(deployed, COMMA_LIST_WRITER, rows=rows, pin=command.pin), path, options, rules))
        return findings
    start = vllm_args_start(values)
    if start is None and at is None:
        start = command.start
    if start is not None:
        scan = ArgvScan(tokens, start, path, options, command.writer, rows, command.pin, command.clients)
        for rule in rules:
            findings.extend(rule.check(scan))
    return findings


def _expanded_whole(token: ArgToken) -> bool:
    """The token is one shell expansion (``"$VLLM"``, ``${BIN}``): the program it names is not known here."""
    source = token.source
    return source is not None and token.value is not None and source.expansions == ((0, len(token.value)),)


def shell_commands(
    text: str,
    *,
    index: LineIndex | None = None,
    start: int = 0,
    end: int | None = None,
    escape: Escape = no_escape,
    rows: tuple[int, int] | None = None,
) -> list[Command]:
    """The commands of the shell text ``text[start:end]``, located through ``index`` (built on ``text``).

    A command that names no vLLM is read as vLLM's when it holds a flag only vLLM takes with a pooling value
    (``argv.invocation.pooling_args_start``); surfaces that know a command's program (a Dockerfile stage's image, a
    container's) build their commands themselves.

    Callers that scan a part of a larger file blank the other parts out (``formats.masking.keep_only``) or pass
    ``start``/``end``, so that locations are the file's. ``escape`` is how words written into this text are
    escaped for a string holding it; ``rows``, the statement's rows when wider than each command.
    """
    index = index or LineIndex(text)
    writer = CommandLineWriter(shell_renderer(escape))
    scripts = quoted_script(text, index, "shell", escape)
    commands = []
    for words in split_commands(text, start, end):
        tokens = [word_token(w, text, index) for w in words]
        # No vLLM named: a vLLM-only flag with a pooling value, in a shape vLLM takes (``"$BIN" serve M --task embed``).
        args_start = pooling_args_start([None if _expanded_whole(t) else t.value for t in tokens])
        commands.append(Command(tokens, writer, rows=rows, script=scripts, start=args_start))
    return commands


def quoted_script(text: str, index: LineIndex, language: str, escape: Escape = no_escape) -> ScriptFinder:
    """A script finder for tokens written as ``language`` strings in ``text``, which sits where ``escape`` applies.

    A script is found when the token's characters between its quotes are exactly its value (no escapes), so
    offsets inside it are the file's; an escaped script is left alone rather than guessed at.
    """

    def find(token: ArgToken) -> Script | None:
        if not token.quote or token.value is None:
            return None
        start, end = index.offset(token.start) + 1, index.offset(token.end) - 1
        if end < start or text[end : end + 1] != token.quote or text[start:end] != token.value:
            return None
        return Script(text, index, start, end, within(escape, escape_for(language, token.quote)))

    return find
