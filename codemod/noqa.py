"""``# noqa`` suppression: parsing, matching a finding against it, and writing it (``--add-noqa``).

Compatible with ruff's spelling: ``# noqa`` (every code), ``# noqa: POOL013, POOL014`` (those
codes), and a file-level ``# migrate-pooling: noqa`` (optionally ``: CODE, ...``) on a comment
line of its own, anywhere in the file, as ruff's ``# ruff: noqa``. In Python only real comments
count (found with ``tokenize``); in shell, YAML, Dockerfile and Markdown text any ``#`` comment does.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from vllm_pooling_migrate.codemod.finding import Finding

_CODE_LIST = r"[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+|\s+[A-Za-z]+[0-9]+)*"
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>" + _CODE_LIST + r"))?", re.IGNORECASE)
_FILE_MARKER = re.compile(
    r"^\s*#\s*migrate-pooling\s*:\s*noqa(?::\s*(?P<codes>" + _CODE_LIST + r"))?\s*$", re.IGNORECASE
)

ALL_CODES = None  # the value of a bare noqa comment


@dataclass(frozen=True)
class NoqaMap:
    """What the comments of one text (one notebook cell) suppress."""

    #: row -> suppressed codes, or ALL_CODES for a bare noqa comment
    lines: dict[int, frozenset[str] | None] = field(default_factory=dict)
    file_marker: bool = False  # a ``# migrate-pooling: noqa`` line is present
    file_codes: frozenset[str] | None = ALL_CODES  # what that marker covers


def _codes(text: str | None) -> frozenset[str] | None:
    if not text:
        return ALL_CODES
    return frozenset(code.upper() for code in re.split(r"[\s,]+", text.strip()) if code)


def parse_noqa(text: str, python: bool = False) -> NoqaMap:
    """Collect the ``# noqa`` comments of ``text``; ``python`` restricts them to real Python comments."""
    lines: dict[int, frozenset[str] | None] = {}
    file_codes: frozenset[str] | None
    file_marker, file_codes = False, frozenset()
    for row, comment, whole_line in _comments(text, python):
        marker = _FILE_MARKER.match(whole_line) if whole_line is not None else None
        if marker:
            file_marker, file_codes = True, _codes(marker.group("codes"))
            continue
        match = _NOQA.search(comment)
        if match:
            codes = _codes(match.group("codes"))
            previous = lines.get(row, frozenset())
            lines[row] = ALL_CODES if codes is ALL_CODES or previous is ALL_CODES else previous | codes
    return NoqaMap(lines, file_marker, file_codes)


def file_noqa_marker(comments: Iterable[tuple[int, str, bool]]) -> tuple[bool, frozenset[str] | None]:
    """Whether ``(row, comment, alone on its line)`` comments hold a ``# migrate-pooling: noqa`` line, and its
    codes (ALL_CODES for every code); the same reading as ``parse_noqa`` (for a file read a section at a time)."""
    found: tuple[bool, frozenset[str] | None] = (False, frozenset())
    for _, comment, alone in comments:
        marker = _FILE_MARKER.match(comment) if alone else None
        if marker:
            found = (True, _codes(marker.group("codes")))
    return found


def _comments(text: str, python: bool):
    """(row, comment text, the whole line when the comment is alone on it, else None)."""
    source_lines = text.splitlines()
    if python:
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.COMMENT:
                    row = token.start[0]
                    alone = source_lines[row - 1] if not source_lines[row - 1][: token.start[1]].strip() else None
                    yield row, token.string, alone
            return
        except (tokenize.TokenError, SyntaxError):
            pass  # an unparsable file still honours its comments, read line by line
    for row, line in enumerate(source_lines, start=1):
        hash_at = line.find("#")
        if hash_at != -1:
            yield row, line[hash_at:], line if not line[:hash_at].strip() else None


def is_suppressed(finding: Finding, noqa: NoqaMap) -> bool:
    """True when the file marker or a ``# noqa`` on any line of the finding's statement covers its code."""
    if noqa.file_marker and (noqa.file_codes is ALL_CODES or finding.code in noqa.file_codes):
        return True
    first, last = finding.statement_rows or (finding.location.row, finding.end_location.row)
    for row in range(first, last + 1):
        if row in noqa.lines:
            codes = noqa.lines[row]
            if codes is ALL_CODES or finding.code in codes:
                return True
    return False


def add_noqa(text: str, findings: Iterable[Finding], python: bool = False) -> str:
    """Write ``# noqa: CODE`` for each finding not already suppressed; return the new text.

    The comment goes on the statement's first line that can end with a comment: not a line
    ending in a backslash continuation, and in Python not a line whose end lies inside a
    string (a triple-quoted string spanning lines). An existing ``# noqa: ...`` is extended;
    another comment is kept and the noqa is appended after it, as ruff does.
    """
    noqa = parse_noqa(text, python)
    lines = text.splitlines(keepends=True)
    blocked = _rows_inside_strings(text) if python else set()
    wanted: dict[int, set[str]] = {}
    for finding in findings:
        if is_suppressed(finding, noqa):
            continue
        first, last = finding.statement_rows or (finding.location.row, finding.end_location.row)
        row = next(
            (r for r in range(first, last + 1) if r not in blocked and not _ends_with_backslash(lines[r - 1])),
            last,
        )
        wanted.setdefault(row, set()).add(finding.code)
    for row, codes in wanted.items():
        lines[row - 1] = with_noqa_comment(lines[row - 1], codes, noqa.lines.get(row, frozenset()))
    return "".join(lines)


def _ends_with_backslash(line: str) -> bool:
    return line.rstrip("\r\n").endswith("\\")


def _rows_inside_strings(text: str) -> set[int]:
    """Rows whose end lies inside a multi-line string token (appending a comment there changes the string)."""
    rows: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                rows.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return rows


def with_noqa_comment(line: str, codes: set[str], existing: frozenset[str] | None) -> str:
    """``line`` with its ``# noqa: ...`` extended by ``codes``, or one appended after its text."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    match = _NOQA.search(body)
    if match:
        merged = ", ".join(sorted(set(existing or ()) | codes))
        return body[: match.start()] + f"# noqa: {merged}" + body[match.end() :] + ending
    return body.rstrip() + f"  # noqa: {', '.join(sorted(codes))}" + ending
