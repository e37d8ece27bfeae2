"""Model FLOPs utilisation of the engine on a base-size BERT encoder with random weights (MFU needs no training).

    python benchmarks/bench_mfu.py --device cuda             # BERT-base (768 x 12 layers), 16,000 prompts
    python benchmarks/bench_mfu.py --device cpu --size tiny   # a quick check of the path

The checkpoint is built from a transformers ``BertConfig`` (seeded, fp16 on CUDA) with the repository's test
WordPiece tokenizer beside it, so nothing is downloaded. Prompts are token-id lists of random lengths in
``[--min-len, --max-len]``. They are timed after a warm-up, with the device synchronised.

FLOPs are counted per prompt of ``n`` tokens: ``2 * n * (linear weights)`` plus ``4 * n**2 * hidden`` per layer for
attention (Q·Kᵀ and A·V). Embeddings, LayerNorms and softmax are left out. The peak is dense fp16/bf16 tensor
throughput by GPU name (``bench_engine._GPU_PEAK_TFLOPS``) or ``--peak-tflops``. The script prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_engine import _GPU_PEAK_TFLOPS  # noqa: E402  (one table of peaks)

SIZES = {
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    "tiny": dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512),
}


def prompt_flops(lengths: list[int], hidden: int, ffn: int, layers: int) -> float:
    linear = 2 * (4 * hidden * hidden + 2 * hidden * ffn) * layers
    return sum(linear * n + 4 * n * n * hidden * layers for n in lengths)


def build_checkpoint(folder: Path, size: str, max_len: int, half: bool) -> dict:
    import torch
    from transformers import BertConfig, BertModel

    from vllm_pooling_migrate.runtime.testing import PAD, wordpiece_tokenizer

    torch.manual_seed(0)
    shape = SIZES[size]
    config = BertConfig(vocab_size=30522, max_position_embeddings=max(512, max_len), pad_token_id=PAD, **shape)
    model = BertModel(config, add_pooling_layer=False).eval()
    if half:
        model = model.half()
    model.save_pretrained(folder)
    wordpiece_tokenizer().save_pretrained(folder)
    return shape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda"])
    parser.add_argument("--size", default="base", choices=sorted(SIZES))
    parser.add_argument("--prompts", type=int, default=None, help="default: 16,000 on CUDA, 64 on CPU")
    parser.add_argument("--min-len", type=int, default=128)
    parser.add_argument("--max-len", type=int, default=256)
    parser.add_argument("--dtype", default=None, help="the engine's dtype (default: float16 on CUDA, float32 on CPU)")
    parser.add_argument("--peak-tflops", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import torch

    from vllm_pooling_migrate.runtime import load_engine

    cuda = args.device == "cuda"
    dtype = args.dtype or ("float16" if cuda else "float32")
    count = args.prompts or (16000 if cuda else 64)
    rng = random.Random(args.seed)
    lengths = [rng.randint(args.min_len, args.max_len) for _ in range(count)]
    prompts = [[rng.randrange(1000, 30000) for _ in range(n)] for n in lengths]
    with tempfile.TemporaryDirectory() as tmp:
        shape = build_checkpoint(Path(tmp), args.size, args.max_len, half=cuda)
        engine = load_engine(tmp, device=args.device, dtype=dtype)

        def sync() -> None:
            if cuda:
                torch.cuda.synchronize()

        engine.run("embed", prompts[: min(256, count)])  # warm-up: kernels, allocator
        sync()
        started = time.perf_counter()
        results = engine.run("embed", prompts)
        sync()
        seconds = time.perf_counter() - started
    assert len(results) == count and all(bool(torch.isfinite(r.data).all()) for r in results[:8])
    flops = prompt_flops(lengths, shape["hidden_size"], shape["intermediate_size"], shape["num_hidden_layers"])
    achieved = flops / seconds / 1e12
    name = torch.cuda.get_device_name() if cuda else "cpu"
    peak = args.peak_tflops or (next((v for k, v in _GPU_PEAK_TFLOPS.items() if k in name), None) if cuda else None)
    print(json.dumps({
        "model": f"bert-{args.size} (random weights)", "device": name, "dtype": dtype, "prompts": count,
        "tokens": sum(lengths), "seconds": seconds, "tflops": achieved, "peak_tflops": peak,
        "mfu": achieved / peak if peak else None,
    }))


if __name__ == "__main__":
    main()
