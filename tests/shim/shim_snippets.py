"""One legacy snippet per runtime deprecation in the registry, with what the removal preview does to it.

Each snippet is a whole file: it imports from ``shim`` (the codemod treats ``shim`` like ``vllm``), gets the tiny
model paths from the ``MODELS`` global and the inputs from ``PROMPTS``, and leaves its outputs in ``result``.
The line ending in ``# legacy`` is where the deprecation must be reported. Used by ``test_shim_snippets.py``
and meant for the end-to-end test that migrates each snippet with ``migrate-pooling`` and reruns it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from vllm_pooling_migrate.shim.config import ValidationError

PROMPTS = ["the model is a token engine", "a query of the document"]


@dataclass(frozen=True)
class Snippet:
    code: str
    source: str
    #: What 0.21 raises at the legacy line (None: 0.21 still only warns), and a text the error must contain.
    preview_error: type[BaseException] | None
    preview_text: str | None = None

    @property
    def legacy_line(self) -> int:
        return next(n for n, line in enumerate(self.source.splitlines(), 1) if line.endswith("# legacy"))


_HEADER = "from vllm_pooling_migrate.shim import LLM, PoolerConfig, PoolingParams\n\n"


def _snippet(code, body, preview_error=None, preview_text=None) -> Snippet:
    return Snippet(code, _HEADER + body, preview_error, preview_text)


SNIPPETS: dict[str, Snippet] = {s.code: s for s in (
    _snippet("POOL001", 'llm = LLM(MODELS["bert"], task="embed")  # legacy\nresult = llm.embed(PROMPTS)\n',
             TypeError, "EngineArgs.__init__() got an unexpected keyword argument 'task'"),
    _snippet("POOL003", 'llm = LLM(MODELS["bert"], override_pooler_config=PoolerConfig(pooling_type="MEAN"))  # legacy\n'
                        'result = llm.embed(PROMPTS)\n',
             TypeError, "EngineArgs.__init__() got an unexpected keyword argument 'override_pooler_config'"),
    _snippet("POOL005", 'llm = LLM(MODELS["bert"])\nresult = llm.encode(PROMPTS, pooling_task="token_embed")  # legacy\n',
             ValueError, "Try switching the model's pooling_task via `PoolerConfig(task=\"token_embed\")`"),
    _snippet("POOL006", 'llm = LLM(MODELS["bert"], pooler_config=PoolerConfig(task="embed"))\n'
                        'result = llm.encode(PROMPTS)  # legacy\n',
             ValueError, "pooling_task required for `LLM.encode`."),
    _snippet("POOL007", 'llm = LLM(MODELS["bert"])\nresult = llm.encode(PROMPTS, PoolingParams(task="embed"))  # legacy\n',
             ValueError, "pooling_task required for `LLM.encode`."),
    _snippet("POOL009", 'ner = LLM(MODELS["bert-ner"])\nresult = ner.reward(PROMPTS)  # legacy\n'),
    _snippet("POOL010", 'llm = LLM(MODELS["bert"], pooler_config=PoolerConfig(normalize=False))  # legacy\n'
                        'result = llm.embed(PROMPTS)\n',
             ValidationError, "normalize\n  Unexpected keyword argument [type=unexpected_keyword_argument"),
    _snippet("POOL011", 'llm = LLM(MODELS["bert-cls"], pooler_config=PoolerConfig(logit_bias=0.5))  # legacy\n'
                        'result = llm.classify(PROMPTS)\n'),
    _snippet("POOL012", 'llm = LLM(MODELS["bert"], pooler_config=PoolerConfig(pooling_task="token_embed"))  # legacy\n'
                        'result = llm.encode(PROMPTS, pooling_task="token_embed")\n',
             ValidationError, "pooling_task\n  Unexpected keyword argument [type=unexpected_keyword_argument"),
    _snippet("POOL021", 'llm = LLM(MODELS["bert-cls"])\nresult = llm.encode(PROMPTS, pooling_task="score")  # legacy\n',
             ValueError, "Unsupported task: 'score' Supported tasks: ('classify', 'token_classify')"),
)}


def run_snippet(path: Path, models: dict[str, str]) -> tuple[dict, list[warnings.WarningMessage]]:
    """Execute the file at ``path`` as a script; returns its globals and every warning it raised."""
    namespace = {"__name__": "__main__", "__file__": str(path), "MODELS": models, "PROMPTS": PROMPTS}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace, record


def output_numbers(result) -> list[float]:
    """The numbers in a list of vLLM request outputs, flattened, for comparing runs."""
    numbers: list[float] = []
    for output in result:
        data = output.outputs
        value = getattr(data, "embedding", None) or getattr(data, "probs", None)
        if value is None:
            value = getattr(data, "score", None)
        if value is None:
            value = data.data.flatten().tolist()
        numbers.extend(value if isinstance(value, list) else [value])
    return numbers
