"""Checking a large file a section at a time: each section analysed (and fixed) as a module of its own, the
findings and fixes moved back to the file's lines, the fixed statements put back in their places."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import libcst as cst

from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.noqa import file_noqa_marker
from vllm_pooling_migrate.codemod.options import Options
# fix_proof's functions are called through the module, so that a test can stand in for the proof.
from vllm_pooling_migrate.codemod.python import fix_proof
from vllm_pooling_migrate.codemod.python.edits import ImportNeed, add_imports
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.python.sections.layout import Layout, NotSplittable, Statement
from vllm_pooling_migrate.codemod.python.sections.planning import plan_sections
from vllm_pooling_migrate.codemod.python.sections.rows import fixed_row_map, moved_finding, row_map
from vllm_pooling_migrate.codemod.python.sections.scanning import scan
from vllm_pooling_migrate.codemod.python.sections.text import HEAD, assemble, locator, section_text, split_fixed


@dataclass
class Environment:
    """What the analysis of a section needs to know about the rest of its file, and what it reports back."""

    module_names: frozenset[str] = frozenset()  # names bound at module level anywhere in the file
    file_marker: tuple[bool, frozenset[str] | None] = (False, None)  # the file's ``# migrate-pooling: noqa``
    imports: list[ImportNeed] = field(default_factory=list)  # the imports of every fix applied
    #: Whether the whole file names vLLM anywhere (a comment, a string, an import); None: read the text checked.
    mentions_vllm: bool | None = None


def mentions_vllm(text: str) -> bool:
    """The text names vLLM somewhere: evidence that a request to a generic route (``/v1/embeddings``) is vLLM's."""
    return _VLLM_WORD.search(text) is not None


_VLLM_WORD = re.compile("vllm", re.IGNORECASE)


class NotSectionable(Exception):
    """The file is analysed whole after all (a section does not parse, or a fix moved a marker)."""


#: How a module's text is checked (the engine's whole-file check): each section's text goes through it.
CheckText = Callable[[str, str, Options, list[type[PythonRule]] | None, Environment], FileResult]


def check_in_sections(
    source: str,
    path: str,
    options: Options,
    rules: list[type[PythonRule]] | None,
    check_whole: CheckText,
    section_chars: int,
) -> FileResult:
    """The file's statements in sections of linked statements, each analysed (and fixed) as a module of its
    own that starts with all of the file's imports; then the imports themselves, with every import a section's
    fixes need. Findings are moved to the file's lines; the fixed statements are put back in their places, and
    what fixing left in each section is moved to the lines of the fixed file."""
    try:
        layout = scan(source)
    except NotSplittable:
        raise NotSectionable from None
    plan = plan_sections(layout, section_chars)
    if len(plan) < 2:
        raise NotSectionable
    newline = "\r\n" if source.count("\r\n") == source.count("\n") > 0 else "\n"
    env_names, marker = layout.module_names(), file_noqa_marker(layout.comments)
    with _collections_between_sections() as collect:
        return _sections_result(source, path, options, rules, check_whole, layout, plan, newline, env_names, marker, collect)


@contextmanager
def _collections_between_sections() -> Iterator[Callable[[], None]]:
    """A collection after each section: its tree is held in cycles (libcst's scopes) and would otherwise wait for
    the collector while the next one is built. What survives a section (its findings) is frozen out of later
    collections, so that each costs the size of one section, not of everything found so far; thawed at the end.
    Freezing is left alone where the process already froze objects of its own."""
    freeze = gc.get_freeze_count() == 0

    def collect() -> None:
        gc.collect()
        if freeze:
            gc.freeze()

    try:
        yield collect
    finally:
        if freeze:
            gc.unfreeze()


def _sections_result(
    source: str,
    path: str,
    options: Options,
    rules: list[type[PythonRule]] | None,
    check_whole: CheckText,
    layout: Layout,
    plan: list[list[Statement]],
    newline: str,
    env_names: frozenset[str],
    marker: tuple[bool, frozenset[str] | None],
    collect: Callable[[], None],
) -> FileResult:
    findings: list[Finding] = []
    applied: list[Finding] = []
    fixed: dict[int, str] = {}
    needs: list[ImportNeed] = []
    left: list[tuple[list[Finding], str, frozenset[int]]] = []  # what fixing left, in which text, for which statements
    for statements in [*plan, []]:  # the imports last: they receive every import the others need
        text = section_text(layout, statements, newline)
        env = Environment(env_names, marker, mentions_vllm=mentions_vllm(source))
        part = check_whole(text.text, path, options, rules, env)
        collect()
        if part.error:
            raise NotSectionable  # reported for the whole file, with its own line
        mine = frozenset(s.index for s in statements or layout.prefix)
        own = [f for f in part.findings if not statements or f.location.row >= text.body_start]
        findings.extend(moved_finding(f, row_map(text.file_line)) for f in own)
        if not options.fix:
            continue
        new_text = part.fixed_source
        if not statements and needs:
            new_text = _with_imports(new_text or text.text, needs)
            part.remaining = check_whole(new_text, path, replace(options, fix=False), rules, env).findings
        if new_text is not None:
            pieces = split_fixed(new_text, text.ids)
            if pieces is None or (not statements and HEAD in pieces):
                raise NotSectionable
            applied.extend(moved_finding(f, row_map(text.file_line)) for f in part.applied if not statements or f.location.row >= text.body_start)
            fixed.update((index, pieces[index]) for index in mine)
            needs.extend(env.imports)
        left.append((part.remaining, new_text or text.text, mine))
    result = FileResult(path, sorted(findings, key=Finding.sort_key))
    if not options.fix:
        return result
    new_source, first_lines = assemble(layout, fixed)
    if new_source == source:
        result.remaining = result.findings
        return result
    result.fixed_source = new_source
    result.applied = sorted(applied, key=Finding.sort_key)
    remaining: list[Finding] = []
    for part_left, text_after, mine in left:
        locate = locator(text_after)
        for finding in part_left:
            place = locate(finding.location.row)
            if place is not None and place[0] in mine:
                remaining.append(moved_finding(finding, fixed_row_map(locate, first_lines)))
    result.remaining = sorted(remaining, key=Finding.sort_key)
    return result


def _with_imports(text: str, needs: list[ImportNeed]) -> str:
    """The imports section with the imports other sections' fixes use (proved like any fix)."""
    module = cst.parse_module(text)
    new_text = add_imports(module, needs).code
    if fix_proof.verify_fixed_source(module, new_text):
        raise NotSectionable
    return new_text
