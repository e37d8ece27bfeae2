"""Flat memory over long runs on a CPU: bucketed GEMM rows (a bounded set of shapes, same outputs as unpadded)
and the heap handed back to the OS after enough tokens."""

from __future__ import annotations

import random

import pytest
import torch
from vllm_pooling_migrate.runtime.backbones import PackedBertEncoder
from vllm_pooling_migrate.runtime.batching import (
    TokenizedPrompt,
    bucketed_rows,
    pack,
    plan_batches,
)


def test_bucketed_rows_are_few_and_close_above():
    sizes = [bucketed_rows(count) for count in range(1, 8193)]
    assert len(set(sizes)) <= 100  # what bounds the memory a long run keeps per GEMM shape
    for count, size in enumerate(sizes, start=1):
        assert size >= count and size % 16 == 0 and bucketed_rows(size) == size
        if count >= 256:
            assert size - count <= count / 16  # at most 6.25% extra work on a full batch


def _encoder(dtype: torch.dtype, bucket_rows: bool, token_types: int = 2) -> PackedBertEncoder:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, type_vocab_size=token_types)
    model = BertModel(config, add_pooling_layer=False).eval().to(dtype)
    return PackedBertEncoder(model, fp32_residual=dtype != torch.float32, bucket_rows=bucket_rows)


def _prompts(lengths: list[int], seed: int = 0) -> list[TokenizedPrompt]:
    rng = random.Random(seed)
    return [
        TokenizedPrompt([rng.randrange(1, 50) for _ in range(n)], [int(i >= n // 2) for i in range(n)])
        for n in lengths
    ]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("lengths", [[5, 17, 3, 40, 9], [7, 7, 7], [1], [33]], ids=["mixed", "uniform", "one", "33"])
def test_padding_rows_do_not_change_outputs(dtype, lengths):
    prompts = _prompts(lengths)
    batch = pack(prompts, list(range(len(prompts))))
    assert bucketed_rows(batch.input_ids.shape[0]) > batch.input_ids.shape[0]  # the padding path runs
    with torch.inference_mode():
        plain = _encoder(dtype, bucket_rows=False)(batch)
        padded = _encoder(dtype, bucket_rows=True)(batch)
    assert padded.shape == plain.shape == (sum(lengths), 32)
    tolerance = 1e-5 if dtype == torch.float32 else 2e-2
    torch.testing.assert_close(padded.float(), plain.float(), atol=tolerance, rtol=tolerance)


def test_gemm_shapes_stay_bounded_over_many_varied_calls():
    encoder = _encoder(torch.bfloat16, bucket_rows=True)
    rows_seen: set[int] = set()
    tokens_seen: set[int] = set()
    # Every nn.Linear the encoder calls as a module (attention output, FFN down, FFN up when not fused).
    hooks = [
        linear.register_forward_pre_hook(lambda _module, args: rows_seen.add(args[0].shape[0]))
        for layer in encoder.layers
        for linear in (layer.attention.output.dense, layer.output.dense, layer.intermediate.dense)
    ]
    rng = random.Random(1)
    with torch.inference_mode():
        for call in range(60):
            prompts = _prompts([rng.randint(1, 120) for _ in range(rng.randint(1, 40))], seed=call)
            for indices in plan_batches([len(p.token_ids) for p in prompts], max_tokens=1024, max_seqs=64):
                batch = pack(prompts, indices)
                tokens_seen.add(batch.input_ids.shape[0])
                encoder(batch)
    for hook in hooks:
        hook.remove()
    assert len(tokens_seen) > 50  # the calls did vary
    assert rows_seen == {bucketed_rows(tokens) for tokens in tokens_seen}
    assert len(rows_seen) < len(tokens_seen) / 2


def test_engine_buckets_on_cpu(tiny):
    from vllm_pooling_migrate.runtime import load_engine

    engine = load_engine(tiny["bert"], device="cpu", dtype="float32")
    assert engine._backbone.bucket_rows



def test_heap_trimmer_trims_only_after_enough_growth(monkeypatch):
    from vllm_pooling_migrate.runtime import devices

    readings = iter([100, 150, 170, 110, 140, 90, 160, 95, 130])
    trims = []
    monkeypatch.setattr(devices, "resident_bytes", lambda: next(readings))
    monkeypatch.setattr(devices, "_glibc_malloc_trim", lambda: lambda pad: trims.append(pad) or 1)
    trimmer = devices.HeapTrimmer(growth_bytes=64)  # 100 at the start: the baseline
    assert not trimmer.check()  # 150: +50
    assert trimmer.check() and trims == [0]  # 170: +70, trimmed down to 110, the new baseline
    assert trimmer.baseline == 110
    assert not trimmer.check()  # 140: +30
    assert not trimmer.check() and trimmer.baseline == 90  # fell: the baseline follows
    assert trimmer.check()  # 160: +70
    assert not trimmer.check(growth_bytes=100)  # 130: +35 is under a higher bar given for one check


def test_heap_trimmer_without_glibc_does_nothing(monkeypatch):
    from vllm_pooling_migrate.runtime import devices

    monkeypatch.setattr(devices, "_glibc_malloc_trim", lambda: None)
    assert not devices.HeapTrimmer(growth_bytes=0).check()


def test_engine_trims_on_cpu_after_batches(tiny):
    from vllm_pooling_migrate.runtime import load_engine

    engine = load_engine(tiny["bert"], device="cpu", dtype="float32")
    engine._heap_trimmer.growth_bytes = 0  # every call trims: the real malloc_trim here, which must not fail
    engine.run("embed", ["the model is fast"] * 3)
    assert engine._heap_trimmer.baseline is not None
