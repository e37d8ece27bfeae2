"""POOL007: ``PoolingParams(task=...)`` passed to an ``LLM`` method never chose the task: use ``pooling_task=``.

Engine-level code (``AsyncLLM.encode``, ``LLMEngine.add_request``) must keep ``PoolingParams(task=...)``:
only calls on a proven ``LLM`` are touched. The params are read written in the call or from the one binding of a
variable that reaches it (``params = PoolingParams(task="embed"); llm.encode(x, pooling_params=params)``); the
variable form is fixed only when this call is its only reader, so no other call loses the task.

``task="encode"`` is no task since 0.11.2 and is reported: the old meaning was per-token output
(``token_embed``/``token_classify``), and an IO-processor prompt (``{"data": ...}``) needs ``pooling_task="plugin"``
(required from 0.20).
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment

from vllm_pooling_migrate.codemod.analysis.instances import Use
from vllm_pooling_migrate.codemod.analysis.tasks import current_task_value, params_task, pooling_params_arg
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import AddKeyword, PythonFix, RemoveArg, ReplaceValue, keyword_arg, keyword_index, quote_like, string_value
from vllm_pooling_migrate.codemod.python.reaching import ReachingBindings
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
        Invalid(  # params in a variable read by this call only
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nparams = PoolingParams(task="token_embed", dimensions=64)\n'
            'out = llm.encode(texts, pooling_params=params)\n',
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nparams = PoolingParams(dimensions=64)\n'
            'out = llm.encode(texts, pooling_params=params, pooling_task="token_embed")\n',
        ),
        Invalid(  # an annotated variable
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nparams: PoolingParams = PoolingParams(task="token_classify")\n'
            'out = llm.encode(texts, pooling_params=params)\n',
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nparams: PoolingParams = PoolingParams()\n'
            'out = llm.encode(texts, pooling_params=params, pooling_task="token_classify")\n',
        ),
        Invalid(  # the same params read by two calls: report only, the task is the author's to move
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nparams = PoolingParams(task="token_embed")\n'
            'a = llm.encode(texts, pooling_params=params)\nb = llm.encode(more, pooling_params=params)\n'
        ),
        Invalid(  # "encode" on an IO-processor prompt: the target needs pooling_task="plugin"
            'from vllm import LLM, PoolingParams\nllm = LLM("m", io_processor_plugin="p")\nprompt = dict(data=url, data_format="url")\n'
            'params = PoolingParams(task="encode")\nout = llm.encode(prompt, pooling_params=params)\n'
        ),
        Invalid(  # conflicting task: raises M10 today; report only
            'from vllm import LLM, PoolingParams\nllm = LLM("m")\nllm.encode(x, pooling_params=PoolingParams(task="embed"), pooling_task="token_embed")\n'
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._values: dict[int, cst.BaseExpression] = {}  # id(Name target) -> the value assigned to it

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self._values[id(node.targets[0].target)] = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._values[id(node.target)] = node.value

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if not use.is_llm:
                continue
            found = pooling_params_arg(use)
            if found is None:
                continue
            params_index, params_arg = found
            params, only_reader = self._params_call(params_arg.value)
            task_arg = params_task(params, self.symbol)
            if task_arg is None or not isinstance(params, cst.Call):  # params_task finds task= only in a call
                continue
            self._check(use, params_index, params, task_arg[0], task_arg[1], only_reader)

    def _params_call(self, value: cst.BaseExpression) -> tuple[cst.BaseExpression | None, bool]:
        """The ``PoolingParams(...)`` call of the argument (itself, or the one binding of a name that reaches it), and
        whether the argument is its only reader (a fix may then edit the call)."""
        if not isinstance(value, cst.Name):
            return value, True
        reaching = self._reaching().of(value)
        if reaching is None or len(reaching) != 1 or id(reaching[0].node) not in self._values:
            return None, False
        binding: Assignment = reaching[0]
        only = len(binding.references) == 1 and len(self._reaching().assignments(value) or ()) == 1
        return self._values[id(binding.node)], only

    def _reaching(self) -> ReachingBindings:
        found = self.context.__dict__.get("_reaching_bindings")
        if found is None:
            found = self.context.__dict__["_reaching_bindings"] = ReachingBindings(self.context.wrapper)
        return found

    def _is_data_prompt(self, use: Use) -> bool:
        """The prompt is an IO-processor one: a dict with a ``data`` key, written in the call or in a variable."""
        prompt = use.call.args[0].value if use.call.args and use.call.args[0].keyword is None else None
        if isinstance(prompt, cst.Name):
            reaching = self._reaching().of(prompt)
            prompt = self._values.get(id(reaching[0].node)) if reaching and len(reaching) == 1 else None
        if isinstance(prompt, cst.Dict):
            return any(isinstance(e, cst.DictElement) and string_value(e.key) == "data" for e in prompt.elements)
        return (isinstance(prompt, cst.Call) and isinstance(prompt.func, cst.Name) and prompt.func.value == "dict"
                and keyword_arg(prompt, "data") is not None)

    def _check(self, use: Use, params_index: int, params: cst.Call, task_arg: cst.Arg, value: str | None,
               only_reader: bool) -> None:
        if value is None:
            self.report(use.call, unfixable_reason="the task is not a string literal")
            return
        if value == "encode":
            if self._is_data_prompt(use):
                hint = ('; `task="encode"` is no task since vLLM 0.11.2, and this IO-processor prompt (`"data"`) needs '
                        '`pooling_task="plugin"` (required from 0.20)')
            else:
                hint = '; `task="encode"` became `token_embed` or `token_classify`: choose one'
            self.report(use.call, self.MESSAGE + hint, applicability=FixClass.REPORT)
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
        if params is not use.call.args[params_index].value:  # the params come from a variable
            if not only_reader:
                self.report(use.call, unfixable_reason="other code reads the same `PoolingParams`: move the task by hand")
                return
            task_index = keyword_index(params, "task")
            assert task_index is not None
            fix = PythonFix().on(params, RemoveArg(task_index))
            if requested is None:
                fix.on(use.call, AddKeyword("pooling_task", quote_like(task_arg.value, task)))
            self.report(use.call, fix=fix)
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
