"""Check and fix one Python file: one parse, one batched traversal running every enabled rule.

Fixing applies all applicable fixes in one pass, then proves the result: it must parse again and must not
use a name that the original did not leave unbound. Otherwise the file is left exactly as it was and the
findings are reported as unfixable.

Whatever the file looks like, it is analysed, never skipped: a UTF-8 BOM is set aside and put back; a file nested
too deeply for Python's default recursion limit (a concatenation of hundreds of strings) is analysed again on a
thread with a deep stack; a file of more than ``LARGE_SOURCE`` characters is analysed a section at a time
(``codemod.python.sections``), so that time and memory grow linearly with its size. Code under an explicit vLLM
version check keeps its findings but loses their fixes (``codemod.analysis.version_guards``).
"""

from __future__ import annotations

import builtins
import gc
import re
import symtable
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, ScopeProvider

from vllm_pooling_migrate.codemod.analysis.instances import InstanceTracker
from vllm_pooling_migrate.codemod.analysis.symbols import install_lazy_qualified_names
from vllm_pooling_migrate.codemod.analysis.version_guards import Region, VersionGuards, guard_reason
from vllm_pooling_migrate.codemod.edits import apply_fixes as apply_text_fixes
from vllm_pooling_migrate.codemod.finding import Edit, FileResult, Finding, Fix, Location
from vllm_pooling_migrate.codemod.noqa import NoqaMap, file_noqa_marker, is_suppressed, parse_noqa
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.output.diff import line_opcodes
from vllm_pooling_migrate.codemod.python.sections.layout import Layout, NotSplittable, Statement
from vllm_pooling_migrate.codemod.python.sections.planning import plan_sections
from vllm_pooling_migrate.codemod.python.sections.scanning import scan
from vllm_pooling_migrate.codemod.python.sections.text import HEAD, MARKER, assemble, locator, section_text, split_fixed
from vllm_pooling_migrate.codemod.python.argv_lists import ArgvLists
from vllm_pooling_migrate.codemod.python.edits import ImportNeed, PythonFix, add_imports, apply_fixes, render_node_after
from vllm_pooling_migrate.codemod.python.rule import FileContext, PythonRule, RawFinding
from vllm_pooling_migrate.codemod.rules import rules_of_kind
from vllm_pooling_migrate.registry import FixClass

#: What a Python file must contain to hold a finding; anything else is skipped before it is decoded. A quick byte
#: test (one scan for a word, then patterns), so that a tree of unrelated code costs a read per file. It sees
#: through a UTF-8 BOM, an encoding cookie (any ASCII-compatible codec spells these words in ASCII), CRLF and
#: CR-only line ends, ``;``-joined statements and backslash continuations. Let through:
#:
#: * an import of vLLM, of this project's shim, or of Ray's vLLM wrappers (``ray.data.llm``, ``ray.serve.llm``);
#: * a request to one of vLLM's pooling routes (``/pooling``, ``/v1/embeddings``, ``/v2/rerank`` ...): HTTP clients
#:   rarely import vLLM;
#: * a vLLM-only flag with a pooling value in a string or an argv list (``["--task", "embed"]``,
#:   ``"--task=embed"``, ``--override-pooler-config``, ``--pooler-config``, ``--convert reward``): test fixtures
#:   and launchers start servers without naming vLLM; vLLM's test server ``RemoteOpenAIServer`` and vLLM's own
#:   ``BgeM3EmbeddingModel`` (an ``--hf-overrides`` architecture) likewise.
#:
#: A mention of vLLM in a comment or docstring alone is not enough.
_LINE_START = rb"(?:^|\r|;)(?:\xef\xbb\xbf)?[ \t\f]*"
_SPACE = rb"(?:[ \t\f]|\\\r?\n)+"
_PACKAGES = rb"(?:vllm|vllm_pooling_migrate)\b"
_QUOTE_SEP = rb"""(?:[ =]|["']\s*,\s*["'])"""
#: An import of vLLM or of this project's shim, on a line of its own (tried only where "vllm" occurs).
_IMPORTS_VLLM = re.compile(
    _LINE_START + rb"(?:from" + _SPACE + _PACKAGES + rb"|import" + _SPACE + rb"(?:[^\n#]|\\\r?\n)*?\b" + _PACKAGES + rb")",
    re.MULTILINE,
)
#: Ray's vLLM wrappers, pooling routes, vLLM-only flags with a pooling value (each starts with a fixed character,
#: so the search is quick).
_OTHER_EVIDENCE = re.compile(
    rb"|".join(
        [
            rb"ray\.(?:data|serve)\.llm\b",
            rb"from" + _SPACE + rb"ray\.(?:data|serve)" + _SPACE + rb"import[^\n#]*\bllm\b",
            rb"/pooling\b",
            rb"""/(?:v[12]/)?(?:embeddings|embed|classify|score|rerank)["'?]""",
            rb"--task" + _QUOTE_SEP + rb"(?:embed|embedding|classify|score|reward)\b",
            rb"--convert" + _QUOTE_SEP + rb"reward\b",
            rb"--(?:override[-_])?pooler[-_]config\b",
            rb"RemoteOpenAIServer\b",
            rb"BgeM3EmbeddingModel\b",
        ]
    )
)
#: A word every pattern above contains: one quick scan rules out almost every file of a tree that does not use vLLM.
_GATE = re.compile(rb"vllm|ray\.|/pooling|/embed|/classify|/score|/rerank|--task|pooler|--convert|RemoteOpenAIServer|BgeM3")


def may_be_affected(source: str | bytes) -> bool:
    """False when no rule can fire on this Python source (text or the file's bytes)."""
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if _GATE.search(data) is None:
        return False
    if b"vllm" in data and _IMPORTS_VLLM.search(data):
        return True
    return _OTHER_EVIDENCE.search(data) is not None


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


@dataclass
class _Environment:
    """What the analysis of a section needs to know about the rest of its file, and what it reports back."""

    module_names: frozenset[str] = frozenset()  # names bound at module level anywhere in the file
    file_marker: tuple[bool, frozenset[str] | None] = (False, None)  # the file's ``# migrate-pooling: noqa``
    imports: list[ImportNeed] = field(default_factory=list)  # the imports of every fix applied


class _NotSectionable(Exception):
    """The file is analysed whole after all (a section does not parse, or a fix moved a marker)."""


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
            return _check_in_sections(source, path, options, rules)
        except _NotSectionable:
            pass
    return _check_whole(source, path, options, rules, _Environment())


def _check_whole(
    source: str, path: str, options: Options, rules: list[type[PythonRule]] | None, env: _Environment
) -> FileResult:
    result = _one_pass(source, path, options, rules, env)
    if not options.fix or result.error:
        return result
    current, text = result, source
    for _ in range(MAX_FIX_PASSES):
        if current.fixed_source is None:
            break
        text = current.fixed_source
        current = _one_pass(text, path, options, rules, env)
    result.fixed_source = text if text != source else None
    result.remaining = current.findings
    return result


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
    source: str, path: str, options: Options, rules: list[type[PythonRule]] | None, env: _Environment
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
        _remember_original(module, source)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    install_lazy_qualified_names(wrapper)
    tracker = InstanceTracker(path)
    context = FileContext(wrapper, path, options, tracker, module_names=env.module_names)
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
        _fix_or_prove(context, pairs, argv_findings, result, env, module, source)
    finally:
        _forget_original()
    return result


def _fix_or_prove(
    context: FileContext, pairs: list[Pair], argv_findings: list[Finding], result: FileResult, env: _Environment,
    module: cst.Module, source: str,
) -> None:
    options = context.options
    raw = [r for r, _ in pairs]
    if options.fix:
        _apply(context, pairs, result, env)
        if result.fixed_source is None:
            _apply_argv_edits(context, argv_findings, result)
    elif any(_applicable(r, options) for r in raw) or any(f.fix is not None for f in argv_findings):
        # Prove the fixes here too, so that a fix a fix run would drop is not counted as fixable by --check and
        # --statistics either: every mode gives the same "N fixable" (nothing is written).
        _remember_original(module, source)
        proof = FileResult(result.path, result.findings)
        _apply(context, pairs, proof, _Environment())
        if proof.fixed_source is None:
            _apply_argv_edits(context, argv_findings, proof)
        result.findings = proof.findings


def _noqa(source: str, env: _Environment) -> NoqaMap:
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
            argv_findings[i] = _replace(finding, fix=None, unfixable_reason=reason)


def _apply_argv_edits(context: FileContext, argv_findings: list[Finding], result: FileResult) -> None:
    """Text edits of argv lists, in a pass without CST fixes (so their positions are still right)."""
    new_source, applied = apply_text_fixes(context.module.code, argv_findings, context.options.unsafe_fixes)
    if not applied or new_source == context.module.code:
        return
    problem = verify_fixed_source(context.module, new_source)
    if problem:
        result.findings = [_replace(f, fix=None, unfixable_reason=problem) if f in applied else f for f in result.findings]
        return
    result.fixed_source = new_source
    result.applied = sorted(applied, key=Finding.sort_key)


def _applicable(finding: RawFinding, options: Options) -> bool:
    if finding.fix is None:
        return False
    return finding.applicability is FixClass.SAFE or (finding.applicability is FixClass.UNSAFE and options.unsafe_fixes)


#: Above this many fixes, the ones that do not verify are found by halving the set rather than one at a time.
_BISECT_ABOVE = 16

Pair = tuple[RawFinding, Finding]


def _apply(context: FileContext, pairs: list[Pair], result: FileResult, env: _Environment) -> None:
    chosen = [(raw, finding) for raw, finding in pairs if _applicable(raw, context.options)]
    if not chosen:
        return
    new_source, problem = _fixed_source(context, chosen)
    if problem:
        # Some fixes conflict: keep each one that still verifies together with those kept so far.
        rejected: list[tuple[Pair, str]] = []
        kept = _verifying(context, [], chosen, rejected)
        unfixable = {id(finding): reason for (_, finding), reason in rejected}
        result.findings = [
            _replace(f, fix=None, unfixable_reason=unfixable[id(f)]) if id(f) in unfixable else f for f in result.findings
        ]
        chosen = kept
        new_source, _ = _fixed_source(context, chosen) if chosen else (context.module.code, None)
    if new_source != context.module.code:
        result.fixed_source = new_source
        result.applied = [finding for _, finding in chosen]
        env.imports.extend(need for raw, _ in chosen if raw.fix is not None for need in raw.fix.imports)


def _verifying(context: FileContext, kept: list[Pair], candidates: list[Pair], rejected: list[tuple[Pair, str]]) -> list[Pair]:
    """``kept`` plus the candidates that verify with it, in order. One at a time for a few; for many, a half
    that verifies whole is kept in one step (so a file with thousands of fixes and one bad one costs a few
    dozen proofs, not thousands)."""
    if len(candidates) > _BISECT_ABOVE:
        _, problem = _fixed_source(context, kept + candidates)
        if not problem:
            return kept + candidates
        middle = len(candidates) // 2
        kept = _verifying(context, kept, candidates[:middle], rejected)
        return _verifying(context, kept, candidates[middle:], rejected)
    for pair in candidates:
        _, problem = _fixed_source(context, kept + [pair])
        if problem:
            rejected.append((pair, problem))
        else:
            kept = kept + [pair]
    return kept


def _fixed_source(context: FileContext, chosen: list[Pair]) -> tuple[str, str | None]:
    fixes = [raw.fix for raw, _ in chosen if raw.fix is not None]
    new_source = apply_fixes(context.module, fixes, context.top_level_index).code
    return new_source, verify_fixed_source(context.module, new_source)


def verify_fixed_source(original: cst.Module, new_source: str) -> str | None:
    """None when the fixed text parses, compiles (when the original did) and uses no name the original did not
    already leave unbound.

    When the original compiles, CPython's compiler and symbol table answer (fast, in C); otherwise libcst's
    parser and scopes do.
    """
    compiles, unbound = _original_facts(original)
    if compiles:
        if not _compiles(new_source):
            try:
                cst.parse_module(new_source)
            except cst.ParserSyntaxError as error:
                return f"the fix would not parse ({error.message}); file left unchanged"
            return "the fix would not compile (e.g. a repeated keyword argument); file left unchanged"
        introduced = compiled_unbound_names(new_source) - unbound
    else:
        try:
            fixed = cst.parse_module(new_source)
        except cst.ParserSyntaxError as error:
            return f"the fix would not parse ({error.message}); file left unchanged"
        introduced = unbound_names(fixed) - unbound_names(original)
    if introduced:
        return f"the fix would use unbound names {sorted(introduced)}; file left unchanged"
    return None


#: What verification needs to know about the module being fixed: (module, it compiles, its unbound names). One
#: entry: every proof of a pass is against the same original.
_original: tuple[cst.Module, bool, frozenset[str]] | None = None


def _remember_original(module: cst.Module, source: str) -> None:
    global _original
    compiles = _compiles(source)
    _original = (module, compiles, frozenset(compiled_unbound_names(source)) if compiles else frozenset())


def _forget_original() -> None:
    """Let the pass's module go (a large module's tree is most of the memory a run holds)."""
    global _original
    _original = None


def _original_facts(original: cst.Module) -> tuple[bool, frozenset[str]]:
    if _original is None or _original[0] is not original:
        _remember_original(original, original.code)
    assert _original is not None
    return _original[1], _original[2]


def _compiles(source: str) -> bool:
    """CPython's own checks beyond the grammar (repeated keywords, misplaced arguments)."""
    try:
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


_ALWAYS_BOUND = frozenset({"__file__", "__name__"})


def compiled_unbound_names(source: str) -> set[str]:
    """Names the code reads that nothing binds (nor builtins), from CPython's symbol table: what
    ``unbound_names`` finds with libcst's scopes, for source that compiles."""
    top = symtable.symtable(source, "<fixed>", "exec")
    everywhere = [top]
    for table in everywhere:
        everywhere.extend(table.get_children())
    bound_here = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    bound_here |= {  # ``global x; x = ...`` in a function binds the module's x
        s.get_name() for table in everywhere[1:] for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()
    }
    unbound = set()
    for table in everywhere:
        for symbol in table.get_symbols():
            name = symbol.get_name()
            if not symbol.is_referenced() or name in bound_here or name in _ALWAYS_BOUND or hasattr(builtins, name):
                continue
            if table is top or symbol.is_global():
                unbound.add(name)
    return unbound


def unbound_names(module: cst.Module) -> set[str]:
    scopes = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    unbound = set()
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            name = access.node.value if isinstance(access.node, cst.Name) else None
            if name and not access.referents and not hasattr(builtins, name) and name not in _ALWAYS_BOUND:
                unbound.add(name)
    return unbound


# --- large files: a section at a time ----------------------------------------------------------------


def _check_in_sections(source: str, path: str, options: Options, rules: list[type[PythonRule]] | None) -> FileResult:
    """The file's statements in sections of linked statements, each analysed (and fixed) as a module of its
    own that starts with all of the file's imports; then the imports themselves, with every import a section's
    fixes need. Findings are moved to the file's lines; the fixed statements are put back in their places, and
    what fixing left in each section is moved to the lines of the fixed file."""
    try:
        layout = scan(source)
    except NotSplittable:
        raise _NotSectionable from None
    plan = plan_sections(layout, SECTION_CHARS)
    if len(plan) < 2:
        raise _NotSectionable
    newline = "\r\n" if source.count("\r\n") == source.count("\n") > 0 else "\n"
    env_names, marker = layout.module_names(), file_noqa_marker(layout.comments)
    with _collections_between_sections() as collect:
        return _sections_result(source, path, options, rules, layout, plan, newline, env_names, marker, collect)


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
        env = _Environment(env_names, marker)
        part = _check_whole(text.text, path, options, rules, env)
        collect()
        if part.error:
            raise _NotSectionable  # reported for the whole file, with its own line
        mine = frozenset(s.index for s in statements or layout.prefix)
        own = [f for f in part.findings if not statements or f.location.row >= text.body_start]
        findings.extend(_moved(f, _row_map(text.file_line)) for f in own)
        if not options.fix:
            continue
        new_text = part.fixed_source
        if not statements and needs:
            new_text = _with_imports(new_text or text.text, needs)
            part.remaining = _check_whole(new_text, path, replace(options, fix=False), rules, env).findings
        if new_text is not None:
            pieces = split_fixed(new_text, text.ids)
            if pieces is None or (not statements and HEAD in pieces):
                raise _NotSectionable
            applied.extend(_moved(f, _row_map(text.file_line)) for f in part.applied if not statements or f.location.row >= text.body_start)
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
                remaining.append(_moved(finding, _fixed_row_map(locate, first_lines)))
    result.remaining = sorted(remaining, key=Finding.sort_key)
    return result


def _row_map(file_line: list[int]) -> Callable[[int], int]:
    """A section's row -> the file's row, through the section's table (rows past its end continue the count)."""
    last = len(file_line) - 1

    def row(value: int) -> int:
        return file_line[value] if 0 <= value <= last else file_line[last] + value - last

    return row


def _fixed_row_map(locate: Callable[[int], tuple[int, int] | None], first_lines: dict[int, int]) -> Callable[[int], int]:
    """A fixed section's row -> the fixed file's row: the statement it lies in, and how far into it."""

    def row(value: int) -> int:
        place = locate(value)
        if place is None or place[0] not in first_lines:
            return value
        return first_lines[place[0]] + place[1]

    return row


def _with_imports(text: str, needs: list[ImportNeed]) -> str:
    """The imports section with the imports other sections' fixes use (proved like any fix)."""
    module = cst.parse_module(text)
    new_text = add_imports(module, needs).code
    if verify_fixed_source(module, new_text):
        raise _NotSectionable
    return new_text


def _moved(finding: Finding, row: Callable[[int], int]) -> Finding:
    """A finding of a section, on the file's lines (its fix, its statement and the lines its message cites)."""

    def moved(location: Location) -> Location:
        return Location(row(location.row), location.column)

    fix = finding.fix
    if fix is not None:
        fix = Fix(fix.applicability, fix.message, tuple(Edit(e.content, moved(e.location), moved(e.end_location)) for e in fix.edits))
    rows = finding.statement_rows
    return replace(
        finding,
        location=moved(finding.location),
        end_location=moved(finding.end_location),
        fix=fix,
        statement_rows=(row(rows[0]), row(rows[1])) if rows else None,
        message=cite_lines(finding.message, row),
        unfixable_reason=finding.unfixable_reason and cite_lines(finding.unfixable_reason, row),
    )


# --- line numbers in messages ------------------------------------------------------------------------

_LINE_REFERENCE = re.compile(r"\b(lines?) (\d+(?:, \d+)*)\b")


def cite_lines(text: str, row: Callable[[int], int]) -> str:
    """``text`` with the number of each ``line N`` / ``lines N, M`` reference it holds mapped by ``row`` (how the
    rules cite rows in messages and reasons; ``formats.embedded_python`` reads them the same way)."""

    def rewrite(match: re.Match[str]) -> str:
        return f"{match.group(1)} " + ", ".join(str(row(int(n))) for n in match.group(2).split(", "))

    return _LINE_REFERENCE.sub(rewrite, text)


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


def _replace(finding: Finding, **changes) -> Finding:
    from dataclasses import replace

    return replace(finding, **changes)
