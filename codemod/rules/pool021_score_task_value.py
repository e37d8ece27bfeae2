"""POOL021: the ``"score"`` task value was removed in vLLM 0.19 (``PoolingParams`` mapped it to
``classify`` with a warning until 0.20); write ``"classify"``.

Also where the value comes from a mapping: ``PoolingParams(task=TASKS[kind])`` or ``kwargs["task"] = TASKS[kind]``
before ``PoolingParams(**kwargs)``, with ``TASKS`` a dict literal bound once whose values include ``"score"``
(serving frameworks map their own task names to vLLM's). Reported once per mapping, at its first ``"score"``,
without a fix: the mapping may feed other code too.
"""

import libcst as cst
from libcst.metadata import ScopeProvider

from vllm_pooling_migrate.codemod.analysis.symbols import POOLING_PARAMS
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import PythonFix, ReplaceValue, keyword_index, quote_like, string_value
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import EngineArgSources, EngineArgSourcesFeed

REMOVED = "score"


class ScoreTaskValue(EngineArgSourcesFeed, PythonRule):
    CODE = "POOL021"
    MESSAGE = '`"score"` is no longer a pooling task: use `"classify"`'

    VALID = [
        Valid('from vllm import PoolingParams\nPoolingParams(task="classify")\n'),
        Valid(  # a mapping without "score"
            'from vllm import PoolingParams\nTASKS = {"embedding": "embed", "reranker": "classify"}\n'
            "params = PoolingParams(task=TASKS[kind])\n"
        ),
        Valid(  # the mapping's values are not what reaches the task
            'from vllm import PoolingParams\nTASKS = {"reranker": "score"}\nparams = PoolingParams(task=kind)\n'
        ),
    ]
    INVALID = [
        Invalid(
            'from vllm import PoolingParams\nparams = PoolingParams(task="score")\n',
            'from vllm import PoolingParams\nparams = PoolingParams(task="classify")\n',
        ),
        Invalid(
            "from vllm import LLM\nllm = LLM('m')\nllm.encode(pairs, pooling_task='score')\n",
            "from vllm import LLM\nllm = LLM('m')\nllm.encode(pairs, pooling_task='classify')\n",
        ),
        Invalid(  # a framework's task names mapped to vLLM's, through a kwargs dict
            "from vllm import PoolingParams\n\ndef params_for(kind):\n"
            '    mapping = {"embedding": "embed", "reranker": "score"}\n    kwargs = {}\n'
            '    kwargs["task"] = mapping[kind]\n    return PoolingParams(**kwargs)\n',
            line=4,
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._splats: list[cst.Name] = []  # ``PoolingParams(**name)``
        self._reported: set[int] = set()  # mappings already reported

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        if self.symbol(node.func) == POOLING_PARAMS:
            self._check(node, "task")
            self._splats.extend(a.value for a in node.args if a.star == "**" and isinstance(a.value, cst.Name))

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if use.method == "encode" and use.is_llm:
                self._check(use.call, "pooling_task")
        sources = EngineArgSources.of(self.context)
        scopes = self.context.wrapper.resolve(ScopeProvider)
        for name in self._splats:
            for stored, key, statement in sources.subscript_stores.values():
                if key == "task" and stored.value == name.value and scopes.get(stored) is scopes.get(name):
                    self._check_mapping(statement.value)

    def _check(self, call: cst.Call, keyword: str) -> None:
        index = keyword_index(call, keyword)
        if index is None:
            return
        value = call.args[index].value
        if string_value(value) == REMOVED:
            self.report(call, fix=PythonFix().on(call, ReplaceValue(index, quote_like(value, "classify"))))
        else:
            self._check_mapping(value)

    def _check_mapping(self, value: cst.BaseExpression) -> None:
        """``TASKS[key]`` with ``TASKS`` bound once to a dict literal whose values include ``"score"``."""
        if not isinstance(value, cst.Subscript) or not isinstance(value.value, cst.Name):
            return
        mapping = self._dict_literal(value.value)
        if mapping is None or id(mapping) in self._reported:
            return
        removed = [e for e in mapping.elements if isinstance(e, cst.DictElement) and string_value(e.value) == REMOVED]
        if not removed:
            return
        self._reported.add(id(mapping))
        keys = ", ".join(f"`{self.context.code(e.key)}`" for e in removed)
        self.report(removed[0].value, f'{self.MESSAGE} (this mapping sends {keys} to `task`)',
                    unfixable_reason="the mapping may feed other code: change its value by hand")

    def _dict_literal(self, name: cst.Name) -> cst.Dict | None:
        value = EngineArgSources.of(self.context).bound_value(name)
        return value if isinstance(value, cst.Dict) else None
