"""POOL008: ``LLM.score`` follows the configured default task from vLLM 0.21 (cosine, cross-encoder or MaxSim)
instead of the architecture. Reported where that changes the method or fails: a configured task that cannot
score, ``hf_overrides`` that change the architecture, a model whose default is known to be another task. Scoring
whose method stays the same is POOL023's (opt-in), which shares this analysis. Report only."""

from vllm_pooling_migrate.codemod.analysis.instances import Construction
from vllm_pooling_migrate.codemod.analysis.tasks import construction_config
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import EngineArgSourcesFeed
from vllm_pooling_migrate.codemod.rules.pool005_implicit_pooling_task import model_facts

SCORABLE = {"embed", "token_embed", "classify"}


class ScoreDefaultTask(EngineArgSourcesFeed, PythonRule):
    CODE = "POOL008"
    MESSAGE = "`LLM.score` follows the engine's default task from vLLM 0.21, and here that changes or fails"
    #: True: scoring that changes or fails on 0.21 (POOL008); False: scoring that stays the same (POOL023).
    BREAKING = True

    VALID = [
        Valid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="embed"))\nllm.score(q, docs)\n'),
        Valid('from vllm import LLM\nllm = LLM("BAAI/bge-reranker-base")\nscores = llm.score(query, docs)\n'),  # same method: POOL023's
    ]
    INVALID = [
        Invalid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_classify"))\nllm.score(q, d)\n'),
        Invalid('from vllm import LLM\nllm = LLM("BAAI/bge-m3", hf_overrides={"architectures": ["BgeM3EmbeddingModel"]})\nllm.score(q, d)\n'),
        Invalid('from vllm import LLM\nllm = LLM("Qwen/Qwen2.5-Math-PRM-7B")\nllm.score(q, d)\n'),
    ]

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if use.method != "score" or use.construction is None or use.expects_error:
                continue
            message = self._judge(use.construction)
            if message is not None:
                self.report(use.call, message)

    def _judge(self, construction: Construction) -> str | None:
        """The message for this rule, or None when the use is the other rule's (or nobody's)."""
        config = construction_config(construction, self.symbol)
        if config.explicit_task in SCORABLE or (config.has_task and config.explicit_task is None):
            return None
        if config.explicit_task:
            if not self.BREAKING:
                return None
            return (f"`score()` on an engine configured for `{config.explicit_task}`: vLLM 0.21 raises \"This model "
                    'does not support the Scoring API."; use a task of embed, token_embed or classify (num_labels == 1)')
        facts = model_facts(construction.call, self)
        if facts.default is not None and facts.default not in SCORABLE:
            breaking = True
            why = (f"its default task is `{facts.default}` ({facts.source}), which cannot score (vLLM 0.21 raises "
                   "\"This model does not support the Scoring API.\")")
        elif facts.default is None and facts.overridden:
            breaking = True
            why = "`hf_overrides` changes the architecture, so the default task and the scoring method may change"
        else:
            breaking = False
            known = f"its default task `{facts.default}` ({facts.source})" if facts.default else "its default task"
            why = f"{known} gives the method the architecture gave before, so nothing changes"
        if breaking != self.BREAKING:
            return None
        advice = ('`PoolerConfig(task="embed")` scores by cosine, `task="token_embed"` by MaxSim, `task="classify"` '
                  "as a cross-encoder")
        return f"`score()` follows the engine's default task from vLLM 0.21, and {why}; make the task explicit ({advice})"
