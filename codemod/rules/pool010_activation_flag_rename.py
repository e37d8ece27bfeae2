"""POOL010: ``normalize``/``softmax``/``activation`` were replaced by ``use_activation`` (removed in 0.16)."""

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import POOLER_CONFIG, POOLING_PARAMS
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import PythonFix, RenameKeyword, keyword_index
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
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.symbol(node.func) not in (POOLER_CONFIG, POOLING_PARAMS):
            return
        present: list[tuple[str, int]] = []
        for flag in LEGACY_FLAGS:
            index = keyword_index(node, flag)
            if index is not None:
                present.append((flag, index))
        if not present:
            return
        flags = ", ".join(f"`{flag}`" for flag, _ in present)
        message = self.MESSAGE.format(flag="`, `".join(flag for flag, _ in present))
        if len(present) > 1 or keyword_index(node, "use_activation") is not None:
            self.report(node.args[present[0][1]], message, unfixable_reason=f"{flags} and use_activation would collide: keep one by hand")
            return
        flag, index = present[0]
        note = " (intent-preserving: on 0.11.2-0.13.0 `softmax=False` behaved as True)" if flag != "normalize" else ""
        self.report(node.args[index], message + note, fix=PythonFix().on(node, RenameKeyword(index, "use_activation")))
