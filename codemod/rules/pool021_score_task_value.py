"""POOL021: the ``"score"`` task value was removed in vLLM 0.19 (``PoolingParams`` mapped it to
``classify`` with a warning until 0.20); write ``"classify"``."""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import POOLING_PARAMS
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import PythonFix, ReplaceValue, keyword_index, quote_like, string_value
from vllm_pooling_migrate.codemod.python.rule import PythonRule


class ScoreTaskValue(PythonRule):
    CODE = "POOL021"
    MESSAGE = '`"score"` is no longer a pooling task: use `"classify"`'

    VALID = [Valid('from vllm import PoolingParams\nPoolingParams(task="classify")\n')]
    INVALID = [
        Invalid(
            'from vllm import PoolingParams\nparams = PoolingParams(task="score")\n',
            'from vllm import PoolingParams\nparams = PoolingParams(task="classify")\n',
        ),
        Invalid(
            "from vllm import LLM\nllm = LLM('m')\nllm.encode(pairs, pooling_task='score')\n",
            "from vllm import LLM\nllm = LLM('m')\nllm.encode(pairs, pooling_task='classify')\n",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.symbol(node.func) == POOLING_PARAMS:
            self._check(node, "task")

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if use.method == "encode" and use.is_llm:
                self._check(use.call, "pooling_task")

    def _check(self, call: cst.Call, keyword: str) -> None:
        index = keyword_index(call, keyword)
        if index is None or string_value(call.args[index].value) != "score":
            return
        value = call.args[index].value
        self.report(call, fix=PythonFix().on(call, ReplaceValue(index, quote_like(value, "classify"))))
