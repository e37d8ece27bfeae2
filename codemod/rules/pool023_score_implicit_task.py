"""POOL023 (opt-in): ``LLM.score`` on an engine without an explicit task, where the scoring method stays the same.

From vLLM 0.21 ``score()`` picks its method from the default task instead of the architecture; for an ordinary
embedding model or cross-encoder both give the same method. Naming the task documents which one is meant. Not
selected by default: ``--select POOL023``. Report only; shares POOL008's analysis.
"""

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.rules.pool008_score_default_task import ScoreDefaultTask


class ScoreImplicitTask(ScoreDefaultTask):
    CODE = "POOL023"
    MESSAGE = "`LLM.score` on an engine without an explicit task: the method stays the same on vLLM 0.21; name it"
    BREAKING = False

    VALID = [
        Valid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="classify"))\nllm.score(q, docs)\n'),
        Valid('from vllm import LLM\nllm = LLM("Qwen/Qwen2.5-Math-PRM-7B")\nllm.score(q, d)\n'),  # fails on 0.21: POOL008's
    ]
    INVALID = [
        Invalid('from vllm import LLM\nllm = LLM("BAAI/bge-reranker-base")\nscores = llm.score(query, docs)\n'),
        Invalid('from vllm import LLM\nllm = LLM("colbert-ir/colbertv2.0")\nllm.score(q, d)\n'),
    ]
