"""Where vLLM's own arguments begin inside a command line or an argv list, and where a ``sh -c`` script is."""

from __future__ import annotations

import re
from collections.abc import Sequence

from vllm_pooling_migrate.codemod.argv.tokens import ArgToken

_API_SERVER_MODULES = frozenset({"vllm.entrypoints.openai.api_server", "vllm.entrypoints.api_server"})
SHELL_PROGRAMS = frozenset({"sh", "bash", "zsh", "dash", "ash", "ksh"})
_COMMAND_OPTION = re.compile(r"-[a-z]*c[a-z]*")  # -c, -lc, -ec, -exc ...
_VLLM_IMAGE = re.compile(r"^(?:[\w.:-]+/)*vllm/vllm-openai(?:[:@][\w.:-]+)?$")


def is_vllm_image(value: str | None) -> bool:
    """``vllm/vllm-openai``, with or without a registry prefix, tag or digest."""
    return value is not None and _VLLM_IMAGE.match(value) is not None


def vllm_args_start(values: Sequence[str | None]) -> int | None:
    """Index of the first argument vLLM parses, or None when ``values`` starts no vLLM server.

    Recognised: ``vllm serve ...`` (any path to the ``vllm`` executable), ``python -m
    vllm.entrypoints.openai.api_server ...`` and ``docker run [options] vllm/vllm-openai[:tag] ...``.
    Environment assignments, ``exec``, ``nohup`` and the like in front are skipped naturally, because
    the markers are searched for anywhere in the command.
    """
    for i, value in enumerate(values):
        if value is None:
            continue
        if value.rsplit("/", 1)[-1] == "vllm" and i + 1 < len(values) and values[i + 1] == "serve":
            return i + 2
        if value == "-m" and i + 1 < len(values) and values[i + 1] in _API_SERVER_MODULES:
            return i + 2
        if value == "run" and i > 0 and (values[i - 1] or "").rsplit("/", 1)[-1] in ("docker", "podman"):
            for j in range(i + 1, len(values)):
                if is_vllm_image(values[j]):
                    return j + 1
    return None


def script_argument(values: Sequence[str | None]) -> int | None:
    """Index of the script in ``sh -c SCRIPT ...`` (any shell, any path, options like ``-lc``), else None."""
    for i in range(len(values) - 2):
        program, option = values[i], values[i + 1]
        if program and program.rsplit("/", 1)[-1] in SHELL_PROGRAMS and option and _COMMAND_OPTION.fullmatch(option):
            return i + 2
    return None


def token_values(tokens: Sequence[ArgToken]) -> list[str | None]:
    return [t.value for t in tokens]
