"""Applying the fixes of one pass over a Python file: the applicable ones together, or those that still verify
together when some conflict; in a check run the same choice is proved without writing, so that every mode counts
the same fixes as fixable."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from vllm_pooling_migrate.codemod.edits import apply_fixes as apply_text_fixes
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.options import Options
# fix_proof's functions are called through the module, so that a test can stand in for the proof.
from vllm_pooling_migrate.codemod.python import fix_proof
from vllm_pooling_migrate.codemod.python.edits import ImportNeed, apply_fixes
from vllm_pooling_migrate.codemod.python.rule import FileContext, RawFinding
from vllm_pooling_migrate.registry import FixClass

#: Above this many fixes, the ones that do not verify are found by halving the set rather than one at a time.
_BISECT_ABOVE = 16

#: A rule's finding and the finding it is reported as.
Pair = tuple[RawFinding, Finding]


def fix_or_prove(
    context: FileContext, pairs: list[Pair], argv_findings: list[Finding], result: FileResult, imports: list[ImportNeed],
    module: cst.Module, source: str,
) -> None:
    options = context.options
    raw = [r for r, _ in pairs]
    if options.fix:
        _apply(context, pairs, result, imports)
        if result.fixed_source is None:
            _apply_argv_edits(context, argv_findings, result)
    elif any(_applicable(r, options) for r in raw) or any(f.fix is not None for f in argv_findings):
        # Prove the fixes here too, so that a fix a fix run would drop is not counted as fixable by --check and
        # --statistics either: every mode gives the same "N fixable" (nothing is written).
        fix_proof.remember_original(module, source)
        proof = FileResult(result.path, result.findings)
        _apply(context, pairs, proof, [])
        if proof.fixed_source is None:
            _apply_argv_edits(context, argv_findings, proof)
        result.findings = proof.findings


def _apply_argv_edits(context: FileContext, argv_findings: list[Finding], result: FileResult) -> None:
    """Text edits of argv lists, in a pass without CST fixes (so their positions are still right)."""
    new_source, applied = apply_text_fixes(context.module.code, argv_findings, context.options.unsafe_fixes)
    if not applied or new_source == context.module.code:
        return
    problem = fix_proof.verify_fixed_source(context.module, new_source)
    if problem:
        result.findings = [replace(f, fix=None, unfixable_reason=problem) if f in applied else f for f in result.findings]
        return
    result.fixed_source = new_source
    result.applied = sorted(applied, key=Finding.sort_key)


def _applicable(finding: RawFinding, options: Options) -> bool:
    if finding.fix is None:
        return False
    return finding.applicability is FixClass.SAFE or (finding.applicability is FixClass.UNSAFE and options.unsafe_fixes)


def _apply(context: FileContext, pairs: list[Pair], result: FileResult, imports: list[ImportNeed]) -> None:
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
            replace(f, fix=None, unfixable_reason=unfixable[id(f)]) if id(f) in unfixable else f for f in result.findings
        ]
        chosen = kept
        new_source, _ = _fixed_source(context, chosen) if chosen else (context.module.code, None)
    if new_source != context.module.code:
        result.fixed_source = new_source
        result.applied = [finding for _, finding in chosen]
        imports.extend(need for raw, _ in chosen if raw.fix is not None for need in raw.fix.imports)


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
    return new_source, fix_proof.verify_fixed_source(context.module, new_source)
