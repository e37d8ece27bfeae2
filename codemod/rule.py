"""What every rule is, whatever it reads: a registry code, a message and the examples that test and document it.

Python rules (``codemod.python.rule.PythonRule``) are libcst visitors; command-line rules
(``codemod.argv.rule.CommandLineRule``) read one vLLM invocation, wherever it is written. Both live one per file
in ``codemod/rules/`` and are found there by discovery (``codemod.rules.discover``). The version gate and the
fix safety are data in the registry entry, applied by the engines, never by a rule itself.
"""

from __future__ import annotations

from typing import ClassVar

from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.registry import Deprecation, get, is_deprecated_at


class Rule:
    CODE: ClassVar[str]
    MESSAGE: ClassVar[str]
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []
    #: The language of the examples: "python" or "shell" (the docs' code fences, the example tests' input).
    LANGUAGE: ClassVar[str]

    @classmethod
    def entry(cls) -> Deprecation:
        return get(cls.CODE)

    @classmethod
    def active(cls, options: Options) -> bool:
        """Selected, and the pattern warns or fails on the target version: the one version gate."""
        return options.enabled(cls.CODE) and is_deprecated_at(cls.entry(), options.target_version)
