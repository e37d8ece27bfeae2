"""Dockerfiles: RUN, CMD and ENTRYPOINT in shell form and in exec (JSON array) form.

Per build stage, the last ENTRYPOINT and CMD are read together, as Docker runs them: an
``ENTRYPOINT ["vllm", "serve"]`` with a ``CMD ["--task", "embed"]``, or a stage ``FROM
vllm/vllm-openai`` whose CMD holds only vLLM's arguments (the image's entrypoint is the server).
A stage built from ``vllm/vllm-openai:<tag>``, or one that installs ``vllm==X``, is pinned to that release:
its commands are fixed only as far as the release allows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from vllm_pooling_migrate.codemod.argv import Command, CommandLineWriter, quoted_script, scan_commands, shell_commands
from vllm_pooling_migrate.codemod.argv.invocation import is_vllm_image
from vllm_pooling_migrate.codemod.argv.scan import Pin, image_pin
from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words, render_string_list
from vllm_pooling_migrate.codemod.argv.shell_lexer import shell_tokens
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.formats.masking import keep_only
from vllm_pooling_migrate.codemod.formats.pins import installed_pin
from vllm_pooling_migrate.codemod.noqa import is_suppressed, parse_noqa, with_noqa_comment
from vllm_pooling_migrate.codemod.options import Options

_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)(?:[ \t]+|$)")
_EXEC_FORM = CommandLineWriter(render_string_list)


@dataclass
class Instruction:
    keyword: str
    args_start: int  # offset of the first character after the keyword
    end: int  # offset of the end of the instruction's last line (before its newline)
    comment_lines: list[tuple[int, int]] = field(default_factory=list)  # (start, newline offset)

    def first_line_args(self, text: str) -> str:
        return text[self.args_start : self.end].lstrip()


def parse_instructions(text: str) -> list[Instruction]:
    """Instructions with their continuation lines; comment lines inside a continuation are noted."""
    instructions: list[Instruction] = []
    current: Instruction | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        newline_at = offset + len(body)
        stripped = body.strip()
        if current is not None:
            if stripped.startswith("#") or not stripped:
                current.comment_lines.append((offset, newline_at))  # Docker drops these inside a continuation
            else:
                current.end = newline_at
                if not body.rstrip().endswith("\\"):
                    current = None
        elif stripped and not stripped.startswith("#"):
            match = _INSTRUCTION.match(body)
            if match:
                instruction = Instruction(match.group(1).upper(), offset + match.end(), newline_at)
                instructions.append(instruction)
                if body.rstrip().endswith("\\"):
                    current = instruction
        offset += len(line)
    return instructions


def _instruction_text(text: str, instruction: Instruction, exec_form: bool) -> str:
    """The file with only this instruction's arguments left, as one shell or JSON text."""
    masked = list(keep_only(text, [(instruction.args_start, instruction.end)]))
    for start, newline_at in instruction.comment_lines:
        if start < instruction.end:
            line_end = text.find("\n", newline_at)
            line_end = len(text) if line_end == -1 else line_end + 1
            # Blank the comment and its line break: the lines around it join, as Docker does.
            masked[start:line_end] = " " * (line_end - start)
    if exec_form:  # JSON does not know backslash-newline: turn continuations into plain whitespace
        for i in range(instruction.args_start, instruction.end):
            if masked[i] == "\\" and masked[i + 1 : i + 2] in (["\n"], ["\r"]):
                masked[i] = " "
    return "".join(masked)


def _exec_form_tokens(text: str, start: int, index: LineIndex, segment: int) -> list[ArgToken] | None:
    """The strings of a JSON array starting at ``start``, or None if it is not an array of strings."""
    decoder = json.JSONDecoder()
    i = start
    tokens: list[ArgToken] = []

    def skip_space(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    i = skip_space(i)
    if text[i : i + 1] != "[":
        return None
    i = skip_space(i + 1)
    if text[i : i + 1] == "]":
        return tokens
    while True:
        if text[i : i + 1] != '"':
            return None
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            return None
        tokens.append(ArgToken(value, index.location(i), index.location(end), '"', segment))
        i = skip_space(end)
        if text[i : i + 1] == "]":
            return tokens
        if text[i : i + 1] != ",":
            return None
        i = skip_space(i + 1)


def _tokens(text: str, instruction: Instruction, index: LineIndex, segment: int) -> tuple[list[ArgToken], bool]:
    """(tokens, is_exec_form) of a RUN/CMD/ENTRYPOINT; shell form gives every command's words in a row."""
    if instruction.first_line_args(text).startswith("["):
        exec_text = _instruction_text(text, instruction, exec_form=True)
        tokens = _exec_form_tokens(exec_text, instruction.args_start, index, segment)
        if tokens is not None:
            return tokens, True
    shell_text = _instruction_text(text, instruction, exec_form=False)
    commands = shell_tokens(shell_text, index, instruction.args_start, instruction.end)
    return [replace(t, segment=segment) for c in commands for t in c], False


@dataclass
class _Stage:
    """One build stage: Docker runs its last ENTRYPOINT and CMD together."""

    vllm_base: bool  # FROM vllm/vllm-openai: the image's entrypoint is the server
    entrypoint: Instruction | None = None
    cmd: Instruction | None = None

    def command(self, text: str, index: LineIndex) -> Command | None:
        tokens: list[ArgToken] = []
        kinds: dict[int, tuple[str, str]] = {}  # segment -> (the text its tokens were read from, string language)
        for segment, instruction in enumerate((self.entrypoint, self.cmd)):
            if instruction is not None:
                part, exec_form = _tokens(text, instruction, index, segment)
                tokens += part
                kinds[segment] = (text, "json") if exec_form else (_instruction_text(text, instruction, False), "shell")
        if not tokens:
            return None
        exec_segments = {segment for segment, (_, language) in kinds.items() if language == "json"}

        def render(args: Sequence[str], like: ArgToken) -> str:
            return render_string_list(args, like) if like.segment in exec_segments else render_shell_words(args, like)

        finders = {segment: quoted_script(source, index, language) for segment, (source, language) in kinds.items()}
        start = 0 if self.vllm_base and self.entrypoint is None else None
        return Command(tokens, CommandLineWriter(render), start=start, script=lambda t: finders[t.segment](t))


def find_in_dockerfile(text: str, path: str, options: Options) -> list[Finding]:
    """Findings of every RUN, and of each stage's ENTRYPOINT + CMD; a finding's statement is its instruction."""
    index = LineIndex(text)
    instructions = parse_instructions(text)
    commands = list(_commands(text, instructions, index))
    findings = scan_commands(commands, path=path, options=options)
    return _statement_rows(text, findings, instructions, index)


def _commands(text: str, instructions: list[Instruction], index: LineIndex) -> Iterator[Command]:
    """Every RUN command, and each stage's ENTRYPOINT + CMD; each pinned to its stage's vLLM release (the
    ``FROM vllm/vllm-openai:<tag>`` image, else a ``vllm==`` install in the stage)."""
    stages: list[_Stage] = []
    runs: list[tuple[int, Command]] = []  # (stage, command)
    pins: list[Pin | None] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            image = (instruction.first_line_args(text).split() or [""])[0]
            stages.append(_Stage(is_vllm_image(image)))
            pins.append(image_pin(image))
        elif instruction.keyword == "RUN":
            if not stages:
                stages.append(_Stage(False))
                pins.append(None)
            if pins[-1] is None:
                pins[-1] = installed_pin(text[instruction.args_start : instruction.end])
            tokens, exec_form = _tokens(text, instruction, index, 0)
            if exec_form:
                runs.append((len(stages) - 1, Command(tokens, _EXEC_FORM, script=quoted_script(text, index, "json"))))
            else:
                shell_text = _instruction_text(text, instruction, exec_form=False)
                found = shell_commands(shell_text, index=index, start=instruction.args_start, end=instruction.end)
                runs.extend((len(stages) - 1, command) for command in found)
        elif instruction.keyword in ("ENTRYPOINT", "CMD"):
            if not stages:
                stages.append(_Stage(False))
                pins.append(None)
            setattr(stages[-1], instruction.keyword.lower(), instruction)
    for stage_index, command in runs:
        yield replace(command, pin=pins[stage_index])
    for stage_index, stage in enumerate(stages):
        stage_command = stage.command(text, index)
        if stage_command is not None:
            yield replace(stage_command, pin=pins[stage_index])


def _is_comment_line(line: str) -> bool:
    return line.lstrip().startswith("#")


def _statement_rows(text: str, findings: list[Finding], instructions: list[Instruction], index: LineIndex) -> list[Finding]:
    """A finding's statement is its whole instruction (``RUN a && \\ vllm ...`` included), and the comment line
    right above it: a Dockerfile comment must start its line, and text after an exec-form ``CMD [...]`` would
    turn it into shell form, so a Dockerfile's noqa lives on the comment line above the instruction."""
    lines = text.split("\n")
    spans = [(index.location(i.args_start).row, index.location(i.end).row) for i in instructions]
    placed = []
    for finding in findings:
        first, last = next(
            (span for span in spans if span[0] <= finding.location.row <= span[1]),
            finding.statement_rows or (finding.location.row, finding.end_location.row),
        )
        if first > 1 and _is_comment_line(lines[first - 2]):
            first -= 1
        placed.append(replace(finding, statement_rows=(first, last)))
    return placed


def add_noqa_to_dockerfile(text: str, findings: list[Finding]) -> str:
    """Write ``# noqa: CODE`` on a comment line above each instruction with findings left."""
    noqa = parse_noqa(text)
    lines = text.splitlines(keepends=True)
    wanted: dict[int, set[str]] = {}  # row of the instruction -> codes
    for finding in findings:
        if is_suppressed(finding, noqa):
            continue
        first, last = finding.statement_rows or (finding.location.row, finding.end_location.row)
        row = next((r for r in range(first, last + 1) if not _is_comment_line(lines[r - 1])), first)
        wanted.setdefault(row, set()).add(finding.code)
    for row in sorted(wanted, reverse=True):  # bottom up: inserted lines do not move the rows still to do
        above = row - 1
        if above >= 1 and _is_comment_line(lines[above - 1]):
            lines[above - 1] = with_noqa_comment(lines[above - 1], wanted[row], noqa.lines.get(above, frozenset()))
        else:
            line = lines[row - 1]
            indent = line[: len(line) - len(line.lstrip())]
            ending = "\r\n" if line.endswith("\r\n") else "\n"
            lines.insert(row - 1, f"{indent}# noqa: {', '.join(sorted(wanted[row]))}{ending}")
    return "".join(lines)
