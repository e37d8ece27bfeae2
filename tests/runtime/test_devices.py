"""Device and dtype choices, the out-of-memory split, and the CUDA paths (skipped without a GPU)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vllm_pooling_migrate.runtime import load_engine
from vllm_pooling_migrate.runtime.devices import _cuda_auto_dtype, resolve_dtype, run_splitting_on_oom

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


class _Config:
    model_type = "bert"
    dtype = torch.float32


def test_explicit_and_cpu_auto_dtypes(monkeypatch):
    cpu = torch.device("cpu")
    assert resolve_dtype("float32", cpu, _Config) == torch.float32
    assert resolve_dtype("bf16", cpu, _Config) == torch.bfloat16
    monkeypatch.setattr("vllm_pooling_migrate.runtime.devices.cpu_has_fast_bf16", lambda: False)
    assert resolve_dtype("auto", cpu, _Config) == torch.float32
    monkeypatch.setattr("vllm_pooling_migrate.runtime.devices.cpu_has_fast_bf16", lambda: True)
    assert resolve_dtype("auto", cpu, _Config) == torch.bfloat16
    with pytest.raises(ValueError, match="Unknown dtype"):
        resolve_dtype("int3", cpu, _Config)


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
