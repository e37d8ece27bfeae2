"""POOL003: ``override_pooler_config=`` was renamed ``pooler_config=`` (removed in vLLM 0.12).

Also where it reaches engine arguments indirectly: ``parser.set_defaults(override_pooler_config=...)`` with
``LLM(**vars(args))``/``EngineArgs.from_cli_args(args)``, and dicts splatted into ``LLM``/``EngineArgs``.
"""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import ASYNC_ENGINE_ARGS, ENGINE_ARGS, LLM, MODEL_CONFIG, POOLER_CONFIG
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import (PythonFix, RenameDictKey, RenameKeyword, ReplaceValue,
                                                       keyword_index, quote_like, string_value)
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import (EngineArgSources, EngineArgSourcesFeed,
                                                                          dict_entry)

TAKES_POOLER_CONFIG = {LLM, ENGINE_ARGS, ASYNC_ENGINE_ARGS, MODEL_CONFIG}


class OverridePoolerConfig(EngineArgSourcesFeed, PythonRule):
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
        Invalid(
            "from vllm import LLM, EngineArgs\nfrom vllm.config import PoolerConfig\n\ndef main(args):\n    return LLM(**vars(args))\n\n"
            'parser = EngineArgs.add_cli_args(parser)\nparser.set_defaults(model="m", override_pooler_config=PoolerConfig(pooling_type="CLS"))\n'
            "main(parser.parse_args())\n",
            "from vllm import LLM, EngineArgs\nfrom vllm.config import PoolerConfig\n\ndef main(args):\n    return LLM(**vars(args))\n\n"
            'parser = EngineArgs.add_cli_args(parser)\nparser.set_defaults(model="m", pooler_config=PoolerConfig(pooling_type="CLS"))\n'
            "main(parser.parse_args())\n",
        ),
        Invalid(
            'from vllm import LLM\nkwargs = {"model": "m", "override_pooler_config": {"pooling_type": "MEAN"}}\nllm = LLM(**kwargs)\n',
            'from vllm import LLM\nkwargs = {"model": "m", "pooler_config": {"pooling_type": "MEAN"}}\nllm = LLM(**kwargs)\n',
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        symbol = self.symbol(node.func)
        index = keyword_index(node, "override_pooler_config")
        if symbol not in TAKES_POOLER_CONFIG or index is None:
            return
        self._check_call(node)

    def finish(self) -> None:
        sources = EngineArgSources.of(self.context)
        defaults, _ = sources.namespace_defaults("override_pooler_config")
        if defaults is not None:
            self._check_call(defaults, "`set_defaults(override_pooler_config=...)` reaches the engine arguments: ")
        for consumer in sources.consumers.values():
            value = sources.splatted_dict(consumer)
            index = dict_entry(value, "override_pooler_config") if isinstance(value, cst.Dict) else None
            if isinstance(value, cst.Dict) and index is not None:
                element = value.elements[index]
                assert isinstance(element, cst.DictElement)
                message = (f'`"override_pooler_config"` reaches `{consumer.symbol}(**{consumer.name.value})`; it was '
                           'renamed `"pooler_config"` (removed in vLLM 0.12)')
                if dict_entry(value, "pooler_config") is not None:
                    self.report(value, message, unfixable_reason="both keys are given: merge them by hand")
                else:
                    self.report(value, message, fix=PythonFix().on(value, RenameDictKey(index, quote_like(element.key, "pooler_config"))))
            elif isinstance(value, cst.Call) and keyword_index(value, "override_pooler_config") is not None:
                self._check_call(value, f"`dict(override_pooler_config=...)` reaches `{consumer.symbol}(**{consumer.name.value})`: ")
            for key, statement in sources.subscript_stores_of(consumer):
                if key == "override_pooler_config":
                    self.report(statement, f'`{consumer.name.value}["override_pooler_config"]` reaches '
                                f'`{consumer.symbol}(**{consumer.name.value})`; it was renamed `"pooler_config"` '
                                "(removed in vLLM 0.12)", unfixable_reason="a subscript assignment is rewritten by hand")

    def _check_call(self, node: cst.Call, where: str = "") -> None:
        index = keyword_index(node, "override_pooler_config")
        assert index is not None
        message = where + self.MESSAGE
        keyword = node.args[index]  # where the finding points: the keyword, not the start of a long call
        if keyword_index(node, "pooler_config") is not None:
            self.report(keyword, message + "; both are given: merge them by hand (0.11 let the override win)",
                        unfixable_reason="both pooler_config= and override_pooler_config= are given")
            return
        fix = PythonFix().on(node, RenameKeyword(index, "pooler_config"))
        value = node.args[index].value
        if isinstance(value, cst.Dict) and self.target < (0, 19) and "task" in _keys(value):
            self.report(keyword, message, unfixable_reason="PoolerConfig has no `task` field before vLLM 0.19")
            return
        if isinstance(value, cst.Dict):
            call = self._as_pooler_config(value, fix, self.root(node.func))
            if call is None:
                self.report(keyword, message, unfixable_reason="the dict has keys that are not plain names, or vLLM is imported conditionally")
                return
            fix.on(node, ReplaceValue(index, call))
        self.report(keyword, message, fix=fix)

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
