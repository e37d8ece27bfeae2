"""Every rule the tool has, Python and command-line alike, looked up by registry code."""

from __future__ import annotations

from dataclasses import dataclass

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.registry import DEPRECATIONS, Deprecation


@dataclass(frozen=True)
class RuleInfo:
    code: str
    message: str
    valid: tuple[Valid, ...]
    invalid: tuple[Invalid, ...]
    language: str  # the examples' language: "python" or "shell"
    module: str


def all_rules() -> dict[str, RuleInfo]:
    from vllm_pooling_migrate.codemod.argv.rules import RULES as ARGV_RULES
    from vllm_pooling_migrate.codemod.rules import ALL_RULES

    rules = {}
    for rule in ALL_RULES:
        rules[rule.CODE] = RuleInfo(rule.CODE, rule.MESSAGE, tuple(rule.VALID), tuple(rule.INVALID), "python", rule.__module__)
    for module in ARGV_RULES:
        rules[module.CODE] = RuleInfo(module.CODE, module.MESSAGE, tuple(module.VALID), tuple(module.INVALID), "shell", module.__name__)
    return rules


def entries_without_rule() -> list[Deprecation]:
    rules = all_rules()
    return [entry for entry in DEPRECATIONS if entry.code not in rules]
