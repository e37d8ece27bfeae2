"""POOL012: ``PoolerConfig(pooling_task=...)`` was never a field; the field is ``task`` (vLLM 0.19+)."""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import LLM, POOLER_CONFIG
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import PythonFix, RenameDictKey, RenameKeyword, keyword_arg, keyword_index, quote_like, string_value
from vllm_pooling_migrate.codemod.python.rule import PythonRule


class PoolerConfigPoolingTask(PythonRule):
    CODE = "POOL012"
    MESSAGE = "`PoolerConfig` has no `pooling_task` field: it is `task`"

    VALID = [Valid('from vllm.config import PoolerConfig\nPoolerConfig(task="token_embed")\n')]
    INVALID = [
        Invalid(
            'from vllm.config import PoolerConfig\ncfg = PoolerConfig(pooling_task="token_embed")\n',
            'from vllm.config import PoolerConfig\ncfg = PoolerConfig(task="token_embed")\n',
        ),
        Invalid(
            'from vllm import LLM\nllm = LLM("m", pooler_config={"pooling_task": "token_embed"})\n',
            'from vllm import LLM\nllm = LLM("m", pooler_config={"task": "token_embed"})\n',
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        symbol = self.symbol(node.func)
        if symbol == POOLER_CONFIG:
            index = keyword_index(node, "pooling_task")
            if index is None:
                return
            if keyword_index(node, "task") is not None:
                self.report(node.args[index], unfixable_reason="both task= and pooling_task= are given")
                return
            self.report(node.args[index], fix=PythonFix().on(node, RenameKeyword(index, "task")))
        elif symbol == LLM:
            arg = keyword_arg(node, "pooler_config")
            if arg is not None and isinstance(arg.value, cst.Dict):
                self._check_dict(arg.value)

    def _check_dict(self, value: cst.Dict) -> None:
        for index, element in enumerate(value.elements):
            if isinstance(element, cst.DictElement) and string_value(element.key) == "pooling_task":
                new_key = quote_like(element.key, "task")
                fix = PythonFix().on(value, RenameDictKey(index, new_key))
                self.report(value, self.MESSAGE + ' (in the dict: `"task"`)', fix=fix)
