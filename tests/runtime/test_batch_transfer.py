"""``PackedBatch.to``: every index tensor goes to the device (checked without a GPU by recording the copies)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from vllm_pooling_migrate.runtime import devices
from vllm_pooling_migrate.runtime.batching import PackedBatch, TokenizedPrompt, pack

CUDA = torch.device("cuda")  # only the recorded copy below runs: no GPU needed


@pytest.fixture
def copies(monkeypatch) -> list[torch.Tensor]:
    """Stands in for the host-to-device copy and records what it was given."""
    made: list[torch.Tensor] = []

    def record_copy(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
        made.append(tensor.clone())
        return made[-1]

    monkeypatch.setattr(devices, "to_device", record_copy)
    return made


def test_every_tensor_field_is_moved_and_the_rest_is_kept(copies):
    prompts = [TokenizedPrompt([2, 5, 3], [0, 0, 0]), TokenizedPrompt([2, 6, 7, 3], [0, 0, 1, 1])]
    batch = pack(prompts, [1, 0])
    on_device = batch.to(CUDA)
    tensor_fields = 0
    for field in dataclasses.fields(PackedBatch):
        before, after = getattr(batch, field.name), getattr(on_device, field.name)
        if isinstance(before, torch.Tensor):
            tensor_fields += 1
            assert any(after is copy for copy in copies), f"{field.name} stayed on the host"
            assert torch.equal(before, after)
        else:
            assert after == before
    assert len(copies) == tensor_fields


def test_a_batch_without_token_types_keeps_none(copies):
    batch = pack([TokenizedPrompt([2, 5, 3])], [0])
    assert batch.token_type_ids is None
    assert batch.to(CUDA).token_type_ids is None


def test_a_cpu_batch_is_not_copied(copies):
    batch = pack([TokenizedPrompt([2, 5, 3])], [0])
    assert batch.to(torch.device("cpu")) is batch
    assert copies == []
