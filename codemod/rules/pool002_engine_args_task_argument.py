"""POOL002: ``EngineArgs``/``AsyncEngineArgs``/``ModelConfig(task=...)``, and reads of ``model_config.task``.

Also the argparse defaults and dicts that reach engine arguments (``EngineArgs.from_cli_args(args)`` after
``parser.set_defaults(task=...)``, which vLLM 0.13+ silently ignores; ``AsyncEngineArgs(**kwargs)``), and
``engine_args.task = ...`` on a name bound once, in the same function or module, to an ``EngineArgs(...)`` /
``AsyncEngineArgs(...)`` construction or ``.from_cli_args(...)``: the dataclass has no ``task`` field since 0.13, so
the assignment only adds an attribute nothing reads (report-only).
"""

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from vllm_pooling_migrate.codemod.analysis.symbols import ASYNC_ENGINE_ARGS, ENGINE_ARGS, LLM, MODEL_CONFIG
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import keyword_index, string_value
from vllm_pooling_migrate.codemod.python.rule import FileContext, PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import (EngineArgSources, EngineArgSourcesFeed,
                                                                          replacement_text, report_splatted_task,
                                                                          task_option_fix)
from vllm_pooling_migrate.registry import FixClass

ENGINE_CONFIGS = {ENGINE_ARGS, ASYNC_ENGINE_ARGS, MODEL_CONFIG}
ENGINE_ARG_CLASSES = (ENGINE_ARGS, ASYNC_ENGINE_ARGS)


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
        Valid(  # an argparse namespace, not engine arguments
            'from vllm import AsyncEngineArgs\nargs = parser.parse_args()\nargs.task = "embed"\n'
            "engine_args = AsyncEngineArgs.from_cli_args(args)\n"
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
        Invalid(  # report-only: the attribute is silently ignored since 0.13
            "from vllm.engine.arg_utils import AsyncEngineArgs\n\ndef build(args):\n"
            '    engine_args = AsyncEngineArgs.from_cli_args(args)\n    engine_args.task = "reward"\n'
            "    return engine_args\n"
        ),
    ]

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        #: ``name.task = value`` statements: (the target, the name, the value), settled in finish().
        self._task_stores: list[tuple[cst.Attribute, cst.Name, cst.BaseExpression]] = []

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        symbol = self.symbol(node.func)
        index = keyword_index(node, "task")
        if symbol not in ENGINE_CONFIGS or index is None:
            return
        value, fix, reason = task_option_fix(node)
        shown = f'task="{value}"' if value else "task=..."
        self.report(node.args[index], f"`{symbol}({shown})` was removed in vLLM 0.13: use {replacement_text(value)}", fix=fix,
                    unfixable_reason=reason)

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for target in node.targets:
            attribute = target.target
            if (isinstance(attribute, cst.Attribute) and attribute.attr.value == "task"
                    and isinstance(attribute.value, cst.Name)):
                self._task_stores.append((attribute, attribute.value, node.value))

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

    def _engine_args_symbol(self, name: cst.Name) -> str | None:
        """``EngineArgs``/``AsyncEngineArgs`` when ``name`` is bound exactly once, in its function or module, by
        ``name = EngineArgs(...)`` or ``name = AsyncEngineArgs.from_cli_args(...)``; None otherwise."""
        scope = self.context.wrapper.resolve(ScopeProvider).get(name)
        if scope is None or name.value not in scope:
            return None
        found = list(scope[name.value])
        if len(found) != 1 or not isinstance(found[0], Assignment) or not isinstance(found[0].node, cst.Name):
            return None
        value = EngineArgSources.of(self.context).dict_values.get(id(found[0].node))
        if not isinstance(value, cst.Call):
            return None
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value == "from_cli_args":
            func = func.value
        symbol = self.symbol(func)
        return symbol if symbol in ENGINE_ARG_CLASSES else None

    def finish(self) -> None:
        for attribute, name, assigned in self._task_stores:
            symbol = self._engine_args_symbol(name)
            if symbol is None:
                continue
            value = string_value(assigned)
            shown = f'"{value}"' if value else "..."
            self.report(
                attribute,
                f"`{name.value}.task = {shown}` on `{symbol}` is silently ignored since vLLM 0.13 (the `task` field "
                f"was removed): set {replacement_text(value, '=')} instead, as attributes or arguments",
                applicability=FixClass.REPORT,
            )
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
