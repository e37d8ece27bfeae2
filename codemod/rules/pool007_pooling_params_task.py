"""POOL007: ``PoolingParams(task=...)`` passed to an ``LLM`` method never chose the task: use ``pooling_task=``.

Engine-level code (``AsyncLLM.encode``, ``LLMEngine.add_request``) must keep ``PoolingParams(task=...)``:
only calls on a proven ``LLM`` are touched.
"""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.instances import Use
from vllm_pooling_migrate.codemod.analysis.tasks import current_task_value, params_task, pooling_params_arg
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import AddKeyword, PythonFix, RemoveArg, ReplaceValue, keyword_arg, keyword_index, quote_like, string_value
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.registry import FixClass


class PoolingParamsTask(PythonRule):
    CODE = "POOL007"
    MESSAGE = "`PoolingParams(task=...)` does not choose the task of an `LLM` call: use `pooling_task=`"

    VALID = [
        Valid('from vllm import LLM, PoolingParams\nllm = LLM("m")\nllm.encode(x, pooling_params=PoolingParams(dimensions=8), pooling_task="embed")\n'),
        Valid('from vllm import PoolingParams\nfrom vllm.v1.engine.async_llm import AsyncLLM\nengine = AsyncLLM.from_engine_args(a)\nengine.encode(p, PoolingParams(task="embed"), "req-1")\n'),
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nout = llm.encode(texts, pooling_params=PoolingParams(task="token_embed", dimensions=128))\n',
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nout = llm.encode(texts, pooling_params=PoolingParams(dimensions=128), pooling_task="token_embed")\n',
        ),
        Invalid(
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nout = llm.encode(texts, PoolingParams(task="embed"))\n',
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nout = llm.encode(texts, pooling_task="embed")\n',
        ),
        Invalid(
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nout = llm.embed(texts, pooling_params=PoolingParams(task="embed", dimensions=8))\n',
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nout = llm.embed(texts, pooling_params=PoolingParams(dimensions=8))\n',
        ),
        Invalid(  # conflicting task: raises M10 today; report only
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nllm.encode(x, pooling_params=PoolingParams(task="embed"), pooling_task="token_embed")\n'
        ),
    ]

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if not use.is_llm:
                continue
            found = pooling_params_arg(use)
            if found is None:
                continue
            params_index, params_arg = found
            params = params_arg.value
            task_arg = params_task(params, self.symbol)
            if task_arg is None or not isinstance(params, cst.Call):  # params_task finds task= only in a call
                continue
            self._check(use, params_index, params, task_arg[0], task_arg[1])

    def _check(self, use: Use, params_index: int, params: cst.Call, task_arg: cst.Arg, value: str | None) -> None:
        if value is None:
            self.report(use.call, unfixable_reason="the task is not a string literal")
            return
        if value == "encode":
            self.report(use.call, self.MESSAGE + '; `task="encode"` became `token_embed` or `token_classify`: choose one',
                        applicability=FixClass.REPORT)
            return
        task = current_task_value(value)
        # reward() is POOL009's: it becomes encode(..., pooling_task="token_classify") there.
        method_task = {"embed": "embed", "classify": "classify", "reward": "token_classify"}.get(use.method)
        explicit = keyword_arg(use.call, "pooling_task")
        requested = method_task or (string_value(explicit.value) if explicit else None)
        if requested is not None and requested != task:
            self.report(use.call, f"{self.MESSAGE}; it says `{value}` but the call requests `{requested}` "
                        f"(vLLM raises M10): decide which one you mean", applicability=FixClass.REPORT)
            return
        if use.method == "score":
            self.report(use.call, unfixable_reason="score() picks its own task", applicability=FixClass.REPORT)
            return
        fix = PythonFix()
        later_positional = any(a.keyword is None for a in use.call.args[params_index + 1 :])
        if len(params.args) == 1 and later_positional:
            fix.on(use.call, ReplaceValue(params_index, cst.Name("None")))  # keep the positions after it
        elif len(params.args) == 1:
            fix.on(use.call, RemoveArg(params_index))  # task was all it said: drop pooling_params
        else:
            task_index = keyword_index(params, "task")
            assert task_index is not None  # params_task found task_arg as this call's task= argument
            fix.on(params, RemoveArg(task_index))
        if requested is None:
            fix.on(use.call, AddKeyword("pooling_task", quote_like(task_arg.value, task)))
        self.report(use.call, fix=fix)
