"""POOL002: ``EngineArgs``/``AsyncEngineArgs``/``ModelConfig(task=...)``, and reads of ``model_config.task``.

Also the argparse defaults and dicts that reach engine arguments (``EngineArgs.from_cli_args(args)`` after
``parser.set_defaults(task=...)``, which vLLM 0.13+ silently ignores; ``AsyncEngineArgs(**kwargs)``).
"""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import ASYNC_ENGINE_ARGS, ENGINE_ARGS, LLM, MODEL_CONFIG
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import keyword_index
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import (EngineArgSources, EngineArgSourcesFeed,
                                                                          replacement_text, report_splatted_task,
                                                                          task_option_fix)
from vllm_pooling_migrate.registry import FixClass

ENGINE_CONFIGS = {ENGINE_ARGS, ASYNC_ENGINE_ARGS, MODEL_CONFIG}


class EngineArgsTaskArgument(EngineArgSourcesFeed, PythonRule):
    CODE = "POOL002"
    MESSAGE = "`task=` on engine arguments was removed in vLLM 0.13: use `runner=`/`convert=`"

    VALID = [
        Valid('from vllm import EngineArgs\nargs = EngineArgs(model="m", runner="pooling")\n'),
        Valid("import vllm\nconfig = load()\nprint(config.task)\n"),  # not a model_config
        Valid(  # a parser that feeds no engine arguments
            'import vllm\nparser.set_defaults(task="embed")\nargs = parser.parse_args()\nrun(args.task)\n'
        ),
        Valid(  # the script reads args.task itself: its own option (from_cli_args ignores it)
            'from vllm import EngineArgs\nparser.set_defaults(task="embed")\nargs = parser.parse_args()\n'
            "engine_args = EngineArgs.from_cli_args(args)\nrun(engine_args, args.task)\n"
        ),
    ]
    INVALID = [
        Invalid(
            'from vllm.engine.arg_utils import AsyncEngineArgs\nargs = AsyncEngineArgs(model="m", task="embed")\n',
            'from vllm.engine.arg_utils import AsyncEngineArgs\nargs = AsyncEngineArgs(model="m", runner="pooling", convert="embed")\n',
        ),
        Invalid(
            'from vllm import EngineArgs\nargs = EngineArgs(model="m", task="score")\n',
            'from vllm import EngineArgs\nargs = EngineArgs(model="m", runner="pooling")\n',
        ),
        Invalid("import vllm\nkind = llm.llm_engine.model_config.task\n"),  # report-only read
        Invalid(
            "from vllm import EngineArgs, LLMEngine\n\ndef main(parser):\n    EngineArgs.add_cli_args(parser)\n"
            '    parser.set_defaults(model="m", task="classify")\n    args = parser.parse_args()\n'
            "    engine = LLMEngine.from_engine_args(EngineArgs.from_cli_args(args))\n",
            "from vllm import EngineArgs, LLMEngine\n\ndef main(parser):\n    EngineArgs.add_cli_args(parser)\n"
            '    parser.set_defaults(model="m", runner="pooling", convert="classify")\n    args = parser.parse_args()\n'
            "    engine = LLMEngine.from_engine_args(EngineArgs.from_cli_args(args))\n",
        ),
        Invalid(
            'from vllm import AsyncEngineArgs\nengine_kwargs = {"model": "m", "task": "embed"}\nargs = AsyncEngineArgs(**engine_kwargs)\n',
            'from vllm import AsyncEngineArgs\nengine_kwargs = {"model": "m", "convert": "embed", "runner": "pooling"}\nargs = AsyncEngineArgs(**engine_kwargs)\n',
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        symbol = self.symbol(node.func)
        if symbol not in ENGINE_CONFIGS or keyword_index(node, "task") is None:
            return
        value, fix, reason = task_option_fix(node)
        shown = f'task="{value}"' if value else "task=..."
        self.report(node, f"`{symbol}({shown})` was removed in vLLM 0.13: use {replacement_text(value)}", fix=fix,
                    unfixable_reason=reason)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        super().visit_Attribute(node)
        value = node.value
        if node.attr.value == "task" and isinstance(value, cst.Attribute) and value.attr.value == "model_config":
            self.report(
                node,
                "`model_config.task` no longer exists (removed in vLLM 0.13); `pooler_config.task` is a different "
                "concept: read `model_config.runner_type` / `convert_type` instead",
                applicability=FixClass.REPORT,
            )

    def finish(self) -> None:
        sources = EngineArgSources.of(self.context)
        symbols = sources.namespace_symbols()
        if symbols and LLM not in symbols:  # LLM(**vars(args)) is POOL001's
            defaults, _ = sources.namespace_defaults("task")
            if defaults is not None:
                value, fix, reason = task_option_fix(defaults)
                shown = f'task="{value}"' if value else "task=..."
                taker = sorted(symbols)[0]
                self.report(defaults, f"`set_defaults({shown})` reaches `{taker}.from_cli_args(args)`, which has "
                            f"ignored it since vLLM 0.13: use {replacement_text(value)}", fix=fix,
                            unfixable_reason=reason)
        for consumer in sources.consumers.values():
            if consumer.symbol in (ENGINE_ARGS, ASYNC_ENGINE_ARGS) and not consumer.namespace:
                report_splatted_task(self, sources, consumer)
