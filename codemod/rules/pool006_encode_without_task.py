"""POOL006: ``LLM.encode(...)`` without ``pooling_task=`` raises since vLLM 0.11.2 (M02).

A call that hands on ``*args``/``**kwargs`` (a wrapper's ``encode(self, *args, **kwargs)``) is not reported: its
caller's task may be among them.
"""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.tasks import construction_config, requested
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import AddKeyword, PythonFix, quote_like
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.registry import FixClass


class EncodeWithoutTask(PythonRule):
    CODE = "POOL006"
    MESSAGE = "`LLM.encode(...)` needs `pooling_task=`: use `embed()`, `classify()` or name the task"

    VALID = [
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.encode(x, pooling_task="token_embed")\n'),
        Valid('import vllm\nfrom transformers import AutoTokenizer\ntok = AutoTokenizer.from_pretrained("m")\ntok.encode("x")\n'),
        Valid('from vllm import LLM\nllm = LLM("m")\n\ndef encode(*args, **kwargs):\n    return llm.encode(*args, **kwargs)\n'),
    ]
    INVALID = [
        Invalid('from vllm import LLM\nllm = LLM("m")\nout = llm.encode(texts)\n'),
        Invalid(
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))\nout = llm.encode(texts)\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))\nout = llm.encode(texts, pooling_task="token_embed")\n',
        ),
        Invalid(
            'from vllm import LLM\nllm = LLM("m")\nout = llm.encode({"data": image})\n',
            'from vllm import LLM\nllm = LLM("m")\nout = llm.encode({"data": image}, pooling_task="plugin")\n',
        ),
    ]

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if use.method != "encode" or not use.is_llm or not requested(use, self.symbol).missing:
                continue
            task = self._visible_task(use)  # (a call with ``*args``/``**kwargs`` is not missing its task: it may hold it)
            if task is None:
                self.report(use.call, applicability=FixClass.REPORT)
                continue
            fix = PythonFix().on(use.call, AddKeyword("pooling_task", quote_like(None, task)))
            self.report(use.call, f'{self.MESSAGE}; the engine is configured for `{task}`: add `pooling_task="{task}"`',
                        fix=fix, applicability=FixClass.SAFE)

    def _visible_task(self, use) -> str | None:
        prompts = use.call.args[0].value if use.call.args else None
        if isinstance(prompts, cst.Dict) and any(
            isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == "data"
            for e in prompts.elements
        ):
            return "plugin"  # {"data": ...} prompts go to an IO-processor plugin (M09 from 0.20)
        if use.construction is None or not use.construction.provable:
            return None
        return construction_config(use.construction, self.symbol).explicit_task
