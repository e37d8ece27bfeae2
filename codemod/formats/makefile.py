"""Makefiles: recipe lines through the argv scanner, report-only.

A recipe line starts with a tab after a rule line; ``\\`` continues it onto the next line. Everything
else (rules, variable assignments, directives, comments) is blanked, as are the tab and any ``@``/``-``/``+``
prefix, so offsets stay the file's. ``$(VAR)``/``${VAR}`` are make's, not the shell's: they stay opaque
words, and ``$$`` is left as written. Fixes are not offered: a make expansion can change what a rewritten
line means, so no edit is provably exact.
"""

from __future__ import annotations

import re
from dataclasses import replace

from vllm_pooling_migrate.codemod.argv import scan_commands, shell_commands
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.formats.masking import keep_only
from vllm_pooling_migrate.codemod.options import Options

_PREFIX = re.compile(r"\t[@+\- \t]*")
_RULE = re.compile(r"^[^\t#=:][^=]*?::?(?!=)")
_REPORT_ONLY = "a Makefile recipe: make expands it before the shell runs it; fix it by hand"


def recipe_regions(text: str) -> list[tuple[int, int]]:
    """The shell text of every recipe line (without its tab and prefixes)."""
    regions: list[tuple[int, int]] = []
    offset = 0
    in_rule = continuing = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if continuing and in_rule:
            regions.append((offset, offset + len(body)))
        elif line.startswith("\t") and in_rule:
            prefix = _PREFIX.match(line)
            start = prefix.end() if prefix else 1
            regions.append((offset + start, offset + len(body)))
        else:
            if body.strip() and not body.lstrip().startswith("#"):
                in_rule = bool(_RULE.match(body))
            continuing = False
        continuing = bool(regions) and regions[-1][1] == offset + len(body) and body.endswith("\\")
        offset += len(line)
    return regions


def find_in_makefile(text: str, path: str, options: Options) -> list[Finding]:
    regions = recipe_regions(text)
    if not regions:
        return []
    found = scan_commands(shell_commands(keep_only(text, regions)), path=path, options=options)
    return [replace(f, fix=None, unfixable_reason=_REPORT_ONLY) if f.fix else f for f in found]
