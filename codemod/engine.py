"""Check and fix one Python file: one parse, one batched traversal running every enabled rule.

A file that no rule can concern is skipped before it is parsed (``codemod.python.prefilter``). Fixing applies all
applicable fixes in one pass (``codemod.python.fixing``), then proves the result (``codemod.python.fix_proof``): it
must parse again and must not use a name that the original did not leave unbound. Otherwise the file is left exactly
as it was and the findings are reported as unfixable.

Whatever the file looks like, it is analysed, never skipped: a UTF-8 BOM is set aside and put back; a file nested
too deeply for Python's default recursion limit (a concatenation of hundreds of strings) is analysed again on a
thread with a deep stack; a file of more than ``LARGE_SOURCE`` characters is analysed a section at a time
(``codemod.python.sections``), so that time and memory grow linearly with its size. Code under an explicit vLLM
version check keeps its findings but loses their fixes (``codemod.analysis.version_guards``).
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from vllm_pooling_migrate.codemod.analysis.instances import InstanceTracker
from vllm_pooling_migrate.codemod.analysis.symbols import install_lazy_qualified_names
from vllm_pooling_migrate.codemod.analysis.version_guards import Region, VersionGuards, guard_reason
from vllm_pooling_migrate.codemod.finding import Edit, FileResult, Finding, Fix, Location
from vllm_pooling_migrate.codemod.noqa import NoqaMap, is_suppressed, parse_noqa
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.output.diff import line_opcodes
from vllm_pooling_migrate.codemod.python.argv_lists import ArgvLists
from vllm_pooling_migrate.codemod.python.edits import PythonFix, add_imports, render_node_after
from vllm_pooling_migrate.codemod.python.fix_proof import forget_original, remember_original
from vllm_pooling_migrate.codemod.python.fixing import fix_or_prove
from vllm_pooling_migrate.codemod.python.prefilter import may_be_affected
from vllm_pooling_migrate.codemod.python.rule import FileContext, PythonRule, RawFinding
from vllm_pooling_migrate.codemod.python.sections.checking import (Environment, NotSectionable, check_in_sections,
                                                                   mentions_vllm)
from vllm_pooling_migrate.codemod.python.sections.text import MARKER
from vllm_pooling_migrate.codemod.rules import rules_of_kind
from vllm_pooling_migrate.registry import FixClass

#: Fixes of one pass can touch the same node (a dict turned into a call that another rule would extend);
#: like ruff, fixing re-runs on its own output until nothing changes.
MAX_FIX_PASSES = 5
#: Above this many characters a file is analysed a section at a time (``codemod.python.sections``).
LARGE_SOURCE = 256_000
#: About how many characters one section holds (statements linked to each other are never split).
SECTION_CHARS = 96_000
#: Recursion limit and stack size of the thread that analyses a file too deeply nested for the defaults.
DEEP_RECURSION_LIMIT = 60_000
DEEP_STACK_BYTES = 256 * 1024 * 1024
BOM = "\ufeff"


def check_python_source(source: str, path: str, options: Options, rules: list[type[PythonRule]] | None = None) -> FileResult:
    """The findings of one Python source (and with ``options.fix``, its fixed text)."""
    if source.startswith(BOM):
        result = check_python_source(source[len(BOM) :], path, options, rules)
        if result.fixed_source is not None:
            result.fixed_source = BOM + result.fixed_source
        return result
    with _fewer_collections():
        try:
            return _check(source, path, options, rules)
        except RecursionError:
            return _on_deep_stack(lambda: _check(source, path, options, rules))


#: The cyclic collector's first-generation threshold while a file is analysed. libcst allocates millions of small
#: objects that live as long as the analysis; at Python's default (700) the collector runs so often that it takes a
#: quarter of the time. The threshold is restored afterwards.
GC_THRESHOLD = 10_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _check(source: str, path: str, options: Options, rules: list[type[PythonRule]] | None) -> FileResult:
    if len(source) > LARGE_SOURCE and MARKER not in source and may_be_affected(source):
        try:
            return check_in_sections(source, path, options, rules, _check_whole, SECTION_CHARS)
        except NotSectionable:
            pass
    return _check_whole(source, path, options, rules, Environment())


def _check_whole(
    source: str, path: str, options: Options, rules: list[type[PythonRule]] | None, env: Environment
) -> FileResult:
    result = _one_pass(source, path, options, rules, env)
    if not options.fix or result.error:
        return result
    current, text = result, source
    waiting = [f for f in result.findings if f.fix is not None and f not in result.applied]  # deferred to a later pass
    for _ in range(MAX_FIX_PASSES):
        if current.fixed_source is None:
            break
        text = current.fixed_source
        current = _one_pass(text, path, options, rules, env)
        result.applied.extend(_first_pass_findings(waiting, current.applied if current.fixed_source else []))
    result.fixed_source = text if text != source else None
    result.remaining = current.findings
    result.applied.sort(key=Finding.sort_key)
    return result


def _first_pass_findings(waiting: list[Finding], applied: list[Finding]) -> list[Finding]:
    """The findings of the first pass that a later pass fixed (argv edits wait for a pass without CST fixes), as
    the first pass located them: "Fixed N findings" counts and places every fix in the file as the user has it."""
    found = []
    for later in applied:
        match = next((f for f in waiting if f.code == later.code and f.message == later.message), None)
        if match is not None:
            waiting.remove(match)
            found.append(match)
    return found


def _on_deep_stack(work: Callable[[], FileResult]) -> FileResult:
    """``work()`` on a thread with a deep stack and a high recursion limit (libcst visits trees recursively)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous, DEEP_RECURSION_LIMIT))
        try:
            outcome["result"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            outcome["error"] = error
        finally:
            sys.setrecursionlimit(previous)

    size = threading.stack_size()
    threading.stack_size(DEEP_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, name="migrate-pooling-deep-file")
        thread.start()
    finally:
        threading.stack_size(size)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]  # run() stores only exceptions under "error"
    result = outcome["result"]
    assert isinstance(result, FileResult)
    return result


def _one_pass(
    source: str, path: str, options: Options, rules: list[type[PythonRule]] | None, env: Environment
) -> FileResult:
    result = FileResult(path)
    if not may_be_affected(source):
        return result
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        result.error = f"{path}:{error.raw_line}:{error.raw_column + 1}: cannot parse: {error.message}"
        return result

    if options.fix:
        remember_original(module, source)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    install_lazy_qualified_names(wrapper)
    tracker = InstanceTracker(path)
    context = FileContext(wrapper, path, options, tracker, module_names=env.module_names,
                          mentions_vllm=env.mentions_vllm if env.mentions_vllm is not None else mentions_vllm(source))
    candidates = rules or rules_of_kind(PythonRule)
    active = [rule(context) for rule in candidates if rule.active(options)]
    argv_lists = ArgvLists(context)
    guards = VersionGuards()
    wrapper.visit_batched([tracker, guards, *active] + ([argv_lists] if rules is None else []))
    for rule in active:
        rule.finish()

    argv_findings = argv_lists.findings
    if guards.branches and (context.findings or argv_findings):
        regions = guards.regions(context.qualified_names, context.position)
        if regions:
            _keep_guarded_code(context, regions, argv_findings)
    raw = sorted(context.findings, key=lambda f: (context.position(f.node).start.line, context.position(f.node).start.column, f.code))
    findings = [_to_finding(context, f) for f in raw]
    if not options.ignore_noqa:
        # A suppressed finding is neither reported nor fixed.
        noqa = _noqa(source, env)
        kept = [i for i, finding in enumerate(findings) if not is_suppressed(finding, noqa)]
        raw, findings = [raw[i] for i in kept], [findings[i] for i in kept]
        argv_findings = [f for f in argv_findings if not is_suppressed(f, noqa)]
    result.findings = sorted(findings + argv_findings, key=Finding.sort_key)
    pairs = list(zip(raw, findings))
    try:
        fix_or_prove(context, pairs, argv_findings, result, env.imports, module, source)
    finally:
        forget_original()
    return result


def _noqa(source: str, env: Environment) -> NoqaMap:
    noqa = parse_noqa(source, python=True)
    present, codes = env.file_marker
    return replace(noqa, file_marker=True, file_codes=codes) if present and not noqa.file_marker else noqa


def _keep_guarded_code(context: FileContext, regions: list[Region], argv_findings: list[Finding]) -> None:
    """Findings in code under a vLLM version check lose their fixes (see ``analysis.version_guards``)."""
    target = context.options.target_version
    for raw in context.findings:
        if raw.fix is None:
            continue
        for node in [raw.node, *(node for node, _ in raw.fix.ops)]:
            reason = guard_reason(regions, context.position(node), target)
            if reason:
                raw.fix, raw.unfixable_reason = None, reason
                break
    for i, finding in enumerate(argv_findings):
        if finding.fix is None:
            continue
        where = CodeRange(
            CodePosition(finding.location.row, finding.location.column - 1),
            CodePosition(finding.end_location.row, finding.end_location.column - 1),
        )
        reason = guard_reason(regions, where, target)
        if reason:
            argv_findings[i] = replace(finding, fix=None, unfixable_reason=reason)


# --- turning raw findings into positioned values -----------------------------------------------------


def _to_finding(context: FileContext, raw: RawFinding) -> Finding:
    where = context.position(raw.node)
    fix = None
    if raw.fix is not None:
        fix = Fix(raw.applicability, _fix_message(raw), tuple(_edits(context, raw.fix)))
    reason = raw.unfixable_reason
    if fix is not None and raw.applicability is FixClass.UNSAFE and not context.options.unsafe_fixes:
        reason = reason or "unsafe fix: apply with --unsafe-fixes"
    return Finding(
        code=raw.code,
        message=raw.message,
        path=context.path,
        location=Location(where.start.line, where.start.column + 1),
        end_location=Location(where.end.line, where.end.column + 1),
        fix=fix,
        unfixable_reason=reason,
        statement_rows=context.statement_rows(raw.node),
    )


def _fix_message(raw: RawFinding) -> str:
    return "unsafe fix" if raw.applicability is FixClass.UNSAFE else "safe fix"


def _edits(context: FileContext, fix: PythonFix) -> list[Edit]:
    """Text edits equivalent to one finding's fix: each changed node's span, then the import."""
    edits = []
    targets = _outermost_targets(context, fix)
    for node in targets:
        where = context.position(node)
        edits.append(
            Edit(
                render_node_after(context.module, node, fix),
                Location(where.start.line, where.start.column + 1),
                Location(where.end.line, where.end.column + 1),
            )
        )
    if fix.imports:
        edits.extend(_import_edits(context, tuple(fix.imports)))
    return edits


def _import_edits(context: FileContext, needs: tuple) -> list[Edit]:
    """The edits adding ``needs``; computed once per file and set of imports (many findings share one)."""
    cache = context.__dict__.setdefault("_import_edit_cache", {})
    if needs not in cache:
        with_imports = add_imports(context.module, list(needs))
        cache[needs] = _line_diff_edits(context.module.code, with_imports.code)
    return cache[needs]


def _outermost_targets(context: FileContext, fix: PythonFix) -> list[cst.CSTNode]:
    nodes = {id(node): node for node, _ in fix.ops}
    outermost = []
    for node in nodes.values():
        inside_another = any(
            other is not node and _contains(context.position(other), context.position(node)) for other in nodes.values()
        )
        if not inside_another:
            outermost.append(node)
    return outermost


def _contains(outer, inner) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and (
        inner.end.line,
        inner.end.column,
    ) <= (outer.end.line, outer.end.column)


def _line_diff_edits(before: str, after: str) -> list[Edit]:
    """Whole-line edits turning ``before`` into ``after`` (used for the import statement only)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    edits = []
    for tag, i1, i2, j1, j2 in line_opcodes(old, new):
        if tag != "equal":
            edits.append(Edit("".join(new[j1:j2]), Location(i1 + 1, 1), Location(i2 + 1, 1)))
    return edits
