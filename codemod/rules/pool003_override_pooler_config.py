"""POOL003: ``override_pooler_config=`` was renamed ``pooler_config=`` (removed in vLLM 0.12)."""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import ASYNC_ENGINE_ARGS, ENGINE_ARGS, LLM, MODEL_CONFIG, POOLER_CONFIG
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import PythonFix, RenameKeyword, ReplaceValue, keyword_index, string_value
from vllm_pooling_migrate.codemod.python.rule import PythonRule

TAKES_POOLER_CONFIG = {LLM, ENGINE_ARGS, ASYNC_ENGINE_ARGS, MODEL_CONFIG}


class OverridePoolerConfig(PythonRule):
    CODE = "POOL003"
    MESSAGE = "`override_pooler_config=` was renamed `pooler_config=` (removed in vLLM 0.12)"

    VALID = [Valid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nLLM("m", pooler_config=PoolerConfig(pooling_type="MEAN"))\n')]
    INVALID = [
        Invalid(
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM(model="BAAI/bge-small-en-v1.5",\n          override_pooler_config=PoolerConfig(pooling_type="MEAN"))\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM(model="BAAI/bge-small-en-v1.5",\n          pooler_config=PoolerConfig(pooling_type="MEAN"))\n',
        ),
        Invalid(
            'from vllm import LLM\nllm = LLM("m", override_pooler_config={"pooling_type": "MEAN", "normalize": False})\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(pooling_type="MEAN", normalize=False))\n',
        ),
        Invalid('from vllm import LLM\nllm = LLM("m", pooler_config=a, override_pooler_config=b)\n'),  # conflict: report
    ]

    def visit_Call(self, node: cst.Call) -> None:
        symbol = self.symbol(node.func)
        index = keyword_index(node, "override_pooler_config")
        if symbol not in TAKES_POOLER_CONFIG or index is None:
            return
        if keyword_index(node, "pooler_config") is not None:
            self.report(node, self.MESSAGE + "; both are given: merge them by hand (0.11 let the override win)",
                        unfixable_reason="both pooler_config= and override_pooler_config= are given")
            return
        fix = PythonFix().on(node, RenameKeyword(index, "pooler_config"))
        value = node.args[index].value
        if isinstance(value, cst.Dict) and self.target < (0, 19) and "task" in _keys(value):
            self.report(node, unfixable_reason="PoolerConfig has no `task` field before vLLM 0.19")
            return
        if isinstance(value, cst.Dict):
            call = self._as_pooler_config(value, fix, self.root(node.func))
            if call is None:
                self.report(node, unfixable_reason="the dict has keys that are not plain names, or vLLM is imported conditionally")
                return
            fix.on(node, ReplaceValue(index, call))
        self.report(node, fix=fix)

    def _as_pooler_config(self, value: cst.Dict, fix: PythonFix, root: str) -> cst.Call | None:
        args = []
        for element in value.elements:
            key = string_value(element.key) if isinstance(element, cst.DictElement) else None
            if key is None or not key.isidentifier():
                return None
            args.append(cst.Arg(keyword=cst.Name(key), value=element.value,
                                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))))
        need = self.context.import_for(root, "vllm.config", POOLER_CONFIG)
        if need is None:
            return None  # vLLM is imported conditionally: no new top-level import
        fix.imports.append(need)
        return cst.Call(func=cst.Name(need.local), args=_with_commas(args))


def _keys(value: cst.Dict) -> set:
    return {string_value(e.key) for e in value.elements if isinstance(e, cst.DictElement)}


def _with_commas(args: list[cst.Arg]) -> list[cst.Arg]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [a.with_changes(comma=comma) for a in args[:-1]] + args[-1:]
