"""Check and fix one Python file: one parse, one batched traversal running every enabled rule.

Fixing applies all applicable fixes in one pass, then proves the result: it must parse again and must not
use a name that the original did not leave unbound. Otherwise the file is left exactly as it was and the
findings are reported as unfixable.
"""

from __future__ import annotations

import builtins
import re

import libcst as cst
from libcst.metadata import ScopeProvider

from vllm_pooling_migrate.codemod.analysis.instances import InstanceTracker
from vllm_pooling_migrate.codemod.finding import Edit, FileResult, Finding, Fix, Location
from vllm_pooling_migrate.codemod.edits import apply_fixes as apply_text_fixes
from vllm_pooling_migrate.codemod.noqa import is_suppressed, parse_noqa
from vllm_pooling_migrate.codemod.python.argv_lists import ArgvLists
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.edits import PythonFix, add_imports, apply_fixes, render_node_after
from vllm_pooling_migrate.codemod.python.rule import FileContext, PythonRule, RawFinding
from vllm_pooling_migrate.codemod.rules import rules_of_kind
from vllm_pooling_migrate.registry import FixClass

#: A Python file can only be affected if it imports vLLM (or this project's shim), or posts to a vLLM
#: server's /pooling route (clients rarely import vllm). A mention in a comment or docstring is not enough.
_MENTIONS_VLLM = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?:vllm|vllm_pooling_migrate)\b|import[ \t]+[^\n#]*\b(?:vllm|vllm_pooling_migrate)\b)|/pooling\b", re.MULTILINE
)


def may_be_affected(source: str | bytes) -> bool:
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    return _MENTIONS_VLLM.search(data) is not None


#: Fixes of one pass can touch the same node (a dict turned into a call that another rule would extend);
#: like ruff, fixing re-runs on its own output until nothing changes.
MAX_FIX_PASSES = 5


def check_python_source(source: str, path: str, options: Options, rules: list[type[PythonRule]] | None = None) -> FileResult:
    result = _one_pass(source, path, options, rules)
    if not options.fix or result.error:
        return result
    current, text = result, source
    for _ in range(MAX_FIX_PASSES):
        if current.fixed_source is None:
            break
        text = current.fixed_source
        current = _one_pass(text, path, options, rules)
    result.fixed_source = text if text != source else None
    result.remaining = current.findings
    return result


def _one_pass(source: str, path: str, options: Options, rules: list[type[PythonRule]] | None) -> FileResult:
    result = FileResult(path)
    if not may_be_affected(source):
        return result
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        result.error = f"{path}:{error.raw_line}:{error.raw_column + 1}: cannot parse: {error.message}"
        return result

    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    tracker = InstanceTracker()
    context = FileContext(wrapper, path, options, tracker)
    candidates = rules or rules_of_kind(PythonRule)
    active = [rule(context) for rule in candidates if rule.active(options)]
    argv_lists = ArgvLists(context)
    wrapper.visit_batched([tracker, *active] + ([argv_lists] if rules is None else []))
    for rule in active:
        rule.finish()

    raw = sorted(context.findings, key=lambda f: (context.position(f.node).start.line, context.position(f.node).start.column, f.code))
    findings = [_to_finding(context, f) for f in raw]
    argv_findings = argv_lists.findings
    if not options.ignore_noqa:
        # A suppressed finding is neither reported nor fixed.
        noqa = parse_noqa(source, python=True)
        kept = [i for i, finding in enumerate(findings) if not is_suppressed(finding, noqa)]
        raw, findings = [raw[i] for i in kept], [findings[i] for i in kept]
        argv_findings = [f for f in argv_findings if not is_suppressed(f, noqa)]
    result.findings = sorted(findings + argv_findings, key=Finding.sort_key)
    if options.fix:
        _apply(context, list(zip(raw, findings)), result)
        if result.fixed_source is None:
            _apply_argv_edits(context, argv_findings, result)
    return result


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
    result.applied = applied


def _applicable(finding: RawFinding, options: Options) -> bool:
    if finding.fix is None:
        return False
    return finding.applicability is FixClass.SAFE or (finding.applicability is FixClass.UNSAFE and options.unsafe_fixes)


def _apply(context: FileContext, pairs: list[tuple[RawFinding, Finding]], result: FileResult) -> None:
    chosen = [(raw, finding) for raw, finding in pairs if _applicable(raw, context.options)]
    if not chosen:
        return
    new_source, problem = _fixed_source(context, chosen)
    if problem:
        # Some fixes conflict: keep each one that still verifies together with those kept so far.
        kept: list[tuple[RawFinding, Finding]] = []
        rejected: list[tuple[tuple[RawFinding, Finding], str]] = []
        for pair in chosen:
            _, pair_problem = _fixed_source(context, kept + [pair])
            if pair_problem:
                rejected.append((pair, pair_problem))
            else:
                kept.append(pair)
        unfixable = {id(finding): reason for (_, finding), reason in rejected}
        result.findings = [
            _replace(f, fix=None, unfixable_reason=unfixable[id(f)]) if id(f) in unfixable else f for f in result.findings
        ]
        chosen = kept
        new_source, _ = _fixed_source(context, chosen) if chosen else (context.module.code, None)
    if new_source != context.module.code:
        result.fixed_source = new_source
        result.applied = [finding for _, finding in chosen]


def _fixed_source(context: FileContext, chosen: list[tuple[RawFinding, Finding]]) -> tuple[str, str | None]:
    new_source = apply_fixes(context.module, [raw.fix for raw, _ in chosen if raw.fix is not None]).code
    return new_source, verify_fixed_source(context.module, new_source)


def verify_fixed_source(original: cst.Module, new_source: str) -> str | None:
    """None when the fixed text parses and uses no name the original did not already leave unbound."""
    try:
        fixed = cst.parse_module(new_source)
    except cst.ParserSyntaxError as error:
        return f"the fix would not parse ({error.message}); file left unchanged"
    if _compiles(original.code) and not _compiles(new_source):
        return "the fix would not compile (e.g. a repeated keyword argument); file left unchanged"
    introduced = unbound_names(fixed) - unbound_names(original)
    if introduced:
        return f"the fix would use unbound names {sorted(introduced)}; file left unchanged"
    return None


def _compiles(source: str) -> bool:
    """CPython's own checks beyond the grammar (repeated keywords, misplaced arguments)."""
    try:
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def unbound_names(module: cst.Module) -> set[str]:
    scopes = cst.MetadataWrapper(module).resolve(ScopeProvider)
    unbound = set()
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            name = access.node.value if isinstance(access.node, cst.Name) else None
            if name and not access.referents and not hasattr(builtins, name) and name not in {"__file__", "__name__"}:
                unbound.add(name)
    return unbound


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
    import difflib

    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            edits.append(Edit("".join(new[j1:j2]), Location(i1 + 1, 1), Location(i2 + 1, 1)))
    return edits


def _replace(finding: Finding, **changes) -> Finding:
    from dataclasses import replace

    return replace(finding, **changes)
