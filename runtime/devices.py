"""Device, dtype and thread choices, host→device transfers and the out-of-memory fallback."""

from __future__ import annotations

import ctypes
import functools
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.nn.functional as F

T = TypeVar("T")

_DTYPE_NAMES = {
    "float32": torch.float32,
    "float": torch.float32,
    "fp32": torch.float32,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "half": torch.float16,
    "fp16": torch.float16,
}
# vLLM refuses float16 for these model types (overflow); "auto" then prefers bfloat16.
_NO_FLOAT16_MODEL_TYPES = frozenset({"gemma2", "gemma3", "gemma3_text", "plamo2", "glm4"})


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str | torch.device):
        raise TypeError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {type(device).__name__} {device!r}")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}") from None
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r} (the engine runs on CPUs and "
                         "NVIDIA GPUs)")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but torch sees no CUDA GPU")
    return resolved


#: bf16 must beat fp32 by this much on the probe GEMM to be chosen (the probe is short and the host may be busy).
MIN_BF16_SPEEDUP = 1.2


@dataclass(frozen=True)
class DtypeChoice:
    """What ``dtype="auto"`` chose and why (``bench_engine.py`` and ``engine.dtype_choice`` report it)."""

    dtype: torch.dtype
    reason: str
    #: fp32 time / bf16 time of the probe GEMM; None when no probe ran.
    bf16_speedup: float | None = None


def cpu_bf16_features() -> tuple[bool, bool]:
    """(AVX512-BF16, AMX tiles) as torch's own CPU probes report them."""
    return bool(torch.cpu._is_avx512_bf16_supported()), bool(torch.cpu._is_amx_tile_supported())


def bf16_layer_speedup(hidden_size: int, intermediate_size: int, num_heads: int, repeats: int = 5) -> float:
    """fp32 time / bf16 time of one synthetic encoder layer run the way the packed encoder runs it: in bf16 the
    GEMMs and attention take bf16 inputs while the residual stream and LayerNorms stay fp32 (so the casts are
    counted too); in fp32 everything is fp32. A single GEMM is not enough: on some CPUs bf16 GEMMs are fast while the
    casts, attention and elementwise work around them are not. Measured on one thread (the per-core ratio: on a
    busy host, timings with several threads mostly measure OpenMP waiting for a descheduled thread) on a batch of
    ~128 tokens (fewer for wide models); the two dtypes alternate and each keeps its best time, which a busy host
    inflates least. About 0.1 s for a MiniLM-sized layer."""
    layer_flops = 2 * (4 * hidden_size * hidden_size + 2 * hidden_size * intermediate_size)
    tokens = max(16, min(128, int(4e8 // layer_flops)))
    sequences = max(1, tokens // 32)
    length = max(1, tokens // sequences)
    generator = torch.Generator().manual_seed(0)

    def weights(rows: int, columns: int) -> torch.Tensor:
        return torch.randn(rows, columns, generator=generator) / math.sqrt(columns)

    fp32 = {"qkv": weights(3 * hidden_size, hidden_size), "out": weights(hidden_size, hidden_size),
            "up": weights(intermediate_size, hidden_size), "down": weights(hidden_size, intermediate_size)}
    half = {name: w.to(torch.bfloat16) for name, w in fp32.items()}
    x = torch.randn(sequences * length, hidden_size, generator=generator)
    heads = max(1, num_heads if hidden_size % max(num_heads, 1) == 0 else 1)

    def layer(w: dict[str, torch.Tensor], compute: torch.dtype) -> torch.Tensor:
        qkv = F.linear(x.to(compute), w["qkv"])
        q, k, v = qkv.view(sequences, length, 3, heads, hidden_size // heads).permute(2, 0, 3, 1, 4)
        context = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(-1, hidden_size)
        h = F.layer_norm(F.linear(context, w["out"]).float() + x, (hidden_size,))
        up = F.gelu(F.linear(h.to(compute), w["up"]))
        return F.layer_norm(F.linear(up, w["down"]).float() + h, (hidden_size,))

    runs = {torch.float32: fp32, torch.bfloat16: half}
    best = {d: math.inf for d in runs}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one core: the per-core ratio, without OpenMP waiting on descheduled threads
    try:
        with torch.inference_mode():
            for d, w in runs.items():  # warm-up: oneDNN picks and caches its kernels on the first call
                layer(w, d)
            for _ in range(repeats):
                for d, w in runs.items():
                    start = time.perf_counter()
                    layer(w, d)
                    best[d] = min(best[d], time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    return best[torch.float32] / max(best[torch.bfloat16], 1e-9)


_cpu_choices: dict[tuple[int, int, int], DtypeChoice] = {}  # (hidden, intermediate, heads)
_cpu_choices_lock = threading.Lock()


def cpu_auto_dtype(hidden_size: int, intermediate_size: int, num_heads: int = 12) -> DtypeChoice:
    """The fastest CPU dtype that keeps the engine within cosine 0.9999 of fp32 (bf16 GEMMs with the packed
    encoder's fp32 residual stream reach 0.99992 on all-MiniLM-L6-v2), never slower than fp32. Decided once per
    process for each layer shape, by measurement where bf16 hardware exists:

    * neither AVX512-BF16 nor AMX: fp32 without a probe (bf16 matmuls run ~50x slower on plain AVX2);
    * otherwise :func:`bf16_layer_speedup` times one encoder layer both ways; bf16 only when it is at least
      ``MIN_BF16_SPEEDUP``x faster. AVX512-BF16 without AMX goes either way (one such CPU measured bf16 1.43x
      slower end to end; this project's Zen 4 EPYC measures it faster), AMX normally picks bf16.
    """
    key = (hidden_size, intermediate_size, num_heads)
    with _cpu_choices_lock:
        cached = _cpu_choices.get(key)
        if cached is not None:
            return cached
        avx512_bf16, amx = cpu_bf16_features()
        if not (avx512_bf16 or amx):
            choice = DtypeChoice(torch.float32, "float32: the CPU has neither AVX512-BF16 nor AMX, where bf16 "
                                                "matmuls run far slower than fp32")
        else:
            speedup = bf16_layer_speedup(hidden_size, intermediate_size, num_heads)
            features = "AMX" if amx else "AVX512-BF16 without AMX"
            measured = f"{features}; an encoder layer of this model's shape ran {speedup:.2f}x the fp32 speed in bf16"
            if speedup >= MIN_BF16_SPEEDUP:
                choice = DtypeChoice(torch.bfloat16, f"bfloat16: {measured} (GEMMs and attention in bf16, residual "
                                                     "stream and LayerNorms in fp32)", speedup)
            else:
                choice = DtypeChoice(torch.float32, f"float32: {measured}, below the {MIN_BF16_SPEEDUP}x needed",
                                     speedup)
        _cpu_choices[key] = choice
        return choice


def resolve_dtype(dtype: str | torch.dtype, device: torch.device, config) -> torch.dtype:
    return resolve_dtype_choice(dtype, device, config).dtype


def resolve_dtype_choice(
    dtype: str | torch.dtype, device: torch.device, config, packed_residual: bool = True
) -> DtypeChoice:
    """``packed_residual``: the model runs through the packed encoder, whose bf16 mode keeps an fp32 residual
    stream; only then may ``"auto"`` pick bf16 on a CPU."""
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float32, torch.bfloat16, torch.float16):
            raise ValueError(f"Unknown dtype {dtype!r}; use 'auto' or one of {sorted(_DTYPE_NAMES)}")
        return DtypeChoice(dtype, "asked for")
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a string or a torch.dtype, got {type(dtype).__name__} {dtype!r}")
    if dtype != "auto":
        try:
            return DtypeChoice(_DTYPE_NAMES[dtype], "asked for")
        except KeyError:
            raise ValueError(f"Unknown dtype {dtype!r}; use 'auto' or one of {sorted(_DTYPE_NAMES)}") from None
    if device.type == "cpu":
        if not packed_residual:
            return DtypeChoice(torch.float32, "float32: this architecture runs through transformers' own module, "
                                              "where bf16 has no fp32 residual stream to stay within cosine 0.9999")
        hidden = int(getattr(config, "hidden_size", 0) or 0) or 768
        intermediate = int(getattr(config, "intermediate_size", 0) or 0) or 4 * hidden
        heads = int(getattr(config, "num_attention_heads", 0) or 0) or 12
        return cpu_auto_dtype(hidden, intermediate, heads)
    cuda_dtype = _cuda_auto_dtype(getattr(config, "model_type", ""), _checkpoint_dtype(config), device)
    return DtypeChoice(cuda_dtype, "vLLM's rule for pooling models on CUDA (fp32 checkpoints in fp16)")


def _checkpoint_dtype(config) -> torch.dtype:
    value = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or torch.float32
    return _DTYPE_NAMES.get(value, torch.float32) if isinstance(value, str) else value


def _cuda_auto_dtype(model_type: str, checkpoint_dtype: torch.dtype, device: torch.device) -> torch.dtype:
    """vLLM's rule for pooling models: an fp32 checkpoint runs in fp16 (bf16 where the model type rules fp16
    out); a half-precision checkpoint keeps its dtype when the GPU supports it."""
    bf16_ok = torch.cuda.is_bf16_supported() if device.type == "cuda" else False
    supported = [d for d in (torch.bfloat16, torch.float16, torch.float32) if d != torch.bfloat16 or bf16_ok]
    if model_type in _NO_FLOAT16_MODEL_TYPES:
        supported.remove(torch.float16)
    preferred = torch.float16 if torch.float16 in supported else supported[0]
    if checkpoint_dtype == torch.float32:
        return preferred
    return checkpoint_dtype if checkpoint_dtype in supported else preferred


def usable_cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def configure_threads(num_threads: int | None) -> None:
    """Set torch's intra-op threads when asked. On shared hosts OMP_WAIT_POLICY=PASSIVE (set before torch starts)
    avoids OpenMP spin-waiting against other tenants."""
    if num_threads is not None:
        if num_threads < 1:
            raise ValueError(f"num_threads must be >= 1, got {num_threads}")
        torch.set_num_threads(min(num_threads, usable_cpu_count()))


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Host→device copy; on CUDA through pinned memory so the copy is asynchronous and overlaps host work."""
    if device.type != "cuda":
        return tensor
    return tensor.pin_memory().to(device, non_blocking=True)


def run_splitting_on_oom(run: Callable[[Sequence[int]], T], items: Sequence[int]) -> list[tuple[Sequence[int], T]]:
    """Run a batch; if the device runs out of memory, split it in halves and retry each half. A single item that
    does not fit re-raises. Returns (items, result) for every piece that ran."""
    try:
        return [(items, run(items))]
    except torch.OutOfMemoryError:
        if len(items) < 2:
            raise
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        middle = len(items) // 2
        return run_splitting_on_oom(run, items[:middle]) + run_splitting_on_oom(run, items[middle:])




@functools.cache
def _glibc_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where there is none (musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def resident_bytes() -> int | None:
    """This process's resident set size (Linux), None where it cannot be read."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class HeapTrimmer:
    """Hands the heap's free pages back to the OS once RSS has grown by ``growth_bytes`` since the last trim.

    Batches of ever-new sizes fragment glibc's heap (its dynamic mmap threshold moves large blocks into the heap
    after the first free), and glibc itself releases only the free space at the top, so RSS grows by the holes.
    ``malloc_trim(0)`` releases them but costs 30–40 ms here, and the next batch faults its pages in again:
    checking RSS (microseconds) first keeps small calls from paying it. Measured on MiniLM bf16 with bucketed rows,
    calls of 250 texts: RSS levelled off at 761 MB without, near 495 MB with a trim after every call. A no-op
    without glibc."""

    def __init__(self, growth_bytes: int):
        self.growth_bytes = growth_bytes
        # From the start (the loaded model): a first call's garbage is trimmed too, not taken as the baseline.
        self.baseline: int | None = resident_bytes()

    def check(self, growth_bytes: int | None = None) -> bool:
        """Trims if RSS has grown by ``growth_bytes`` (default: the trimmer's own); True if it did."""
        trim = _glibc_malloc_trim()
        if trim is None or (rss := resident_bytes()) is None:
            return False
        if self.baseline is None or rss < self.baseline:
            self.baseline = rss
        if rss - self.baseline < (self.growth_bytes if growth_bytes is None else growth_bytes):
            return False
        trim(0)
        self.baseline = resident_bytes()
        return True
