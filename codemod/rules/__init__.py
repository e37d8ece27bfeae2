"""Every rule, one per module (``poolNNN_<name>.py``), found by walking this package: nothing lists them by hand.

A module here must define exactly one concrete rule class; :func:`discover` fails loudly otherwise, so a rule
file that is never registered cannot exist.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from typing import TypeVar

from vllm_pooling_migrate.codemod.rule import Rule
from vllm_pooling_migrate.registry import DEPRECATIONS, Deprecation

R = TypeVar("R", bound=Rule)


@cache
def discover() -> tuple[type[Rule], ...]:
    """Every rule class of this package, in code order. Imports the rule modules on first call, not at import."""
    found: list[type[Rule]] = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        rules = [
            member for member in vars(module).values()
            if inspect.isclass(member) and issubclass(member, Rule) and member.__module__ == module.__name__
            and "CODE" in vars(member)
        ]
        if len(rules) != 1:
            raise RuntimeError(f"{module.__name__} must define exactly one rule class, found {len(rules)}")
        found.extend(rules)
    codes = [rule.CODE for rule in found]
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    if duplicated:
        raise RuntimeError(f"rule codes defined twice: {', '.join(duplicated)}")
    return tuple(sorted(found, key=lambda rule: rule.CODE))


def rules_of_kind(kind: type[R]) -> tuple[type[R], ...]:
    return tuple(rule for rule in discover() if issubclass(rule, kind))


def by_code() -> dict[str, type[Rule]]:
    return {rule.CODE: rule for rule in discover()}


def entries_without_rule() -> list[Deprecation]:
    codes = by_code()
    return [entry for entry in DEPRECATIONS if entry.code not in codes]
