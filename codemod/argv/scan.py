"""Run the argv rules over one vLLM invocation and turn their verdicts into Findings with Edits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vllm_pooling_migrate.codemod.argv.flags import Flag, parse_flags
from vllm_pooling_migrate.codemod.argv.invocation import token_values, vllm_args_start
from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer
from vllm_pooling_migrate.codemod.finding import Edit, Finding, Fix, Location
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.registry import FixClass


@dataclass
class ArgvScan:
    """One vLLM invocation as the rules see it, with helpers that build edits in its source's style."""

    tokens: Sequence[ArgToken]
    start: int  # index of the first argument vLLM parses
    path: str
    options: Options
    render: Renderer
    rows: tuple[int, int] | None = None  # the enclosing statement's rows, when wider than the tokens
    flags: list[Flag] = field(init=False)

    def __post_init__(self) -> None:
        self.flags = parse_flags(self.tokens, self.start)

    @property
    def statement_rows(self) -> tuple[int, int]:
        return self.rows or (self.tokens[0].start.row, self.tokens[-1].end.row)

    def has_flag(self, *names: str) -> bool:
        return any(f.name in names and f.key is None for f in self.flags)

    def replace(self, token: ArgToken, args: Sequence[str]) -> Edit:
        """Replace one token with one or more argv elements."""
        return Edit(self.render(args, token), token.start, token.end)

    def replace_value(self, flag: Flag, value: str) -> Edit:
        """Give a flag a new value, in whichever form (``--flag value`` or ``--flag=value``) it was written."""
        if flag.value_token is not None:
            return self.replace(flag.value_token, [value])
        prefix = f"--{flag.written_name}="
        token = flag.token
        if token.raw is not None and token.raw.startswith(prefix):
            raw_value = token.raw[len(prefix) :]
            start = Location(token.start.row, token.start.column + len(prefix))
            quote = raw_value[:1] if raw_value[:1] in ("'", '"') else ""
            return self.replace(ArgToken(flag.value, start, token.end, quote, token.segment, raw_value), [value])
        return self.replace(token, [prefix + value])

    def rename_prefix(self, token: ArgToken, old: str, new: str) -> Edit:
        """Replace the first ``len(old)`` characters of a token's value, leaving the rest of its text alone.

        The flag names this is used on hold no characters that need escaping, so the value's
        first characters are the source's, right after an opening quote if there is one.
        """
        skip = 1 if token.quote else 0
        start = Location(token.start.row, token.start.column + skip)
        return Edit(new, start, Location(start.row, start.column + len(old)))

    def delete(self, flag: Flag) -> Edit:
        """Remove a flag and its value together with the separator that precedes them."""
        first, last = flag.index, flag.index + (2 if flag.value_token is not None else 1) - 1
        tokens = self.tokens
        if first > 0 and tokens[first - 1].segment == tokens[first].segment:
            return Edit("", tokens[first - 1].end, tokens[last].end)
        if last + 1 < len(tokens) and tokens[last + 1].segment == tokens[last].segment:
            return Edit("", tokens[first].start, tokens[last + 1].start)
        return Edit("", tokens[first].start, tokens[last].end)

    def finding(
        self,
        code: str,
        message: str,
        flag: Flag,
        *,
        fix_class: FixClass = FixClass.SAFE,
        fix_message: str = "",
        edits: Sequence[Edit] = (),
        reason: str | None = None,
    ) -> Finding:
        """A finding spanning ``flag`` (and its value); ``edits`` empty means report-only with ``reason``."""
        return make_finding(
            code,
            message,
            self.path,
            self.options,
            flag.token.start,
            flag.last_token.end,
            self.statement_rows,
            fix_class=fix_class,
            fix_message=fix_message,
            edits=edits,
            reason=reason,
        )


def make_finding(
    code: str,
    message: str,
    path: str,
    options: Options,
    start: Location,
    end: Location,
    statement_rows: tuple[int, int],
    *,
    fix_class: FixClass = FixClass.SAFE,
    fix_message: str = "",
    edits: Sequence[Edit] = (),
    reason: str | None = None,
) -> Finding:
    """A Finding; an unsafe fix is attached like a safe one and applied only with ``--unsafe-fixes``."""
    fix = Fix(fix_class, fix_message, tuple(edits)) if edits else None
    return Finding(
        code=code,
        message=message,
        path=path,
        location=start,
        end_location=end,
        fix=fix,
        unfixable_reason=reason,
        statement_rows=statement_rows,
    )


def scan_argv_tokens(
    tokens: Sequence[ArgToken],
    path: str,
    options: Options,
    render: Renderer = render_shell_words,
    start: int | None = None,
    statement_rows: tuple[int, int] | None = None,
) -> list[Finding]:
    """Findings for one command line or argv list; [] when it does not start a vLLM server.

    ``tokens`` are the elements of the whole command, program name included, e.g. the items of
    ``subprocess.run(["vllm", "serve", "M", "--task", "embed"])``: the function finds where vLLM's
    own arguments begin (``vllm serve``, ``python -m vllm.entrypoints.openai.api_server``,
    ``docker run ... vllm/vllm-openai``), unless ``start`` gives that index (for a container whose
    image already runs vLLM, pass 0). ``render`` turns replacement elements into source text in
    the style of the token they replace: ``render_shell_words`` for shell text,
    ``codemod.argv.quoting.render_string_list`` for Python lists and JSON arrays (give each
    ArgToken the quote character of its literal, and a ``start`` at that quote, after any string
    prefix). Elements that are not literals get ``value=None``.

    Every finding spans its flag and value and carries ``statement_rows`` covering the whole
    command (or the ``statement_rows`` given, e.g. a whole ``subprocess.run(...)`` call), so a
    ``# noqa`` on any of its lines suppresses it. Only codes enabled by ``options`` are reported.
    Unsafe fixes are attached with ``applicability`` UNSAFE, as ruff does; whoever applies fixes
    applies them only with ``--unsafe-fixes``. Suppression is the caller's job.
    Only the rules active at the target version run (``Rule.active``): the one version gate.
    """
    from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
    from vllm_pooling_migrate.codemod.rules import rules_of_kind  # the rules import this module for ArgvScan

    if not tokens:
        return []
    if start is None:
        start = vllm_args_start(token_values(tokens))
        if start is None:
            return []
    scan = ArgvScan(tokens, start, path, options, render, statement_rows)
    findings: list[Finding] = []
    for rule in rules_of_kind(CommandLineRule):
        if rule.active(options):
            findings.extend(rule().check(scan))
    return findings
