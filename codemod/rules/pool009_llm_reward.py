"""POOL009: ``LLM.reward(...)`` is deprecated (vLLM 0.20): it is exactly
``encode(..., pooling_task="token_classify")``, which it has forwarded to since 0.11.2."""

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import AddKeyword, PythonFix, RenameMethod, keyword_index, quote_like
from vllm_pooling_migrate.codemod.python.rule import PythonRule


class LlmReward(PythonRule):
    CODE = "POOL009"
    MESSAGE = '`LLM.reward` is deprecated: use `LLM.encode(..., pooling_task="token_classify")`'

    VALID = [
        Valid('import vllm\nenv = make_env()\nenv.reward(state)\n'),  # not an LLM
        Valid('from vllm import LLM\nprm = LLM("m")\nprm.reward(x)\n', target="0.19"),  # not deprecated yet
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM\nprm = LLM("Qwen/Qwen2.5-Math-PRM-7B")\nscores = prm.reward(solutions, use_tqdm=False)\n',
            'from vllm import LLM\nprm = LLM("Qwen/Qwen2.5-Math-PRM-7B")\nscores = prm.encode(solutions, use_tqdm=False, pooling_task="token_classify")\n',
        ),
        Invalid(
            "from vllm import LLM\n\ndef rank(prm: LLM, xs):\n    return prm.reward(xs)\n",
            'from vllm import LLM\n\ndef rank(prm: LLM, xs):\n    return prm.encode(xs, pooling_task="token_classify")\n',
        ),
    ]

    def finish(self) -> None:
        for use in self.context.tracker.uses:
            if use.method != "reward" or not use.is_llm or keyword_index(use.call, "pooling_task") is not None:
                continue
            fix = PythonFix().on(use.call, RenameMethod("encode"), AddKeyword("pooling_task", quote_like(None, "token_classify")))
            self.report(use.call, self.MESSAGE + " (sequence reward models probably want `classify`)", fix=fix)
