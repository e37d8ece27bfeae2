"""Jupyter notebooks: code cells checked and fixed with the Python rules, ``!`` lines with the argv rules.

The Python of all code cells is joined into one module (as ruff does), so an ``LLM(...)`` built
in one cell is tracked to its uses in later cells; each cell is preceded by a marker comment so
the fixed module can be split back. IPython lines (``%magic``, ``!shell``, ``help?``) become
``pass  # <marker>`` before parsing and are restored afterwards; ``!vllm serve ...`` lines and
``%%bash``/``%%sh`` cells go to the argv scanner; cells under other cell magics (``%%writefile``,
``%%html``) are not Python and are skipped, except those whose body is Python (``%%time``).
Findings carry the cell (1-based, counting all cells) and a row inside that cell; the rows their
messages cite are written as ``cell 2, line 3``.

Nothing but cell sources changes: the notebook is re-serialised in its own JSON layout (indent,
key order, ``ensure_ascii``, final newline), and only when that layout reproduces the original
file byte for byte, so outputs, metadata and ids stay exactly as they were.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass, replace

from vllm_pooling_migrate.codemod.argv import scan_commands, shell_commands
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.formats.embedded_python import CheckPython, check_embedded, relocate, shift_rows
from vllm_pooling_migrate.codemod.formats.fixing import check_and_fix
from vllm_pooling_migrate.codemod.formats.masking import keep_only
from vllm_pooling_migrate.codemod.formats.pins import installed_pin, pinned
from vllm_pooling_migrate.codemod.formats.shell_variables import with_variables
from vllm_pooling_migrate.codemod.noqa import add_noqa
from vllm_pooling_migrate.codemod.options import Options

SHELL_CELL_MAGICS = ("%%bash", "%%sh", "%%script bash", "%%script sh")
#: Cell magics whose body is Python; a cell under any other cell magic (%%writefile, %%html ...) is not.
PYTHON_CELL_MAGICS = frozenset({"%%time", "%%timeit", "%%capture", "%%prun", "%%debug"})
_IPYTHON_LINE = re.compile(r"^([ \t]*)(?:[%!]|\?{1,2}[\w.]+[ \t]*$|[\w.]+\?{1,2}[ \t]*$)")
_SHELL_ESCAPE = re.compile(r"^[ \t]*!{1,2}")
_CELL_MARKER = "# migrate-pooling: cell {}"
_CELL_MARKER_LINE = re.compile(r"^# migrate-pooling: cell (\d+)\n", re.MULTILINE)
_MASK = "pass  # migrate-pooling: ipython {}"
_MASK_LINE = re.compile(r"^([ \t]*)pass  # migrate-pooling: ipython (\d+)(?=\r?$)", re.MULTILINE)


class NotebookError(ValueError):
    pass


@dataclass
class Layout:
    """How the file was serialised, so a rewrite can reproduce it."""

    indent: int | None
    ensure_ascii: bool
    final_newline: bool
    separators: tuple[str, str]

    def dump(self, notebook: dict) -> str:
        text = json.dumps(notebook, indent=self.indent, ensure_ascii=self.ensure_ascii, separators=self.separators)
        return text + ("\n" if self.final_newline else "")


def detect_layout(text: str, notebook: dict) -> Layout:
    """The json.dumps settings that reproduce ``text``; NotebookError when none does."""
    indent_match = re.search(r"\n( +)\S", text)
    indent = len(indent_match.group(1)) if indent_match else None
    for ensure_ascii in (False, True):
        separators = (",", ": ") if indent is not None else (", ", ": ")
        layout = Layout(indent, ensure_ascii, text.endswith("\n"), separators)
        if layout.dump(notebook) == text:
            return layout
    raise NotebookError("its JSON layout cannot be reproduced, so it is not rewritten")


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _set_cell_source(cell: dict, source: str) -> None:
    cell["source"] = source.splitlines(keepends=True) if isinstance(cell.get("source"), list) else source


def _is_shell_cell(source: str) -> bool:
    return source.lstrip().startswith(SHELL_CELL_MAGICS)


def _is_python_cell(source: str) -> bool:
    stripped = source.lstrip()
    return not stripped.startswith("%%") or stripped.split(None, 1)[0] in PYTHON_CELL_MAGICS


def _shell_in_cell(source: str) -> str:
    """The cell with only its shell commands left (offsets kept): a shell cell, or the ``!`` lines."""
    if _is_shell_cell(source):
        first_newline = source.find("\n")
        return keep_only(source, [(first_newline + 1, len(source))] if first_newline != -1 else [])
    regions, offset = [], 0
    for line in source.splitlines(keepends=True):
        escape = _SHELL_ESCAPE.match(line)
        if escape:
            regions.append((offset + escape.end(), offset + len(line)))
        offset += len(line)
    return keep_only(source, regions)


def _logical_line_starts(source: str) -> set[int] | None:
    """Rows on which a logical line starts: not inside brackets or a string, not after a backslash.

    IPython reads ``%`` and ``!`` as magics only there; ``% y`` continuing a bracketed expression
    is Python. None when the cell cannot be tokenised (then every line counts as a start).
    """
    starts, depth, at_start = set(), 0, True
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                at_start = at_start or depth == 0
            elif token.type in (tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            else:
                if at_start and depth == 0:
                    starts.add(token.start[0])
                at_start = False
                if token.type == tokenize.OP and token.string in "([{":
                    depth += 1
                elif token.type == tokenize.OP and token.string in ")]}":
                    depth = max(depth - 1, 0)
    except (tokenize.TokenError, SyntaxError):
        return None
    return starts


def _mask_ipython(source: str, masked: list[str]) -> str:
    """Replace IPython-only lines by numbered ``pass`` lines; ``masked`` collects the originals."""
    lines = source.splitlines(keepends=True)
    starts = _logical_line_starts(source)
    for i, line in enumerate(lines):
        match = _IPYTHON_LINE.match(line)
        if match and (starts is None or i + 1 in starts):
            body = line.rstrip("\r\n")
            lines[i] = match.group(1) + _MASK.format(len(masked)) + line[len(body) :]
            masked.append(body)
    return "".join(lines)


def _unmask(source: str, masked: list[str]) -> str:
    return _MASK_LINE.sub(lambda m: masked[int(m.group(2))], source)


def scan_notebook(path: str, text: str, options: Options, check_python: CheckPython) -> FileResult:
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError) as error:
        return FileResult(path, error=f"{path}: not a notebook: {error}")
    code_cells = [(number, cell) for number, cell in enumerate(cells, start=1) if cell.get("cell_type") == "code"]
    result = FileResult(path)
    new_sources: dict[int, str] = {}

    # Shell: each cell on its own; the fix loop works on the cell's text. `!pip install vllm==X` pins them all.
    pin = installed_pin("".join(_shell_in_cell(_cell_source(cell)) for _, cell in code_cells))
    for number, cell in code_cells:

        def find(current: str, number: int = number) -> list[Finding]:
            commands = pinned(with_variables(shell_commands(_shell_in_cell(current))), pin)
            findings = scan_commands(commands, path=path, options=options)
            return [_in_cell(f, number) for f in findings]

        shell = check_and_fix(_cell_source(cell), path, options, find)
        _collect(result, shell)
        if shell.fixed_source is not None:
            new_sources[number] = shell.fixed_source

    # Python: all code cells joined into one module.
    python_cells = [(n, new_sources.get(n, _cell_source(c))) for n, c in code_cells]
    python_cells = [(n, s) for n, s in python_cells if _is_python_cell(s)]
    if python_cells:
        masked: list[str] = []
        joined = "".join(
            _CELL_MARKER.format(number) + "\n" + _with_final_newline(_mask_ipython(source, masked))
            for number, source in python_cells
        )
        python = check_embedded(joined, path, options, check_python)
        if python.error:
            return FileResult(path, error=python.error)
        fixed_joined = python.fixed_source or joined
        python.findings = [_to_cell(f, _cell_rows(joined)) for f in python.findings]
        python.applied = [_to_cell(f, _cell_rows(joined)) for f in python.applied]
        python.remaining = [_to_cell(f, _cell_rows(fixed_joined)) for f in python.remaining]
        _collect(result, python)
        if python.fixed_source is not None:
            try:
                fixed_cells = _split_cells(python.fixed_source, masked, python_cells)
            except NotebookError as error:
                return FileResult(path, result.findings, error=f"{path}: {error}")
            original = dict(python_cells)
            new_sources.update((n, s) for n, s in fixed_cells.items() if s != original[n])

    result.findings.sort(key=Finding.sort_key)
    result.remaining.sort(key=Finding.sort_key)
    if not new_sources:
        return result
    try:
        layout = detect_layout(text, json.loads(text))
    except NotebookError as error:
        return FileResult(path, result.findings, error=f"{path}: {error}")
    for number, source in new_sources.items():
        _set_cell_source(cells[number - 1], source)
    result.fixed_source = layout.dump(notebook)
    return result


def _collect(into: FileResult, part: FileResult) -> None:
    into.findings.extend(part.findings)
    into.applied.extend(part.applied)
    into.remaining.extend(part.remaining)


def _with_final_newline(body: str) -> str:
    return body if body.endswith("\n") or not body else body + "\n"


def _in_cell(finding: Finding, number: int) -> Finding:
    return shift_rows(finding, 0, cell=number)


def _cell_rows(joined: str) -> list[tuple[int, int, int, int]]:
    """``(cell, first row, last row, rows to subtract)`` ranges of the joined module.

    Each cell starts after its marker line. Lines a fix put above the first marker (an added
    import) belong to the first cell, ahead of its own lines.
    """
    markers = [(joined.count("\n", 0, m.start()) + 1, int(m.group(1))) for m in _CELL_MARKER_LINE.finditer(joined)]
    total = joined.count("\n") + 1
    ranges = []
    for i, (row, number) in enumerate(markers):
        last = markers[i + 1][0] - 1 if i + 1 < len(markers) else total
        if i == 0:
            ranges.append((number, 1, row - 1, 0))
            ranges.append((number, row + 1, last, 1))
        else:
            ranges.append((number, row + 1, last, row))
    return ranges


def _to_cell(finding: Finding, ranges: list[tuple[int, int, int, int]]) -> Finding:
    """A finding of the joined module, moved to its cell's own rows; the rows its message cites too."""

    def mapper(row: int) -> tuple[int | None, int] | None:
        for number, first, last, offset in ranges:
            if first <= row <= last:
                return number, row - offset
        return None

    for number, first, last, offset in ranges:
        if first <= finding.location.row <= last:
            shifted = relocate(finding, -offset, mapper, cell=number)
            if shifted.statement_rows:
                low, high = shifted.statement_rows
                shifted = replace(shifted, statement_rows=(max(low, first - offset), min(high, last - offset)))
            return shifted
    return finding  # on a marker line: cannot happen for a finding inside code


def _split_cells(fixed: str, masked: list[str], python_cells: list[tuple[int, str]]) -> dict[int, str]:
    """Cell sources from the fixed joined module (marker lines removed, IPython lines restored)."""
    pieces = _CELL_MARKER_LINE.split(fixed)
    head, rest = pieces[0], pieces[1:]
    numbers = [int(n) for n in rest[0::2]]
    if numbers != [n for n, _ in python_cells]:
        raise NotebookError("a fix moved the cell markers")
    sources = {}
    for i, (number, original) in enumerate(python_cells):
        body = _unmask(rest[2 * i + 1], masked)
        if i == 0:
            body = head + body  # e.g. an import the fix added above the first cell
        if not original.endswith("\n") and body.endswith("\n"):
            body = body[:-1]  # the joiner's newline, not the cell's
        sources[number] = body
    return sources


def add_noqa_to_notebook(text: str, findings: list[Finding]) -> str:
    """Write ``# noqa`` comments into the cells the findings point at; the file is unchanged otherwise."""
    notebook = json.loads(text)
    layout = detect_layout(text, notebook)
    changed = False
    for number, cell in enumerate(notebook["cells"], start=1):
        mine = [f for f in findings if f.cell == number]
        source = _cell_source(cell)
        new = add_noqa(source, mine, python=_is_python_cell(source)) if mine else source
        if new != source:
            _set_cell_source(cell, new)
            changed = True
    return layout.dump(notebook) if changed else text
