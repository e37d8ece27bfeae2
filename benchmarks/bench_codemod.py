"""How fast is `migrate-pooling --check`, against ruff and against a naive libcst codemod, in one run?

Two corpora are built in a temporary directory (outside any git repository, so nothing is ignored):

* sparse: every ``.py`` file of the installed site-packages (thousands of files, almost none using vLLM);
* dense: generated files, each using vLLM's pooling API (constructions, tasks, legacy spellings); 300 by
  default (``--dense-files``), because the naive baseline needs about half a second per file.

Each tool runs on each corpus ``--repeat`` times; the best wall time is reported, with the ratios the
project's targets are stated in: sparse <= 2x ruff's wall time, dense >= 3x faster than the naive baseline.

    python benchmarks/bench_codemod.py                 # full size
    python benchmarks/bench_codemod.py --quick         # 1,500 sparse files, 100 dense files
    python benchmarks/bench_codemod.py --big           # also one generated file of 0.5 MB and one of 5 MB
    python benchmarks/bench_codemod.py --big-only      # only those

The big-file case times ``--check`` and ``--diff`` on one generated module full of constructions (about 9,000 per
MB, in functions, classes, factories and module globals), with the peak memory of the run, against the targets:
the 5 MB run costs at most 12x the 0.5 MB run, in under 1 GB.

The naive baseline is what a plain libcst codemod does: parse every file (no pre-filter), then run each rule
as its own metadata-resolved pass, in one process. ruff (``pip install ruff``) runs ``check --no-cache
--select UP,NPY``, a comparable per-file parse-and-lint workload.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

DENSE_TEMPLATES = [
    'from vllm import LLM\nllm = LLM("{m}")\nvectors = llm.embed(texts)\n',
    'import vllm as v\nm3 = v.LLM(model="{m}", runner="pooling")\ndense = m3.embed(p)\ncolbert = m3.encode(p, pooling_task="token_embed")\n',
    'from vllm import LLM, PoolingParams\nfrom vllm.config import PoolerConfig\n\n\nclass Service:\n    def __init__(self):\n        self.engine = LLM("{m}", override_pooler_config=PoolerConfig(normalize=False))\n\n    def run(self, x):\n        return self.engine.encode(x, pooling_params=PoolingParams(task="token_classify"))\n',
    'import vllm\n\n\ndef build():\n    return vllm.LLM("{m}", task="reward")\n\n\ndef score(x):\n    prm = build()\n    return prm.reward(x, use_tqdm=False)\n',
    'from vllm.entrypoints.llm import LLM as Engine\nfrom vllm.config import PoolerConfig as PC\nclf = Engine("{m}", pooler_config=PC(logit_bias=0.5, softmax=True))\nout = clf.classify(rows)\n',
]
#: Blocks of the big generated file: each builds one engine and uses it, in another way each (``{i}`` numbers them).
BIG_FILE_HEADER = "import vllm\nfrom vllm import LLM, PoolingParams\nfrom vllm.config import PoolerConfig\n\n"
BIG_FILE_BLOCKS = [
    'llm{i} = LLM("org/m{i}")\nv{i} = llm{i}.embed(texts)\n',
    'def build{i}():\n    return LLM("org/m{i}", task="reward")\n\n\ndef score{i}(x):\n    return build{i}().reward(x)\n',
    'class S{i}:\n    def __init__(self):\n        self.engine = LLM("m{i}", override_pooler_config=PoolerConfig(normalize=False))\n\n'
    '    def run(self, x):\n        return self.engine.encode(x, pooling_params=PoolingParams(task="token_classify"))\n',
    'def f{i}(p):\n    m3 = vllm.LLM(model="m{i}", runner="pooling")\n    d = m3.embed(p)\n    return d, m3.encode(p, pooling_task="token_embed")\n',
    'clf{i} = LLM("m{i}", pooler_config=PoolerConfig(logit_bias=0.5, softmax=True))\nout{i} = clf{i}.classify(rows)\n',
    'def g{i}(t):\n    e = LLM("m{i}", task="embed")\n    return e.embed(t)\n',
]
FILLER = "\n\ndef helper_{i}(values):\n    total = 0\n    for value in values:\n        total += value * {i}\n    return total\n"


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def build_sparse(root: Path, limit: int | None) -> int:
    sources = sorted(site_packages().rglob("*.py"))
    if limit:
        sources = random.Random(0).sample(sources, min(limit, len(sources)))
    for index, source in enumerate(sources):
        target = root / f"pkg{index // 500}" / f"m{index}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return len(sources)


def build_dense(root: Path, count: int) -> int:
    rng = random.Random(0)
    for index in range(count):
        body = rng.choice(DENSE_TEMPLATES).format(m=f"org/model-{index}")
        body += "".join(FILLER.format(i=i) for i in range(rng.randint(5, 40)))
        target = root / f"pkg{index // 500}" / f"m{index}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    return count


def generate_big_file(size: int) -> str:
    """A module of about ``size`` characters, built of ``BIG_FILE_BLOCKS`` in turn."""
    parts, total, index = [BIG_FILE_HEADER], len(BIG_FILE_HEADER), 0
    while total < size:
        block = BIG_FILE_BLOCKS[index % len(BIG_FILE_BLOCKS)].format(i=index) + "\n\n"
        parts.append(block)
        total += len(block)
        index += 1
    return "".join(parts)


def measure(command: list[str]) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak memory in MB of the process, exit code) of one run. CPU time is what the
    run costs whatever else the machine does; wall time is what a user waits."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


def big_file_case(exe: Path, root: Path, sizes_mb: list[float]) -> bool:
    """``--check`` and ``--diff`` on generated files of ``sizes_mb``; True when the targets are met (time compared
    as CPU time, which other load on the machine does not inflate; wall time printed too)."""
    rows = []
    for size in sizes_mb:
        path = root / f"big_{size:g}mb.py"
        path.write_text(generate_big_file(int(size * 1_000_000)))
        constructions = path.read_text().count("LLM(")
        for mode in ("--check", "--diff"):
            wall, cpu, peak_mb, code = measure([str(exe), mode, "--quiet", "--output-format", "json", str(path)])
            rows.append((size, mode, constructions, wall, cpu, peak_mb, code))
    print()
    print(f"{'file':<9} {'mode':<8} {'constructions':>13} {'wall':>9} {'CPU':>9} {'peak RSS':>10}")
    for size, mode, constructions, wall, cpu, peak_mb, code in rows:
        print(f"{size:>5g} MB  {mode:<8} {constructions:>13,} {wall:>8.1f}s {cpu:>8.1f}s {peak_mb:>7.0f} MB   (exit {code})")
    met = True
    small, large = min(sizes_mb), max(sizes_mb)
    if small != large:
        factor = large / small
        for mode in ("--check", "--diff"):
            pick = {(r[0], r[1]): r for r in rows}
            cpu_ratio = pick[(large, mode)][4] / pick[(small, mode)][4]
            wall_ratio = pick[(large, mode)][3] / pick[(small, mode)][3]
            ok = cpu_ratio <= 1.2 * factor
            met &= ok
            print(f"target {mode} {large:g} MB <= {1.2 * factor:g}x the {small:g} MB run: "
                  f"{'met' if ok else 'MISSED'} (CPU {cpu_ratio:.1f}x, wall {wall_ratio:.1f}x)")
    peak = max(r[5] for r in rows)
    met &= peak < 1024
    print(f"target peak RSS < 1 GB: {'met' if peak < 1024 else 'MISSED'} ({peak:.0f} MB)")
    return met


def time_command(command: list[str], repeat: int) -> tuple[float, int]:
    best, code = float("inf"), -1
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best, code = min(best, time.perf_counter() - start), done.returncode
    return best, code


def naive_baseline(root: Path) -> tuple[float, int]:
    """Parse every file and run each rule in its own pass, one process: no pre-filter, no batching."""
    import libcst as cst

    from vllm_pooling_migrate.codemod.analysis.instances import InstanceTracker
    from vllm_pooling_migrate.codemod.options import Options
    from vllm_pooling_migrate.codemod.python.rule import FileContext, PythonRule
    from vllm_pooling_migrate.codemod.rules import rules_of_kind

    options = Options()
    findings = 0
    start = time.perf_counter()
    for path in sorted(root.rglob("*.py")):
        try:
            module = cst.parse_module(path.read_text(encoding="utf-8", errors="replace"))
        except Exception:  # noqa: BLE001 - a baseline counts what it can parse, as a naive tool would
            continue
        for rule in rules_of_kind(PythonRule):
            wrapper = cst.MetadataWrapper(module)
            tracker = InstanceTracker()
            context = FileContext(wrapper, str(path), options, tracker)
            instance = rule(context)
            wrapper.visit_batched([tracker, instance])
            instance.finish()
            findings += len(context.findings)
    return time.perf_counter() - start, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,500 sparse files, 100 dense files")
    parser.add_argument("--dense-files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="migrate-pooling -j (default: all usable cores)")
    parser.add_argument("--big", action="store_true", help="also time --check and --diff on big generated files")
    parser.add_argument("--big-only", action="store_true", help="only the big-file case")
    parser.add_argument("--big-sizes", default="0.5,5", help="sizes of the big files in MB (default: 0.5,5)")
    args = parser.parse_args()

    exe = Path(sys.executable).with_name("migrate-pooling")
    if args.big_only:
        with tempfile.TemporaryDirectory(prefix="bench_codemod_big_") as tmp:
            print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
            big_file_case(exe, Path(tmp), [float(x) for x in args.big_sizes.split(",")])
        return 0
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        print("ruff is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    ours = [str(exe), "--check", "--quiet", "--output-format", "json"] + (["-j", str(args.jobs)] if args.jobs else [])
    peer = [ruff, "check", "--no-cache", "--quiet", "--select", "UP,NPY", "--exit-zero", "--target-version", "py310"]

    with tempfile.TemporaryDirectory(prefix="bench_codemod_") as tmp:
        sparse, dense = Path(tmp) / "sparse", Path(tmp) / "dense"
        n_sparse = build_sparse(sparse, 1500 if args.quick else None)
        n_dense = build_dense(dense, 100 if args.quick else args.dense_files)
        lines = {name: sum(p.read_bytes().count(b"\n") for p in root.rglob("*.py")) for name, root in (("sparse", sparse), ("dense", dense))}
        print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  corpora: sparse {n_sparse} files / "
              f"{lines['sparse']:,} lines, dense {n_dense} files / {lines['dense']:,} lines")
        rows = []
        for name, root in (("sparse", sparse), ("dense", dense)):
            ours_s, ours_code = time_command(ours + [str(root)], args.repeat)
            ruff_s, _ = time_command(peer + [str(root)], args.repeat)
            naive_s, naive_findings = naive_baseline(root) if name == "dense" else (float("nan"), 0)
            rows.append((name, ours_s, ruff_s, naive_s, ours_code))
        print()
        print(f"{'corpus':<8} {'migrate-pooling':>16} {'ruff UP,NPY':>12} {'naive libcst':>13} {'ours/ruff':>10} {'naive/ours':>11}")
        for name, ours_s, ruff_s, naive_s, code in rows:
            naive_ratio = f"{naive_s / ours_s:>10.1f}x" if naive_s == naive_s else f"{'—':>11}"
            naive_text = f"{naive_s:>12.2f}s" if naive_s == naive_s else f"{'—':>13}"
            print(f"{name:<8} {ours_s:>15.2f}s {ruff_s:>11.2f}s {naive_text} {ours_s / ruff_s:>9.2f}x {naive_ratio}   (exit {code})")
        sparse_ratio = rows[0][1] / rows[0][2]
        dense_speedup = rows[1][3] / rows[1][1]
        print()
        print(f"target sparse <= 2x ruff: {'met' if sparse_ratio <= 2 else 'MISSED'} ({sparse_ratio:.2f}x)")
        print(f"target dense >= 3x faster than naive: {'met' if dense_speedup >= 3 else 'MISSED'} ({dense_speedup:.1f}x)")
        if args.big:
            big_file_case(exe, Path(tmp), [float(x) for x in args.big_sizes.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
