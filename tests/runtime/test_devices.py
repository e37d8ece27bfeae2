"""Device and dtype choices, the out-of-memory split, and the CUDA paths (skipped without a GPU)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vllm_pooling_migrate.runtime import load_engine
from vllm_pooling_migrate.runtime import devices
from vllm_pooling_migrate.runtime.devices import _cuda_auto_dtype, resolve_dtype, resolve_dtype_choice, run_splitting_on_oom

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


class _Config:
    model_type = "bert"
    dtype = torch.float32


class _Shapes(_Config):
    hidden_size = 32
    intermediate_size = 64


@pytest.fixture
def cpu_probes(monkeypatch):
    """Replace the CPU feature and GEMM probes; returns a setter and the list of probe calls."""
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(devices, "_cpu_choices", {})

    def set_cpu(avx512_bf16: bool, amx: bool, speedup: float) -> None:
        monkeypatch.setattr(devices, "cpu_bf16_features", lambda: (avx512_bf16, amx))
        monkeypatch.setattr(devices, "_cpu_choices", {})

        def probe(hidden, intermediate, heads, repeats=5):
            calls.append((hidden, intermediate))
            return speedup

        monkeypatch.setattr(devices, "bf16_layer_speedup", probe)

    return set_cpu, calls


def test_explicit_dtypes():
    cpu = torch.device("cpu")
    assert resolve_dtype("float32", cpu, _Config) == torch.float32
    assert resolve_dtype("bf16", cpu, _Config) == torch.bfloat16
    assert resolve_dtype(torch.float16, cpu, _Config) == torch.float16
    with pytest.raises(ValueError, match="Unknown dtype"):
        resolve_dtype("int3", cpu, _Config)
    with pytest.raises(ValueError, match="Unknown dtype"):
        resolve_dtype(torch.int8, cpu, _Config)


@pytest.mark.parametrize(
    "avx512_bf16, amx, speedup, expected, probed",
    [
        (False, False, 9.0, torch.float32, False),  # plain AVX2: bf16 is ~50x slower, no probe needed
        (True, False, 0.7, torch.float32, True),  # AVX512-BF16 without AMX, measured slower (issue 10: 1/1.43)
        (True, False, 2.0, torch.bfloat16, True),  # ... or measured faster (this project's Zen 4 EPYC)
        (True, True, 2.6, torch.bfloat16, True),  # AMX: bf16 clearly faster
        (False, True, 2.6, torch.bfloat16, True),
        (True, True, 1.05, torch.float32, True),  # AMX, but not faster here: never slower than fp32
    ],
)
def test_cpu_auto_dtype_by_features_and_probe(cpu_probes, avx512_bf16, amx, speedup, expected, probed):
    set_cpu, calls = cpu_probes
    set_cpu(avx512_bf16, amx, speedup)
    choice = resolve_dtype_choice("auto", torch.device("cpu"), _Shapes)
    assert choice.dtype == expected
    assert calls == ([(32, 64)] if probed else [])
    assert choice.bf16_speedup == (speedup if probed else None)
    assert choice.reason.startswith(str(expected).removeprefix("torch.") + ": ")


def test_the_choice_is_made_once_per_process_and_shape(cpu_probes):
    set_cpu, calls = cpu_probes
    set_cpu(True, True, 2.0)
    first = resolve_dtype_choice("auto", torch.device("cpu"), _Shapes)
    second = resolve_dtype_choice("auto", torch.device("cpu"), _Shapes)
    assert first is second and len(calls) == 1


def test_load_engine_uses_the_probe_and_reports_the_choice(cpu_probes, tiny):
    set_cpu, _ = cpu_probes
    set_cpu(True, True, 3.0)
    engine = load_engine(tiny["bert"], dtype="auto")
    assert engine.dtype == torch.bfloat16 and engine.dtype_choice.bf16_speedup == 3.0
    set_cpu(True, False, 0.7)
    engine = load_engine(tiny["bert"], dtype="auto")
    assert engine.dtype == torch.float32 and "without AMX" in engine.dtype_choice.reason
    assert load_engine(tiny["bert"], dtype="bfloat16").dtype_choice.reason == "asked for"


def test_architectures_without_the_fp32_residual_path_stay_in_fp32(cpu_probes, tiny):
    """bf16 stays within cosine 0.9999 only on the packed encoder's fp32 residual stream."""
    set_cpu, calls = cpu_probes
    set_cpu(True, True, 3.0)
    engine = load_engine(tiny["llama"], dtype="auto")
    assert engine.dtype == torch.float32 and calls == [] and "transformers' own module" in engine.dtype_choice.reason


def test_the_real_probe_is_quick_and_sane():
    import time

    start = time.perf_counter()
    speedup = devices.bf16_layer_speedup(384, 1536, 12)
    assert 0 < speedup < 100 and time.perf_counter() - start < 5
    choice = devices.cpu_auto_dtype(384, 1536, 12)
    assert choice.dtype == (torch.bfloat16 if (choice.bf16_speedup or 0) >= devices.MIN_BF16_SPEEDUP
                            else torch.float32)


def test_cuda_auto_dtype_follows_vllm_for_pooling_models(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    gpu = torch.device("cuda")
    assert _cuda_auto_dtype("bert", torch.float32, gpu) == torch.float16
    assert _cuda_auto_dtype("qwen2", torch.bfloat16, gpu) == torch.bfloat16
    assert _cuda_auto_dtype("gemma2", torch.float32, gpu) == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert _cuda_auto_dtype("qwen2", torch.bfloat16, gpu) == torch.float16


def test_out_of_memory_splits_the_batch_and_retries():
    calls = []

    def run(items):
        calls.append(list(items))
        if len(items) > 2:
            raise torch.OutOfMemoryError("fake")
        return sum(items)

    pieces = run_splitting_on_oom(run, [1, 2, 3, 4, 5])
    assert [(list(items), total) for items, total in pieces] == [([1, 2], 3), ([3], 3), ([4, 5], 9)]
    with pytest.raises(torch.OutOfMemoryError):
        run_splitting_on_oom(lambda items: (_ for _ in ()).throw(torch.OutOfMemoryError("x")), [1])


def test_engine_recovers_from_an_out_of_memory_batch(tiny, monkeypatch):
    engine = load_engine(tiny["bert"], dtype="float32")
    expected = [r.data for r in engine.run("embed", ["the model", "a query", "it is fast"])]
    backbone = engine._backbone

    def small_batches_only(batch):
        if len(batch.seq_lens) > 1:
            raise torch.OutOfMemoryError("fake")
        return backbone(batch)

    monkeypatch.setattr(engine, "_backbone", small_batches_only)
    for result, data in zip(engine.run("embed", ["the model", "a query", "it is fast"]), expected, strict=True):
        torch.testing.assert_close(result.data, data)


@cuda
@pytest.mark.cuda
def test_cuda_embeddings_match_cpu(minilm_path):
    texts = ["A man is eating food.", "A monkey is playing drums.", "hello " * 40]
    cpu = load_engine(minilm_path, device="cpu", dtype="float32")
    gpu = load_engine(minilm_path, device="cuda")
    assert gpu.dtype == torch.float16  # vLLM runs fp32 pooling checkpoints in fp16
    for a, b in zip(cpu.run("embed", texts), gpu.run("embed", texts), strict=True):
        assert b.data.device.type == "cpu" and b.data.dtype == torch.float32
        assert F.cosine_similarity(a.data, b.data, dim=0).item() > 0.999


@cuda
@pytest.mark.cuda
def test_cuda_token_tasks_and_classifier(tiny):
    gpu = load_engine(tiny["bert-ner"], device="cuda", dtype="float32")
    cpu = load_engine(tiny["bert-ner"], device="cpu", dtype="float32")
    texts = ["the model is fast", "a query"]
    for a, b in zip(cpu.run("token_classify", texts), gpu.run("token_classify", texts), strict=True):
        torch.testing.assert_close(a.data, b.data, atol=1e-4, rtol=1e-3)
