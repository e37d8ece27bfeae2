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


#: ``--task`` values that only a pooling model takes: with one of them the flag is vLLM's.
POOLING_TASK_VALUES = frozenset({"embed", "embedding", "classify", "score", "reward"})
#: ``docker run`` options that take no value (the others take the next word, unless written ``--opt=value``).
_DOCKER_SWITCHES = frozenset(
    {"--rm", "-d", "--detach", "-i", "--interactive", "-t", "--tty", "-it", "-ti", "-itd", "-dit", "--init",
     "--privileged", "--read-only", "-P", "--publish-all", "--no-healthcheck", "--oom-kill-disable"}
)


#: Model classes only vLLM defines: ``--hf-overrides`` naming one of them is vLLM's flag.
VLLM_ARCHITECTURES = frozenset({"BgeM3EmbeddingModel"})


def has_vllm_only_flag(values: Sequence[str | None]) -> bool:
    """The arguments hold a flag only vLLM takes, with a pooling value: ``--task embed`` (or ``=``, or another
    pooling task), ``--override-pooler-config``, ``--pooler-config`` (dotted keys too), ``--convert reward``,
    ``--hf-overrides`` naming one of vLLM's own pooling architectures."""
    for i, value in enumerate(values):
        if not value or not value.startswith("--"):
            continue
        name, equals, inline = value[2:].partition("=")
        name = name.split(".", 1)[0].replace("_", "-")
        argument = inline if equals else (values[i + 1] if i + 1 < len(values) else None)
        if name in ("pooler-config", "override-pooler-config"):
            return True
        if name == "task" and argument in POOLING_TASK_VALUES:
            return True
        if name == "convert" and argument == "reward":
            return True
        if name == "hf-overrides" and argument and any(arch in argument for arch in VLLM_ARCHITECTURES):
            return True
    return False


def pooling_args_start(values: Sequence[str | None]) -> int | None:
    """Where vLLM's arguments begin in a command that does not name vLLM but holds a vLLM-only flag with a pooling
    value (``has_vllm_only_flag``); None when it holds none, or when its program is clearly something else.

    Conservative: the arguments alone (``["--task", "embed"]``, a test server's extra arguments), ``docker run
    [options] IMAGE ...`` whatever the image, and ``<program> serve MODEL ...`` where the program is not written
    literally (``[VLLM, "serve", model, ...]``). ``["grep", "--task", "embed"]`` is not vLLM's.
    """
    if not has_vllm_only_flag(values):
        return None
    first = values[0] if values else None
    if first is not None and first.startswith("-"):
        return 0
    for i, value in enumerate(values):
        if value == "run" and i > 0 and (values[i - 1] or "").rsplit("/", 1)[-1] in ("docker", "podman"):
            j = i + 1
            while j < len(values):
                option = values[j]
                if option is None or not option.startswith("-"):
                    return j + 1  # the image
                j += 1 if option in _DOCKER_SWITCHES or "=" in option else 2
            return None
    if first is None and len(values) > 1 and values[1] == "serve":
        return 2
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
