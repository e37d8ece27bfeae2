"""ColBERT late interaction (vLLM's ``ColBERTModel``/``HF_ColBERT``): ``token_embed`` through a bias-free linear
projection of every token state, L2-normalised; ``score`` by MaxSim. Checked against a direct computation with the
transformers BERT model and the projection read back from the checkpoint."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from vllm_pooling_migrate.runtime import load_engine
from vllm_pooling_migrate.runtime.loading import COLBERT_DIM_MISSING
from vllm_pooling_migrate.runtime.testing import PAD, wordpiece_tokenizer

DIM = 8
TEXTS = ["the model is a token engine", "a query of the document", "red step"]


def build_colbert(folder: Path, *, architecture: str = "HF_ColBERT", dim_key: str | None = "dim",
                  linear_name: str | None = "linear.weight") -> Path:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = wordpiece_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=PAD)
    BertModel(config, add_pooling_layer=False).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    # The stanford-futuredata layout: the BERT weights under "bert.", the projection as "linear.weight".
    weights = {f"bert.{name}": tensor for name, tensor in load_file(str(folder / "model.safetensors")).items()}
    if linear_name is not None:
        weights[linear_name] = torch.randn(DIM, 32)
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    raw = json.loads((folder / "config.json").read_text())
    raw["architectures"] = [architecture]
    if dim_key is not None:
        raw[dim_key] = DIM
    (folder / "config.json").write_text(json.dumps(raw))
    return folder


@pytest.fixture(scope="module")
def colbert(tmp_path_factory) -> Path:
    return build_colbert(tmp_path_factory.mktemp("colbert") / "model")


def direct_token_vectors(folder: Path, text: str) -> torch.Tensor:
    from transformers import BertModel

    model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    projection = load_file(str(folder / "model.safetensors"))["linear.weight"]
    ids = wordpiece_tokenizer()(text, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**ids).last_hidden_state[0]
    return F.normalize(hidden @ projection.T, dim=-1)


def test_colbert_serves_token_embed_only(colbert):
    engine = load_engine(colbert, dtype="float32")
    assert engine.info.supported_tasks == ("token_embed",)
    assert engine.info.architecture_score_type == "late-interaction"


def test_token_vectors_match_a_direct_computation(colbert):
    engine = load_engine(colbert, dtype="float32")
    results = engine.run("token_embed", TEXTS)
    for text, result in zip(TEXTS, results):
        expected = direct_token_vectors(colbert, text)
        assert result.data.shape == (len(result.prompt_token_ids), DIM)
        torch.testing.assert_close(result.data, expected, atol=1e-5, rtol=1e-5)


def test_maxsim_scores_match_a_direct_computation(colbert):
    engine = load_engine(colbert, dtype="float32")
    [score] = engine.score([("the query", "the model is a token engine")], "late-interaction")
    query, document = direct_token_vectors(colbert, "the query"), direct_token_vectors(colbert, TEXTS[0])
    expected = (query @ document.T).max(dim=1).values.sum().item()
    assert abs(score - expected) < 1e-4


@pytest.mark.parametrize("target", ["0.20", "0.21"])
def test_the_shim_scores_colbert_with_maxsim_in_every_release(colbert, target, monkeypatch):
    from vllm_pooling_migrate.shim import LLM, versions

    monkeypatch.setattr(versions, "_target", versions.parse_target(target))
    llm = LLM(str(colbert))
    assert llm.pooling_task == "token_embed"
    [result] = llm.score("the query", "the model is a token engine", use_tqdm=False)
    query, document = direct_token_vectors(colbert, "the query"), direct_token_vectors(colbert, TEXTS[0])
    assert abs(result.outputs.score - (query @ document.T).max(dim=1).values.sum().item()) < 1e-4
    with pytest.raises(ValueError, match="^Embedding API is not supported by this model"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            llm.embed("the query")


@pytest.mark.parametrize("dim_key", ["colbert_dim", "projection_dim"])
def test_other_dimension_keys_and_the_colbert_model_name(tmp_path, dim_key):
    folder = build_colbert(tmp_path / "m", architecture="ColBERTModel", dim_key=dim_key,
                           linear_name="colbert_linear.weight")
    engine = load_engine(folder, dtype="float32")
    assert engine.run("token_embed", ["the query"])[0].data.shape[1] == DIM


def test_a_config_without_the_dimension_gets_vllms_error(tmp_path):
    folder = build_colbert(tmp_path / "m", dim_key=None)
    with pytest.raises(ValueError) as caught:
        load_engine(folder, dtype="float32")
    assert str(caught.value) == COLBERT_DIM_MISSING


def test_a_checkpoint_without_the_projection_is_refused(tmp_path):
    folder = build_colbert(tmp_path / "m", linear_name=None)
    with pytest.raises(ValueError) as caught:
        load_engine(folder, dtype="float32")
    assert str(caught.value) == "Following weights were not initialized from checkpoint: {'colbert_linear.weight'}"
