"""POOL002: ``EngineArgs``/``AsyncEngineArgs``/``ModelConfig(task=...)``, and reads of ``model_config.task`` (also on a
name bound once to ``[await] engine.get_model_config()`` or to ``<x>.model_config``).

Also the argparse defaults and dicts that reach engine arguments (``EngineArgs.from_cli_args(args)`` after
``parser.set_defaults(task=...)``, which vLLM 0.13+ silently ignores; ``AsyncEngineArgs(**kwargs)``), and
``engine_args.task = ...`` on a name bound once, in the same function or module, to an ``EngineArgs(...)`` /
``AsyncEngineArgs(...)`` construction or ``.from_cli_args(...)``: the dataclass has no ``task`` field since 0.13, so
the assignment only adds an attribute nothing reads (report-only).
"""

import libcst as cst

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
    VALID += [
        Valid('import vllm\n\nasync def info(job):\n    config = await job.get_config()\n    return config.task\n'),  # not a model config
    ]
    INVALID = [
        Invalid(  # the engine's model config, fetched into a name first
            "from vllm import AsyncLLMEngine\n\nasync def info(engine: AsyncLLMEngine):\n"
            "    model_config = await engine.get_model_config()\n    return {\"task\": model_config.task}\n"
        ),
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
        #: ``name.task`` reads (and stores) on a plain name: a model config when the name is bound to one.
        self._task_reads: list[tuple[cst.Attribute, cst.Name]] = []

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
        if node.attr.value != "task":
            return
        if isinstance(value, cst.Attribute) and value.attr.value == "model_config":
            self._report_model_config_task(node)
        elif isinstance(value, cst.Name):
            self._task_reads.append((node, value))  # `model_config.task`, when the name holds a model config

    def _report_model_config_task(self, node: cst.Attribute) -> None:
        self.report(
            node,
            "`model_config.task` no longer exists (removed in vLLM 0.13); `pooler_config.task` is a different "
            "concept: read `model_config.runner_type` / `convert_type` instead",
            applicability=FixClass.REPORT,
        )

    def _holds_model_config(self, name: cst.Name) -> bool:
        """``name`` is bound once, to ``[await] <engine>.get_model_config()`` or ``<something>.model_config``."""
        value = EngineArgSources.of(self.context).bound_value(name)
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            return value.func.attr.value == "get_model_config" and not value.args
        return isinstance(value, cst.Attribute) and value.attr.value == "model_config"

    def _engine_args_symbol(self, name: cst.Name) -> str | None:
        """``EngineArgs``/``AsyncEngineArgs`` when ``name`` is bound exactly once, in its function or module, by
        ``name = EngineArgs(...)`` or ``name = AsyncEngineArgs.from_cli_args(...)``; None otherwise."""
        value = EngineArgSources.of(self.context).bound_value(name)
        if not isinstance(value, cst.Call):
            return None
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value == "from_cli_args":
            func = func.value
        symbol = self.symbol(func)
        return symbol if symbol in ENGINE_ARG_CLASSES else None

    def finish(self) -> None:
        stored = {id(attribute) for attribute, _, _ in self._task_stores}
        for attribute, name in self._task_reads:
            if id(attribute) not in stored and self._holds_model_config(name):
                self._report_model_config_task(attribute)
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
