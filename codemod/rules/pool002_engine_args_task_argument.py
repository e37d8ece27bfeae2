"""POOL002: ``EngineArgs``/``AsyncEngineArgs``/``ModelConfig(task=...)``, and reads of ``model_config.task``."""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.legacy_task import task_option_fix
from vllm_pooling_migrate.codemod.analysis.symbols import ASYNC_ENGINE_ARGS, ENGINE_ARGS, MODEL_CONFIG
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import keyword_arg
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.registry import FixClass

ENGINE_CONFIGS = {ENGINE_ARGS, ASYNC_ENGINE_ARGS, MODEL_CONFIG}


class EngineArgsTaskArgument(PythonRule):
    CODE = "POOL002"
    MESSAGE = "`task=` on engine arguments was removed in vLLM 0.13: use `runner=`/`convert=`"

    VALID = [
        Valid('from vllm import EngineArgs\nargs = EngineArgs(model="m", runner="pooling")\n'),
        Valid("import vllm\nconfig = load()\nprint(config.task)\n"),  # not a model_config
    ]
    INVALID = [
        Invalid(
            'from vllm.engine.arg_utils import AsyncEngineArgs\nargs = AsyncEngineArgs(model="m", task="embed")\n',
            'from vllm.engine.arg_utils import AsyncEngineArgs\nargs = AsyncEngineArgs(model="m", runner="pooling", convert="embed")\n',
            unsafe=True,
        ),
        Invalid("import vllm\nkind = llm.llm_engine.model_config.task\n"),  # report-only read
    ]

    def visit_Call(self, node: cst.Call) -> None:
        symbol = self.symbol(node.func)
        if symbol not in ENGINE_CONFIGS or keyword_arg(node, "task") is None:
            return
        value, fix, reason = task_option_fix(node)
        shown = f'task="{value}"' if value else "task=..."
        self.report(node, f"`{symbol}({shown})` was removed in vLLM 0.13: use `runner=`/`convert=`", fix=fix, unfixable_reason=reason)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        value = node.value
        if node.attr.value == "task" and isinstance(value, cst.Attribute) and value.attr.value == "model_config":
            self.report(
                node,
                "`model_config.task` no longer exists (removed in vLLM 0.13); `pooler_config.task` is a different "
                "concept: read `model_config.runner_type` / `convert_type` instead",
                applicability=FixClass.REPORT,
            )
