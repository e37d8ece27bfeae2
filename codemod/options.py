"""What a run was asked to do. The CLI builds it from flags and config; every scanner reads it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vllm_pooling_migrate.registry import DEFAULT_CODEMOD_TARGET, BY_CODE, Version


def parse_rule_codes(values: Iterable[str]) -> tuple[str, ...]:
    """``["POOL001,POOL005", "pool01"]`` -> ``("POOL001", "POOL005", "POOL01")``: codes or prefixes, or ALL.

    The one check for ``--select``/``--ignore`` and the config's ``select``/``ignore``/``per-file-ignores``, so
    a typo is an error everywhere instead of a selection that matches nothing. Raises ValueError naming the code.
    """
    codes = tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())
    for code in codes:
        if code != "ALL" and not any(known.startswith(code) for known in BY_CODE):
            raise ValueError(f"{code!r} matches no rule code (see --list-rules)")
    return codes


@dataclass(frozen=True)
class Options:
    target_version: Version = DEFAULT_CODEMOD_TARGET
    fix: bool = False  # compute and apply fixes (fix mode / --diff)
    unsafe_fixes: bool = False
    select: tuple[str, ...] = ("POOL",)  # codes or prefixes
    ignore: tuple[str, ...] = ()
    ignore_noqa: bool = False

    def enabled(self, code: str) -> bool:
        """Selected and not ignored; an opt-in rule (``selected_by_default=False`` in the registry) also needs
        ``select`` to name its full code, or ``ALL``: the default ``POOL`` prefix reports only what breaks."""

        def matches(patterns: tuple[str, ...]) -> int:
            # The longest matching prefix wins, as in ruff: --select POOL --ignore POOL01 keeps POOL020.
            return max((len(p) for p in patterns if code.startswith(p) or p == "ALL"), default=-1)

        if matches(self.select) <= matches(self.ignore):
            return False
        entry = BY_CODE.get(code)
        return entry is None or entry.selected_by_default or code in self.select or "ALL" in self.select

    def enabled_codes(self) -> list[str]:
        return [code for code in BY_CODE if self.enabled(code)]
