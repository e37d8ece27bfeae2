"""bge-m3 through ``hf_overrides={"architectures": ["BgeM3EmbeddingModel"]}``: dense, ColBERT, sparse, combined."""

from __future__ import annotations

import torch
import torch.nn.functional as F
import transformers

from vllm_pooling_migrate.runtime import TaskParams, load_engine

TEXTS = ["the model is fast", "a query of the document"]
OVERRIDE = {"architectures": ["BgeM3EmbeddingModel"]}


def _reference(path, ids):
    model = transformers.XLMRobertaModel.from_pretrained(path).eval()
    colbert = torch.nn.Linear(32, 32)
    colbert.load_state_dict(torch.load(path / "colbert_linear.pt", weights_only=True))
    sparse = torch.nn.Linear(32, 1)
    sparse.load_state_dict(torch.load(path / "sparse_linear.pt", weights_only=True))
    with torch.inference_mode():
        hidden = model(torch.tensor([ids])).last_hidden_state[0]
        return hidden, colbert(hidden), sparse(hidden)


def test_bge_m3_tasks(tiny):
    path = tiny["bge-m3"]
    engine = load_engine(path, dtype="float32", hf_overrides=OVERRIDE)
    assert engine.info.supported_tasks == ("embed", "token_embed", "token_classify", "embed&token_classify")
    without_override = load_engine(path, dtype="float32")
    assert without_override.info.supported_tasks == ("embed", "token_embed")
    for text in TEXTS:
        ids = engine.tokenizer(text)["input_ids"]
        hidden, colbert, sparse = _reference(path, ids)
        dense = engine.run("embed", [text])[0].data
        torch.testing.assert_close(dense, F.normalize(hidden[0], dim=-1), atol=2e-5, rtol=1e-4)
        vectors = engine.run("token_embed", [text])[0].data  # BOS dropped
        torch.testing.assert_close(vectors, F.normalize(colbert[1:], dim=-1), atol=2e-5, rtol=1e-4)
        weights = engine.run("token_classify", [text])[0].data  # BOS and EOS dropped, then ReLU
        torch.testing.assert_close(weights, torch.relu(sparse[1:-1]), atol=2e-5, rtol=1e-4)
        raw = engine.run("token_classify", [text], TaskParams(use_activation=False))[0].data
        torch.testing.assert_close(raw, sparse[1:-1], atol=2e-5, rtol=1e-4)
        combined = engine.run("embed&token_classify", [text])[0].data
        assert combined.shape == (32 + len(ids) - 2,)
        torch.testing.assert_close(combined, torch.cat([dense, weights.flatten()]))
