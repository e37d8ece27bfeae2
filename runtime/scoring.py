"""Score computations (spec §10.4) over already-computed task outputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F

SCORE_TYPES = ("bi-encoder", "cross-encoder", "late-interaction")


def cosine_scores(left: list[torch.Tensor], right: list[torch.Tensor]) -> list[float]:
    """Bi-encoder: cosine similarity of each pair of sequence embeddings."""
    return F.cosine_similarity(torch.stack(left).float(), torch.stack(right).float(), dim=-1).tolist()


def maxsim(query: torch.Tensor, document: torch.Tensor) -> float:
    """Late interaction, in fp32: for each query token the best dot product with any document token, summed."""
    return (query.float() @ document.float().T).max(dim=1).values.sum().item()
