"""POOL010: ``normalize``/``softmax``/``activation`` were replaced by ``use_activation`` (removed in 0.16).

Each legacy keyword is reported where it is written. Several in one call that all say the same literal
(``normalize=False, softmax=False``) become one ``use_activation``; different values are left to the author.
"""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import POOLER_CONFIG, POOLING_PARAMS
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import PythonFix, RemoveArg, RenameKeyword, keyword_index
from vllm_pooling_migrate.codemod.python.rule import PythonRule

LEGACY_FLAGS = ("normalize", "softmax", "activation")


class ActivationFlagRename(PythonRule):
    CODE = "POOL010"
    MESSAGE = "`{flag}` was replaced by `use_activation` (removed in vLLM 0.16)"

    VALID = [Valid('from vllm import PoolingParams\nPoolingParams(use_activation=False)\n')]
    INVALID = [
        Invalid(
            'from vllm.config import PoolerConfig\ncfg = PoolerConfig(pooling_type="MEAN", normalize=False)\n',
            'from vllm.config import PoolerConfig\ncfg = PoolerConfig(pooling_type="MEAN", use_activation=False)\n',
        ),
        Invalid(
            "from vllm import PoolingParams\np = PoolingParams(softmax=False)\n",
            "from vllm import PoolingParams\np = PoolingParams(use_activation=False)\n",
        ),
        Invalid("from vllm import PoolingParams\np = PoolingParams(softmax=False, normalize=True)\n"),  # two flags: report
        Invalid(  # two flags saying the same: one use_activation
            "from vllm import PoolingParams\np = PoolingParams(normalize=False, softmax=False)\n",
            "from vllm import PoolingParams\np = PoolingParams(use_activation=False)\n",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.symbol(node.func) not in (POOLER_CONFIG, POOLING_PARAMS):
            return
        present = [(flag, index) for flag in LEGACY_FLAGS if (index := keyword_index(node, flag)) is not None]
        if not present:
            return
        if len(present) == 1 and keyword_index(node, "use_activation") is None:
            flag, index = present[0]
            note = " (intent-preserving: on 0.11.2-0.13.0 `softmax=False` behaved as True)" if flag != "normalize" else ""
            self.report(node.args[index], self.MESSAGE.format(flag=flag) + note,
                        fix=PythonFix().on(node, RenameKeyword(index, "use_activation")))
            return
        # One finding per legacy keyword, each where it is written. Flags that all say the same literal become one
        # `use_activation` (normalize applied to embeddings, softmax/activation to classifiers: one switch now).
        flags = "`, `".join(flag for flag, _ in present)
        values = {self.context.code(node.args[index].value) for _, index in present}
        same = (len(values) == 1 and values <= {"True", "False"} and keyword_index(node, "use_activation") is None)
        (first, first_index), rest = present[0], present[1:]
        for flag, index in present:
            message = self.MESSAGE.format(flag=flag) + f" (with `{flags}`)"
            if not same:
                self.report(node.args[index], message, unfixable_reason=f"`{flags}` and use_activation would "
                            "collide: keep one by hand")
            elif index == first_index:
                fix = PythonFix().on(node, RenameKeyword(first_index, "use_activation"),
                                     *(RemoveArg(other) for _, other in rest))
                self.report(node.args[index], message + f": they all say {values.pop()}, one `use_activation`",
                            fix=fix)
            else:
                self.report(node.args[index], message,
                            unfixable_reason=f"the fix on `{first}` replaces it too")
