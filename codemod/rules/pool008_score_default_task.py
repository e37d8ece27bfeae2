"""POOL008: ``LLM.score`` follows the configured default task from vLLM 0.21 (cosine, cross-encoder or
MaxSim); without an explicit task the method depends on the model. Report only."""

from vllm_pooling_migrate.codemod.analysis.tasks import construction_config
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.rule import PythonRule

SCORABLE = {"embed", "token_embed", "classify"}


class ScoreDefaultTask(PythonRule):
    CODE = "POOL008"
    MESSAGE = "`LLM.score` follows the engine's default task from vLLM 0.21: make the task explicit"

    VALID = [
        Valid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="embed"))\nllm.score(q, docs)\n'),
    ]
    INVALID = [
        Invalid('from vllm import LLM\nllm = LLM("BAAI/bge-reranker")\nscores = llm.score(query, docs)\n'),
        Invalid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_classify"))\nllm.score(q, d)\n'),
    ]

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if use.method != "score" or use.construction is None:
                continue
            config = construction_config(use.construction, self.symbol)
            if config.explicit_task in SCORABLE or (config.has_task and config.explicit_task is None):
                continue
            if config.explicit_task:
                message = (f"`score()` on an engine configured for `{config.explicit_task}`: vLLM 0.21 raises "
                           '"This model does not support the Scoring API." (M26); use a task of embed, token_embed '
                           "or classify (num_labels == 1)")
            else:
                message = (f"{self.MESSAGE}: `PoolerConfig(task=\"embed\")` scores by cosine, "
                           '`task="token_embed"` by MaxSim, a cross-encoder by `task="classify"`')
            self.report(use.call, message)
