"""POOL022 (opt-in): a pooling ``LLM`` used only for the task its model defaults to anyway.

The code behaves the same on vLLM 0.21; pinning ``PoolerConfig(task=T)`` only makes the task explicit (and moves a
wrong model to a clear error at construction time). Not selected by default: ``--select POOL022``. It shares
POOL005's analysis, and reports exactly the single-task engines POOL005 leaves out.
"""

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.rules.pool005_implicit_pooling_task import ImplicitPoolingTask


class PinDefaultTask(ImplicitPoolingTask):
    CODE = "POOL022"
    MESSAGE = ("this `LLM` is used only for its model's default task: it behaves the same on vLLM 0.21; pin it "
               "anyway with `PoolerConfig(task=...)` to make that explicit")
    BREAKING = False

    VALID = [
        Valid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="embed"))\nllm.embed(["a"])\n'),
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.encode(["a"], pooling_task="token_embed")\n'),  # can break: POOL005's
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.embed(["a"])\n', target="0.18"),  # no default task before 0.19
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.embed(["a"])\nllm.classify(["b"])\n'),  # several tasks: POOL004's
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM\nllm = LLM("intfloat/e5-small")\nvectors = llm.embed(["a"])\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("intfloat/e5-small", pooler_config=PoolerConfig(task="embed"))\nvectors = llm.embed(["a"])\n',
        ),
        Invalid(
            'import vllm\n\nclass Service:\n    def __init__(self):\n        self.engine = vllm.LLM("my-org/sentiment")\n\n    def labels(self, texts):\n        return self.engine.classify(texts)\n',
            'import vllm\nfrom vllm.config import PoolerConfig\n\nclass Service:\n    def __init__(self):\n        self.engine = vllm.LLM("my-org/sentiment", pooler_config=PoolerConfig(task="classify"))\n\n    def labels(self, texts):\n        return self.engine.classify(texts)\n',
        ),
        Invalid(  # a ColBERT model defaults to token_embed
            'from vllm import LLM\nllm = LLM("colbert-ir/colbertv2.0")\nllm.encode(q, pooling_task="token_embed")\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("colbert-ir/colbertv2.0", pooler_config=PoolerConfig(task="token_embed"))\nllm.encode(q, pooling_task="token_embed")\n',
        ),
        Invalid('from vllm import LLM\nllm = LLM("m")\nllm.embed(["a"])\nsend(llm)\n'),  # escapes: report only
    ]
