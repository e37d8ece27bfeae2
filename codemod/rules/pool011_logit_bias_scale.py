"""POOL011: ``logit_bias``/``logit_scale`` became ``logit_mean``/``logit_sigma`` (deprecated 0.20, removed 0.23).

``logit_sigma`` is the reciprocal of ``logit_scale``: numeric literals are rewritten exactly; an expression becomes
``1 / (expr)``. Both are safe: vLLM itself refuses a zero scale (M54), so ``1 / (expr)`` fails only where the old
spelling failed too (spec §0.2)."""

import ast
from fractions import Fraction

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.symbols import POOLER_CONFIG
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import PythonFix, RenameKeyword, ReplaceValue, keyword_index
from vllm_pooling_migrate.codemod.python.rule import PythonRule


class LogitBiasScale(PythonRule):
    CODE = "POOL011"
    MESSAGE = "`logit_bias`/`logit_scale` are deprecated: use `logit_mean`/`logit_sigma` (= 1/logit_scale)"

    VALID = [
        Valid("from vllm.config import PoolerConfig\nPoolerConfig(logit_mean=0.5, logit_sigma=2.0)\n"),
        Valid("from vllm.config import PoolerConfig\nPoolerConfig(logit_bias=0.5)\n", target="0.19"),
    ]
    INVALID = [
        Invalid(
            "from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_bias=1.5, logit_scale=4)\n",
            "from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_mean=1.5, logit_sigma=0.25)\n",
        ),
        Invalid(
            "from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_scale=temperature)\n",
            "from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_sigma=1 / (temperature))\n",
        ),
        Invalid("from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_scale=0)\n"),  # refused by vLLM: report
        Invalid("from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_bias=1.0, logit_mean=2.0)\n"),
        Invalid("from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_bias=1.5)\n", target="0.20",
                expected="from vllm.config import PoolerConfig\ncfg = PoolerConfig(logit_mean=1.5)\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.symbol(node.func) != POOLER_CONFIG:
            return
        bias, scale = keyword_index(node, "logit_bias"), keyword_index(node, "logit_scale")
        if bias is None and scale is None:
            return
        keyword = node.args[min(i for i in (bias, scale) if i is not None)]  # the finding points at the keyword
        if (bias is not None and keyword_index(node, "logit_mean") is not None) or (
            scale is not None and keyword_index(node, "logit_sigma") is not None
        ):
            self.report(keyword, unfixable_reason="both the old and the new spelling are given (vLLM raises M52/M53)")
            return
        fix = PythonFix()
        if bias is not None:
            fix.on(node, RenameKeyword(bias, "logit_mean"))
        if scale is not None:
            sigma = _reciprocal(node.args[scale].value)
            if sigma is None:
                sigma = _one_over(node.args[scale].value)
            elif sigma == "zero":
                self.report(keyword, unfixable_reason="logit_scale=0 is rejected by vLLM (M54)")
                return
            fix.on(node, RenameKeyword(scale, "logit_sigma"), ReplaceValue(scale, sigma))
        self.report(keyword, fix=fix)


def _reciprocal(value: cst.BaseExpression):
    if not isinstance(value, (cst.Integer, cst.Float)):
        return None
    number = Fraction(ast.literal_eval(value.value))  # 0x10, 1_000, 1e-3 ... as Python reads them
    if number == 0:
        return "zero"
    try:
        inverse = float(1 / number)
    except OverflowError:
        return None  # not representable: written as 1 / (value)
    return cst.Float(repr(inverse))


def _one_over(value: cst.BaseExpression) -> cst.BaseExpression:
    return cst.BinaryOperation(
        left=cst.Integer("1"),
        operator=cst.Divide(),
        right=value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]),
    )
