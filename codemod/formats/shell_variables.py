"""JSON held in a shell variable: ``CFG='{"normalize": true}'; vllm serve M --pooler-config "$CFG"``.

The command-line rules read a flag's value; when that value is ``$NAME`` (or ``"${NAME}"``) and the script assigns
``NAME`` exactly once before the command, the value token is replaced by the assignment's value, located where the
assignment writes it. A fix then edits the assignment, in its own quoting, and only when that flag is the variable's
one use: an edit of an assignment that other commands read too would change them as well. Shell expansions inside the
assigned JSON (``{"max_embed_len": ${LEN}}``) are opaque values to the rules; keys are then renamed where written. Only the flags whose values are JSON
objects are resolved (``--pooler-config``, ``--override-pooler-config``, ``--hf-overrides``): a variable such as
``$TASK`` may be used for other things too, and an edit of its assignment would change them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from vllm_pooling_migrate.codemod.argv import ArgToken, Command
from vllm_pooling_migrate.codemod.finding import Location

#: Flags (as vLLM normalises them) whose value may be a variable holding JSON.
JSON_FLAGS = frozenset({"pooler-config", "override-pooler-config", "hf-overrides"})
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_REFERENCE = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})")
_EXPANDED_NAME = re.compile(r"\$\{?[#!]?([A-Za-z_][A-Za-z0-9_]*)")
_DECLARATIONS = frozenset({"export", "readonly", "declare", "local", "typeset"})
#: Segment numbers of resolved tokens: never the command's own, so a deletion never spans into an assignment.
_RESOLVED_SEGMENT = 1_000_000


def _assignments(commands: Sequence[Command]) -> dict[str, list[ArgToken]]:
    """``NAME`` -> the value tokens of its assignments (``NAME=value`` words, also after ``export``/``local``...)."""
    found: dict[str, list[ArgToken]] = {}
    for command in commands:
        tokens = list(command.tokens)
        if tokens and tokens[0].value in _DECLARATIONS:
            tokens = [t for t in tokens[1:] if not (t.value or "").startswith("-")]
        if not tokens or not all(_ASSIGNMENT.match(t.value or "") for t in tokens):
            continue  # a command with a prefix assignment (`NAME=x cmd`) sets NAME for that command only
        for token in tokens:
            value_token = _value_part(token)
            if value_token is not None:
                match = _ASSIGNMENT.match(token.value or "")
                assert match is not None
                found.setdefault(match.group(1), []).append(value_token)
    return found


def _value_part(token: ArgToken) -> ArgToken | None:
    """The ``value`` of a ``NAME=value`` word as a token of its own, located in the source."""
    match = _ASSIGNMENT.match(token.value or "")
    raw = token.raw
    if match is None or raw is None or not raw.startswith(match.group(0)) or "\n" in match.group(0):
        return None
    skip = len(match.group(0))
    start = Location(token.start.row, token.start.column + skip)
    raw_value = raw[skip:]
    quote = raw_value[:1] if raw_value[:1] in ("'", '"') else ""
    value = (token.value or "")[skip:]
    source = token.source.shifted(skip) if token.source is not None else None
    return ArgToken(value, start, token.end, quote, _RESOLVED_SEGMENT, raw_value, source)


def _references(commands: Sequence[Command]) -> Counter[str]:
    """How often each variable is expanded in ``commands`` (``$NAME``, ``${NAME...}``; not in single quotes)."""
    counts: Counter[str] = Counter()
    for command in commands:
        for token in command.tokens:
            if token.source is None or token.value is None:
                continue
            for start, end in token.source.expansions:  # ``$(... $NAME ...)`` and ``${X:-$NAME}`` count too
                counts.update(_EXPANDED_NAME.findall(token.value, start, end))
    return counts


def with_variables(commands: Sequence[Command]) -> list[Command]:
    """``commands`` with ``$NAME`` values of JSON flags replaced by what the script assigned to ``NAME`` once."""
    assigned = _assignments(commands)
    if not assigned:
        return list(commands)
    references = _references(commands)
    resolved: list[Command] = []
    for command in commands:
        tokens = list(command.tokens)
        changed = False
        for i in range(1, len(tokens)):
            flag = tokens[i - 1].value or ""
            if not flag.startswith("--") or flag[2:].split(".", 1)[0].replace("_", "-") not in JSON_FLAGS or "=" in flag:
                continue
            reference = _REFERENCE.fullmatch(tokens[i].value or "")
            if reference is None or tokens[i].quote == "'":
                continue
            values = assigned.get(reference.group(1) or reference.group(2), [])
            if len(values) != 1 or (values[0].start.row, values[0].start.column) >= (tokens[i].start.row, tokens[i].start.column):
                continue
            if tokens[i].quote == "" and any(c.isspace() for c in values[0].value or ""):
                continue  # unquoted, the shell would split it into several words
            name = reference.group(1) or reference.group(2)
            if references[name] > 1:
                why = f"`${name}` is used elsewhere in the script too: edit its assignment by hand"
                tokens[i] = replace(values[0], unwritable=why)
            else:
                tokens[i] = values[0]
            changed = True
        if changed:  # the command's rows stay its own (a noqa on it applies), not the assignment's
            written = command.tokens
            rows = command.rows or (written[0].start.row, written[-1].end.row)
            command = replace(command, tokens=tokens, rows=rows)
        resolved.append(command)
    return resolved
