"""POOL001: ``LLM(task=...)`` was removed in vLLM 0.13; it becomes ``runner=``/``convert=``."""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.legacy_task import task_option_fix
from vllm_pooling_migrate.codemod.analysis.symbols import LLM
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import keyword_arg
from vllm_pooling_migrate.codemod.python.rule import PythonRule


class LlmTaskArgument(PythonRule):
    CODE = "POOL001"
    MESSAGE = "`LLM(task=...)` was removed in vLLM 0.13: use `runner=`/`convert=`"

    VALID = [
        Valid('from vllm import LLM\nllm = LLM("intfloat/e5-small", runner="pooling")\n'),
        Valid('class LLM:\n    def __init__(self, task): ...\nLLM(task="embed")\n'),  # a user's own class
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM\nencoder = LLM(model="intfloat/e5-base-v2", task="embedding")\n',
            'from vllm import LLM\nencoder = LLM(model="intfloat/e5-base-v2", runner="pooling", convert="embed")\n',
            unsafe=True,
        ),
        Invalid(
            "import vllm as v\nclf = v.LLM('my/classifier', task='classify')\n",
            "import vllm as v\nclf = v.LLM('my/classifier', runner='pooling', convert='classify')\n",
            unsafe=True,
        ),
        Invalid('from vllm import LLM\nprm = LLM("Qwen/Qwen2.5-Math-PRM-7B", task="reward")\n'),  # model-dependent
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.symbol(node.func) != LLM or keyword_arg(node, "task") is None:
            return
        value, fix, reason = task_option_fix(node)
        shown = f'task="{value}"' if value else "task=..."
        self.report(node, f"`LLM({shown})` was removed in vLLM 0.13: use `runner=`/`convert=`", fix=fix, unfixable_reason=reason)
