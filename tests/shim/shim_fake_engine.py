"""A stand-in for the runtime engine with the same interface, for the version-emulation unit tests.

It computes nothing real: ``run`` returns one small array per prompt and records every call, so tests can
check which task the shim asked for and with which parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np

from vllm_pooling_migrate.runtime.settings import PoolerSettings


@dataclass(frozen=True)
class FakeInfo:
    architectures: tuple[str, ...]
    supported_tasks: tuple[str, ...]
    architecture_score_type: str = "bi-encoder"
    num_labels: int | None = None
    runner: str = "pooling"
    served_model_name: str = "tiny"
    is_matryoshka: bool = False
    matryoshka_dimensions: tuple[int, ...] | None = None
    model_type: str = "bert"
    problem_type: str | None = None
    id2label: dict = field(default_factory=dict)
    max_model_len: int = 64
    hidden_size: int = 8
    embedding_size: int = 8
    convert: str = "embed"
    st_activation_fn: str | None = None


def bert_like_settings(**overrides) -> PoolerSettings:
    """The engine's own settings value, with a BERT-like model's pooling defaults."""
    return PoolerSettings(**{"seq_pooling_type": "CLS", "tok_pooling_type": "ALL", **overrides})


@dataclass(frozen=True)
class TaskParams:
    use_activation: bool | None = None
    dimensions: int | None = None


MODELS = {
    "embedding": FakeInfo(("BertModel",), ("embed", "token_embed")),
    "classifier": FakeInfo(("BertForSequenceClassification",), ("classify", "token_classify"),
                           architecture_score_type="cross-encoder", num_labels=3, convert="classify"),
    "cross-encoder": FakeInfo(("BertForSequenceClassification",), ("classify", "token_classify"),
                              architecture_score_type="cross-encoder", num_labels=1, convert="classify"),
    "ner": FakeInfo(("BertForTokenClassification",), ("token_classify",), architecture_score_type="cross-encoder",
                    num_labels=5, convert="classify"),
    "bge-m3": FakeInfo(("BgeM3EmbeddingModel",), ("embed", "token_embed", "token_classify", "embed&token_classify")),
    "matryoshka": FakeInfo(("BertModel",), ("embed", "token_embed"), is_matryoshka=True,
                           matryoshka_dimensions=(4, 8)),
    "generator": FakeInfo(("LlamaForCausalLM",), (), runner="generate", convert="none"),
}


class FakeTokenizer:
    def __call__(self, text, pair=None):
        ids = [2] + [len(w) for w in text.split()] + [3]
        if pair is not None:
            ids += [len(w) for w in pair.split()] + [3]
        return {"input_ids": ids}


class FakeEngine:
    def __init__(self, kind: str, load_kwargs: dict):
        self.info = MODELS[kind]
        self.settings = bert_like_settings()
        self.load_kwargs = load_kwargs
        self.tokenizer = FakeTokenizer()
        self.calls: list[tuple] = []

    def run(self, task, prompts, params=None, *, use_tqdm=False, truncate_prompt_tokens=None):
        self.calls.append(("run", task, list(prompts), list(params)))
        return [SimpleNamespace(data=np.full(4, float(i), dtype=np.float32), prompt_token_ids=[2, i, 3])
                for i, _ in enumerate(prompts)]

    def score(self, pairs, score_type, *, use_activation=None, use_tqdm=False, truncate_prompt_tokens=None):
        self.calls.append(("score", score_type, list(pairs), use_activation))
        return [0.5 for _ in pairs]

    def score_details(self, pairs, score_type, **kwargs):
        scores = self.score(pairs, score_type, **kwargs)
        if score_type == "cross-encoder":
            return [(s, self.tokenizer(a, b)["input_ids"]) for s, (a, b) in zip(scores, pairs)]
        return [(s, self.tokenizer(a)["input_ids"] + self.tokenizer(b)["input_ids"]) for s, (a, b) in zip(scores, pairs)]


def fake_runtime(kind: str, **info_changes):
    """A replacement for ``shim.llm.runtime_api`` whose engines describe the model ``kind``."""
    def load_engine(model, **kwargs):
        # Like the runtime (spec §3.4): an explicit convert turns a generative architecture into a pooling model.
        converted = kind == "generator" and kwargs.get("convert") == "embed"
        engine = FakeEngine("embedding" if converted else kind, kwargs)
        if info_changes:
            engine.info = replace(engine.info, **info_changes)
        return engine

    return lambda: SimpleNamespace(load_engine=load_engine, TaskParams=TaskParams)
