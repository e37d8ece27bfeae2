"""Dockerfiles: RUN, CMD and ENTRYPOINT in shell form and in exec (JSON array) form.

Per build stage, the last ENTRYPOINT and CMD are read together, as Docker runs them: an
``ENTRYPOINT ["vllm", "serve"]`` with a ``CMD ["--task", "embed"]``, or a stage ``FROM
vllm/vllm-openai`` whose CMD holds only vLLM's arguments (the image's entrypoint is the server).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from vllm_pooling_migrate.codemod.argv import scan_argv_tokens, scan_shell_text
from vllm_pooling_migrate.codemod.argv.invocation import is_vllm_image, token_values, vllm_args_start
from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words, render_string_list, render_within
from vllm_pooling_migrate.codemod.argv.shell import script_argument
from vllm_pooling_migrate.codemod.argv.shell_lexer import shell_tokens
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.formats.fixing import check_and_fix
from vllm_pooling_migrate.codemod.formats.masking import keep_only
from vllm_pooling_migrate.codemod.noqa import is_suppressed, parse_noqa, with_noqa_comment
from vllm_pooling_migrate.codemod.options import Options

_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)(?:[ \t]+|$)")


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
    return [ArgToken(t.value, t.start, t.end, t.quote, segment, t.raw) for c in commands for t in c], False


def _renderer(exec_segments: set[int]):
    def render(args: Sequence[str], like: ArgToken) -> str:
        return render_string_list(args, like) if like.segment in exec_segments else render_shell_words(args, like)

    return render


def find_in_dockerfile(text: str, path: str, options: Options) -> list[Finding]:
    index = LineIndex(text)
    findings: list[Finding] = []
    stages: list[dict] = []
    instructions = parse_instructions(text)
    for instruction in instructions:
        if instruction.keyword == "FROM":
            image = (instruction.first_line_args(text).split() or [""])[0]
            stages.append({"vllm_base": is_vllm_image(image), "ENTRYPOINT": None, "CMD": None})
        elif instruction.keyword == "RUN":
            tokens, exec_form = _tokens(text, instruction, index, 0)
            if exec_form:
                findings.extend(scan_argv_tokens(tokens, path, options, render_string_list))
                findings.extend(_scan_script(text, tokens, {0}, index, path, options))
                continue
            shell_text = _instruction_text(text, instruction, exec_form=False)
            findings.extend(scan_shell_text(shell_text, path, options, index, instruction.args_start, instruction.end))
        elif instruction.keyword in ("ENTRYPOINT", "CMD"):
            if not stages:
                stages.append({"vllm_base": False, "ENTRYPOINT": None, "CMD": None})
            stages[-1][instruction.keyword] = instruction
    for stage in stages:
        findings.extend(_scan_stage_command(text, stage, index, path, options))
    return _per_instruction_rows(findings, instructions, index)


def _per_instruction_rows(findings: list[Finding], instructions: list[Instruction], index: LineIndex) -> list[Finding]:
    """A finding's statement is its whole instruction (``RUN a && \\ vllm ...`` included)."""
    spans = [(index.location(i.args_start).row, index.location(i.end).row) for i in instructions]
    placed = []
    for finding in findings:
        rows = next((span for span in spans if span[0] <= finding.location.row <= span[1]), None)
        placed.append(replace(finding, statement_rows=rows) if rows else finding)
    return placed


def _scan_stage_command(text: str, stage: dict, index: LineIndex, path: str, options: Options) -> list[Finding]:
    entrypoint, exec_segments = [], set()
    if stage["ENTRYPOINT"] is not None:
        entrypoint, exec_form = _tokens(text, stage["ENTRYPOINT"], index, 0)
        exec_segments |= {0} if exec_form else set()
    command = []
    if stage["CMD"] is not None:
        command, exec_form = _tokens(text, stage["CMD"], index, 1)
        exec_segments |= {1} if exec_form else set()
    tokens = entrypoint + command
    if script_argument(token_values(tokens)) is not None:
        return _scan_script(text, tokens, exec_segments, index, path, options)
    start = vllm_args_start(token_values(tokens))
    if start is None and stage["vllm_base"] and stage["ENTRYPOINT"] is None and command:
        start = 0
    if start is None:
        return []
    return scan_argv_tokens(tokens, path, options, _renderer(exec_segments), start=start)


def _scan_script(
    text: str, tokens: list[ArgToken], exec_segments: set[int], index: LineIndex, path: str, options: Options
) -> list[Finding]:
    """The script of ``sh -c SCRIPT``, when its characters in the file are its value (no escapes)."""
    script = script_argument(token_values(tokens))
    if script is None:
        return []
    token = tokens[script]
    start, end = index.offset(token.start) + 1, index.offset(token.end) - 1
    if not token.quote or text[start:end] != token.value:
        return []
    language = "json" if token.segment in exec_segments else "shell"
    render = render_within(render_shell_words, language, token.quote)
    rows = (tokens[0].start.row, tokens[-1].end.row)
    return scan_shell_text(keep_only(text, [(start, end)]), path, options, index, start, end, render, rows)


def _is_comment_line(line: str) -> bool:
    return line.lstrip().startswith("#")


def _with_comment_above(text: str, findings: list[Finding]) -> list[Finding]:
    """Let a comment line right above an instruction count as part of it, for ``# noqa``.

    A Dockerfile comment must start its line, and text after an exec-form ``CMD [...]`` would turn
    it into shell form, so a Dockerfile's noqa lives on the comment line above the instruction.
    """
    lines = text.splitlines()
    moved = []
    for finding in findings:
        first, last = finding.statement_rows or (finding.location.row, finding.end_location.row)
        if first > 1 and _is_comment_line(lines[first - 2]):
            finding = replace(finding, statement_rows=(first - 1, last))
        moved.append(finding)
    return moved


def find_in_dockerfile_with_comments(text: str, path: str, options: Options) -> list[Finding]:
    return _with_comment_above(text, find_in_dockerfile(text, path, options))


def scan_dockerfile(path: str, text: str, options: Options) -> FileResult:
    return check_and_fix(text, path, options, lambda current: find_in_dockerfile_with_comments(current, path, options))


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
