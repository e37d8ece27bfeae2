"""Device, dtype and thread choices, host→device transfers and the out-of-memory fallback."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch

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


def cpu_has_fast_bf16() -> bool:
    """bf16 matmuls are only fast with AVX512-BF16 or AMX; on plain AVX2 they run ~50× slower than fp32."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def resolve_dtype(dtype: str | torch.dtype, device: torch.device, config) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float32, torch.bfloat16, torch.float16):
            raise ValueError(f"Unknown dtype {dtype!r}; use 'auto' or one of {sorted(_DTYPE_NAMES)}")
        return dtype
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a string or a torch.dtype, got {type(dtype).__name__} {dtype!r}")
    if dtype != "auto":
        try:
            return _DTYPE_NAMES[dtype]
        except KeyError:
            raise ValueError(f"Unknown dtype {dtype!r}; use 'auto' or one of {sorted(_DTYPE_NAMES)}") from None
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_fast_bf16() else torch.float32
    return _cuda_auto_dtype(getattr(config, "model_type", ""), _checkpoint_dtype(config), device)


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
