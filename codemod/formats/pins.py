"""The vLLM release a file pins: a ``vllm==X`` install line, or a ``vllm/vllm-openai:vX`` image it builds from.

Commands of a pinned file run on that release, not on the target: their fixes go only as far as the release allows
(``argv.scan.ArgvScan.finding``). An image named in a command itself (``docker run vllm/vllm-openai:v0.9.2 ...``) or
in a Kubernetes container's ``image:`` pins that command alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from vllm_pooling_migrate.codemod.argv import Command
from vllm_pooling_migrate.codemod.argv.scan import Pin
from vllm_pooling_migrate.registry import format_version, parse_version

_INSTALL_LINE = re.compile(r"\b(?:pip3?|uv|pipx|poetry|conda|mamba|pdm)\b")
_VLLM_PIN = re.compile(r"""(?<![\w/.-])vllm(?:\[[^\]\s]*\])?\s*===?\s*["']?v?(\d+(?:\.\d+){1,3})(?![\w.])""")


def installed_pin(text: str) -> Pin | None:
    """``pip install vllm==0.9.2`` (also ``uv pip``, extras, quotes) anywhere in ``text``; the oldest if several."""
    versions = [
        parse_version(match.group(1))
        for line in text.splitlines()
        if _INSTALL_LINE.search(line)
        for match in _VLLM_PIN.finditer(line)
    ]
    if not versions:
        return None
    version = min(versions)
    return Pin(version, f"this file installs vLLM {format_version(version)}")


def pinned(commands: Iterable[Command], pin: Pin | None) -> list[Command]:
    """``commands`` pinned to ``pin`` (those that carry their own pin keep it)."""
    if pin is None:
        return list(commands)
    return [command if command.pin is not None else replace(command, pin=pin) for command in commands]
