"""Score `migrate-pooling` against the hand-judged real-code corpus (issue 9).

    python benchmarks/corpus_eval.py /work/corpus docs/corpus/verdicts.jsonl
    python benchmarks/corpus_eval.py CORPUS VERDICTS --skip-fix-checks --json report.json

CORPUS is a local directory laid out as `<project>/<path>` (rebuild it from `docs/corpus/sources.md`, see
`docs/corpus/README.md`); nothing is downloaded. VERDICTS holds one JSON object per line:

    {"project", "path", "line", "code", "safe_fix", "why"}            # an expected finding
    {"project", "path", "line": 0, "code": null, "safe_fix": false, "why"}   # a file judged clean
    {..., "optional": true}                                           # advisory: may be reported, need not be

`path` is relative to CORPUS and starts with the project folder. `code` is a rule code (`POOL013`) or
`NEW:<name>` for a break no rule covers yet (always a miss until a rule exists).

What it does:

1. `migrate-pooling --check --output-format json --no-respect-gitignore CORPUS` (default target, default
   selection), then matches findings to verdicts per file and code: one finding per expected verdict,
   nearest line first, within `--line-window` lines (statements span lines; rules anchor at different
   lines of them). An optional verdict absorbs every finding of its code in its file, and a matched finding
   absorbs the others of its code on its line (verdicts are lines). What is left over is a false positive; an
   expected verdict left unmatched is a miss.
2. Prints recall and precision per code and overall, the misses and false positives (`file:line code`),
   crashes (exit status 2, tool errors, files the JSON names that do not exist), fixes offered where the
   verdict says no safe fix exists, and expected safe fixes that were not offered.
3. Unless `--skip-fix-checks`: copies CORPUS to a temporary folder, applies the default (safe) fixes, and
   checks that every changed Python file still compiles, that a second fix run changes nothing
   (idempotence), that changed YAML files still parse, and how many findings remain.

Exit status: 0 always unless the tool itself cannot be run (2); the figures are the output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Verdict:
    path: str
    line: int
    code: str | None
    safe_fix: bool
    why: str
    optional: bool = False
    matched: list["Finding"] = field(default_factory=list)


@dataclass
class Finding:
    path: str
    line: int
    code: str
    fixable: bool
    message: str
    verdict: Verdict | None = None


def tool_command(explicit: str | None) -> list[str]:
    if explicit:
        return explicit.split()
    exe = shutil.which("migrate-pooling")
    if exe:
        return [exe]
    return [sys.executable, "-m", "vllm_pooling_migrate.codemod.cli"]


def run_tool(cmd: list[str], args: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd + args, capture_output=True, text=True, timeout=timeout)


def load_verdicts(path: Path) -> list[Verdict]:
    out: list[Verdict] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        obj = json.loads(raw)
        try:
            out.append(
                Verdict(
                    path=obj["path"],
                    line=int(obj.get("line") or 0),
                    code=obj.get("code"),
                    safe_fix=bool(obj.get("safe_fix")),
                    why=obj.get("why", ""),
                    optional=bool(obj.get("optional")),
                )
            )
        except KeyError as exc:  # pragma: no cover - data error
            raise SystemExit(f"{path}:{n}: missing field {exc}")
    return out


def load_findings(raw: str, corpus: Path) -> tuple[list[Finding], list[str]]:
    problems: list[str] = []
    try:
        data = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError as exc:
        return [], [f"tool output is not JSON: {exc}"]
    if isinstance(data, dict):
        data = data.get("findings", [])
    findings: list[Finding] = []
    root = corpus.resolve()
    for item in data:
        name = Path(item["filename"])
        try:
            rel = str(name.resolve().relative_to(root))
        except ValueError:
            rel = str(name)
        if not name.exists():
            problems.append(f"finding names a missing file: {name}")
        line = int(item.get("location", {}).get("row") or 0)
        if item.get("cell") and name.exists():
            line = notebook_file_line(name, int(item["cell"]), line)
        findings.append(
            Finding(
                path=rel,
                line=line,
                code=str(item.get("code")),
                fixable=bool(item.get("fix")),
                message=str(item.get("message", "")),
            )
        )
    return findings, problems


def notebook_file_line(path: Path, cell: int, row: int) -> int:
    """The line of the .ipynb file that holds row ``row`` of code cell ``cell`` (1-based, as the tool reports them):
    verdicts give lines of the file as it is stored, like every other file. 0 when it cannot be found."""
    try:
        text = path.read_text(encoding="utf-8")
        source = json.loads(text)["cells"][cell - 1]["source"]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return 0
    lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines()
    if not 1 <= row <= len(lines):
        return 0
    wanted = json.dumps(lines[row - 1])[1:-1]
    raw = text.splitlines()
    starts = [i for i, line in enumerate(raw) if '"cell_type"' in line]
    begin = starts[cell - 1] if cell - 1 < len(starts) else 0
    # The cell's source is stored after its "cell_type" key, or before it when keys are sorted otherwise.
    for i in [*range(begin, len(raw)), *range(begin - 1, -1, -1)]:
        if wanted and wanted in raw[i]:
            return i + 1
    return 0


def match(verdicts: list[Verdict], findings: list[Finding], window: int) -> None:
    by_key: dict[tuple[str, str], list[Verdict]] = defaultdict(list)
    for v in verdicts:
        if v.code:
            by_key[(v.path, v.code)].append(v)
    pending: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        pending[(f.path, f.code)].append(f)
    for key, fs in pending.items():
        expected = [v for v in by_key.get(key, []) if not v.optional]
        pairs = sorted(
            ((abs(f.line - v.line), i, j) for i, f in enumerate(fs) for j, v in enumerate(expected)),
        )
        used_f: set[int] = set()
        used_v: set[int] = set()
        for dist, i, j in pairs:
            if dist > window or i in used_f or j in used_v:
                continue
            used_f.add(i)
            used_v.add(j)
            fs[i].verdict = expected[j]
            expected[j].matched.append(fs[i])
        optional = [v for v in by_key.get(key, []) if v.optional]
        for i, f in enumerate(fs):
            if i not in used_f and optional:
                best = min(optional, key=lambda v: abs(v.line - f.line))
                f.verdict = best
                best.matched.append(f)
        # Verdicts are lines: a second finding of the same code on a line already matched (two legacy keywords side
        # by side) is the same report at that grain, not a false alarm.
        for f in fs:
            if f.verdict is None:
                twin = next((g for g in fs if g.verdict is not None and g.line == f.line), None)
                if twin is not None and twin.verdict is not None:
                    f.verdict = twin.verdict
                    twin.verdict.matched.append(f)


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  n/a"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha(p) for p in root.rglob("*") if p.is_file()}


def fix_checks(cmd: list[str], corpus: Path, timeout: int, extra: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="corpus-fix-") as tmp:
        work = Path(tmp) / "corpus"
        shutil.copytree(corpus, work)
        before = snapshot(work)
        first = run_tool(cmd, ["--no-respect-gitignore", "--exit-zero", *extra, str(work)], timeout)
        after1 = snapshot(work)
        changed = sorted(k for k in before if before[k] != after1.get(k))
        report["fix_exit"] = first.returncode
        report["changed_files"] = changed
        compile_errors: list[str] = []
        yaml_errors: list[str] = []
        for rel in changed:
            p = work / rel
            if p.suffix == ".py":
                try:
                    compile(p.read_bytes(), str(p), "exec")
                except SyntaxError as exc:
                    compile_errors.append(f"{rel}: {exc.msg} (line {exc.lineno})")
            elif p.suffix in {".yaml", ".yml"}:
                try:
                    import yaml

                    original = corpus / rel
                    try:
                        list(yaml.safe_load_all(original.read_text(encoding="utf-8")))
                        parsed_before = True
                    except Exception:
                        parsed_before = False
                    if parsed_before:
                        list(yaml.safe_load_all(p.read_text(encoding="utf-8")))
                except ImportError:  # pragma: no cover
                    pass
                except Exception as exc:
                    yaml_errors.append(f"{rel}: {exc.__class__.__name__}")
        report["compile_errors"] = compile_errors
        report["yaml_errors"] = yaml_errors
        second = run_tool(cmd, ["--no-respect-gitignore", "--exit-zero", *extra, str(work)], timeout)
        after2 = snapshot(work)
        report["fix2_exit"] = second.returncode
        report["not_idempotent"] = sorted(k for k in after1 if after1[k] != after2.get(k))
        remaining = run_tool(
            cmd, ["--check", "--output-format", "json", "--no-respect-gitignore", *extra, str(work)], timeout
        )
        rem, _ = load_findings(remaining.stdout, work)
        report["remaining_findings"] = len(rem)
        report["remaining_fixable"] = sorted(f"{f.path}:{f.line} {f.code}" for f in rem if f.fixable)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("verdicts", type=Path)
    ap.add_argument("--tool", help="command that runs migrate-pooling (default: the one on PATH)")
    ap.add_argument("--line-window", type=int, default=12)
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--skip-fix-checks", action="store_true")
    ap.add_argument("--tool-args", default="", help="extra arguments for every tool run (e.g. '-j 2')")
    ap.add_argument("--json", type=Path, help="also write the whole report as JSON here")
    ns = ap.parse_args(argv)

    corpus: Path = ns.corpus
    if not corpus.is_dir():
        print(f"corpus folder not found: {corpus}", file=sys.stderr)
        return 2
    cmd = tool_command(ns.tool)
    extra = ns.tool_args.split()
    verdicts = load_verdicts(ns.verdicts)
    files_on_disk = {str(p.relative_to(corpus)) for p in corpus.rglob("*") if p.is_file()}
    judged = {v.path for v in verdicts}

    try:
        proc = run_tool(
            cmd, ["--check", "--output-format", "json", "--no-respect-gitignore", *extra, str(corpus)], ns.timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"cannot run {' '.join(cmd)}: {exc}", file=sys.stderr)
        return 2
    findings, problems = load_findings(proc.stdout, corpus)
    crashes: list[str] = list(problems)
    if proc.returncode not in (0, 1):
        crashes.append(f"exit status {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    elif proc.stderr.strip():
        crashes.extend(f"stderr: {line}" for line in proc.stderr.strip().splitlines()[-20:])
    crashes.extend(f"tool error finding: {f.path}:{f.line} {f.code} {f.message}" for f in findings
                   if not f.code.startswith("POOL"))
    findings = [f for f in findings if f.code.startswith("POOL")]

    match(verdicts, findings, ns.line_window)

    codes = sorted({v.code for v in verdicts if v.code} | {f.code for f in findings})
    rows = []
    tot_tp = tot_fn = tot_fp = 0
    misses: list[str] = []
    fps: list[str] = []
    for code in codes:
        exp = [v for v in verdicts if v.code == code and not v.optional]
        tp = sum(1 for v in exp if v.matched)
        fn = len(exp) - tp
        fp = sum(1 for f in findings if f.code == code and f.verdict is None)
        tot_tp, tot_fn, tot_fp = tot_tp + tp, tot_fn + fn, tot_fp + fp
        rows.append((code, len(exp), tp, fn, fp))
        misses += [f"{v.path}:{v.line} {code}  ({v.why})" for v in exp if not v.matched]
    for f in findings:
        if f.verdict is None:
            clean = any(v.path == f.path and v.code is None for v in verdicts)
            fps.append(f"{f.path}:{f.line} {f.code}{'  [file judged clean]' if clean else ''}  {f.message[:120]}")

    wrong_fix = [
        f"{f.path}:{f.line} {f.code}  (verdict: {f.verdict.why})"
        for f in findings
        if f.fixable and f.verdict is not None and not f.verdict.safe_fix
    ]
    fp_fix = [f"{f.path}:{f.line} {f.code}" for f in findings if f.fixable and f.verdict is None]
    unfixed = [
        f"{v.path}:{v.line} {v.code}"
        for v in verdicts
        if v.code and not v.optional and v.safe_fix and v.matched and not any(f.fixable for f in v.matched)
    ]
    optional_hits = sum(len(v.matched) for v in verdicts if v.optional)

    print(f"corpus: {corpus}  files: {len(files_on_disk)}  judged: {len(judged & files_on_disk)}"
          f"  projects: {len({p.split('/', 1)[0] for p in files_on_disk})}")
    unjudged = sorted(files_on_disk - judged)
    if unjudged:
        print(f"WARNING: {len(unjudged)} corpus files have no verdict (first: {unjudged[0]})")
    print(f"verdicts: {sum(1 for v in verdicts if v.code and not v.optional)} expected findings, "
          f"{sum(1 for v in verdicts if v.optional)} optional, {sum(1 for v in verdicts if not v.code)} clean files")
    print(f"tool: {len(findings)} findings (exit {proc.returncode}); {optional_hits} absorbed by optional verdicts\n")
    print(f"{'code':<34}{'expected':>9}{'TP':>6}{'miss':>6}{'FP':>6}{'recall':>9}{'precision':>11}")
    for code, n, tp, fn, fp in rows:
        print(f"{code:<34}{n:>9}{tp:>6}{fn:>6}{fp:>6}{ratio(tp, tp + fn):>9}{ratio(tp, tp + fp):>11}")
    print(f"{'ALL':<34}{tot_tp + tot_fn:>9}{tot_tp:>6}{tot_fn:>6}{tot_fp:>6}"
          f"{ratio(tot_tp, tot_tp + tot_fn):>9}{ratio(tot_tp, tot_tp + tot_fp):>11}")
    rule_exp = [r for r in rows if not r[0].startswith("NEW:")]
    r_tp = sum(r[2] for r in rule_exp)
    r_fn = sum(r[3] for r in rule_exp)
    print(f"{'ALL (existing rules only)':<34}{r_tp + r_fn:>9}{r_tp:>6}{r_fn:>6}{tot_fp:>6}"
          f"{ratio(r_tp, r_tp + r_fn):>9}{ratio(r_tp, r_tp + tot_fp):>11}")

    def section(title: str, items: list[str]) -> None:
        print(f"\n{title} ({len(items)})")
        for item in items:
            print(f"  {item}")

    section("MISSES", misses)
    section("FALSE POSITIVES", fps)
    section("CRASHES", crashes)
    section("FIX OFFERED WHERE THE VERDICT SAYS NO SAFE FIX", wrong_fix)
    section("FIX OFFERED ON A FALSE POSITIVE", fp_fix)
    section("SAFE FIX EXPECTED BUT NOT OFFERED", unfixed)

    fix_report: dict[str, Any] = {}
    if not ns.skip_fix_checks:
        fix_report = fix_checks(cmd, corpus, ns.timeout, extra)
        print(f"\nFIX RUN: {len(fix_report['changed_files'])} files changed "
              f"(exit {fix_report['fix_exit']}, second run exit {fix_report['fix2_exit']}); "
              f"{fix_report['remaining_findings']} findings remain, "
              f"{len(fix_report['remaining_fixable'])} of them still offer a fix")
        section("  changed Python files that no longer compile", fix_report["compile_errors"])
        section("  changed YAML files that no longer parse", fix_report["yaml_errors"])
        section("  not idempotent (second fix run changed them)", fix_report["not_idempotent"])
        section("  still fixable after the fix run", fix_report["remaining_fixable"])

    if ns.json:
        ns.json.write_text(
            json.dumps(
                {
                    "per_code": [dict(zip(("code", "expected", "tp", "miss", "fp"), r)) for r in rows],
                    "tp": tot_tp,
                    "miss": tot_fn,
                    "fp": tot_fp,
                    "misses": misses,
                    "false_positives": fps,
                    "crashes": crashes,
                    "wrong_fix": wrong_fix,
                    "fix_on_false_positive": fp_fix,
                    "safe_fix_not_offered": unfixed,
                    "fix_checks": fix_report,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
