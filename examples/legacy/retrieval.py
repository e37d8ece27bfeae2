"""A retrieval service written for vLLM 0.18: one engine serves dense vectors and per-token vectors."""
from vllm import LLM, PoolingParams
from vllm.config import PoolerConfig

MODEL = "BAAI/bge-m3"


class Retriever:
    def __init__(self):
        self.engine = LLM(model=MODEL, override_pooler_config=PoolerConfig(normalize=True))

    def dense(self, texts):
        return self.engine.embed(texts)

    def colbert(self, texts):
        return self.engine.encode(texts, pooling_params=PoolingParams(task="token_embed"))
