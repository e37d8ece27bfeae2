"""vLLM's argv rewriting before argparse sees it (spec §9.3; ``vllm/utils/argparse_utils.py``).

1. ``--pooler_config.task`` -> ``--pooler-config.task``: underscores become dashes before the first ``.`` only.
2. Dotted keys ``--pooler-config.<key> <value>`` (or ``=<value>``) are collected into one dict per flag; a value is
   JSON, else (0.21) a human-readable integer, else a plain string; ``a.b`` nests, a key ending in ``+`` splits a
   comma list; a repeated key overwrites and logs "Found duplicate keys %s".
3. Each dict is re-appended *at the end* as ``--<flag> '<json>'``, so argparse keeps it and a JSON form given
   earlier is dropped without a word, as vLLM drops it.
4. ``--model M`` moves to the positional slot, with vLLM's notice.
"""

from __future__ import annotations

import argparse
import json
import logging
import re

from vllm_pooling_migrate.shim.serve.messages import LOGGER_ARGPARSE, online_text

#: vLLM's `vllm serve` logger (the module of the `serve` subcommand); the spec gives the text, not the logger.
LOGGER_CLI_SERVE = "vllm.entrypoints.cli.serve"

_DECIMAL_SUFFIXES = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_BINARY_SUFFIXES = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def human_readable_int(value: str) -> int:
    """vLLM's ``human_readable_int``: ``25.6k`` = 25,600, ``1K`` = 1,024 (binary suffixes take whole numbers)."""
    text = value.strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgGtT])", text)
    if match:
        number, suffix = match.groups()
        if suffix in _DECIMAL_SUFFIXES:
            return int(float(number) * _DECIMAL_SUFFIXES[suffix])
        if "." in number:
            raise argparse.ArgumentTypeError(
                f"Decimals are not allowed with binary suffixes like {suffix}. "
                f"Did you mean to use {number}{suffix.lower()} instead?")
        return int(number) * _BINARY_SUFFIXES[suffix]
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer value: {value!r}") from None


def _dotted_value(raw: str, human_readable: bool) -> object:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        pass
    if human_readable:
        try:
            return human_readable_int(raw)
        except argparse.ArgumentTypeError:
            pass
    return raw


def _normalise_flag(arg: str) -> str:
    """Underscores to dashes in the flag name before the first ``.`` (and before any ``=value``)."""
    name, equals, value = arg.partition("=")
    head, dot, tail = name.partition(".")
    return head.replace("_", "-") + dot + tail + equals + value


def rewrite_argv(argv: list[str], *, human_readable_dotted_values: bool) -> list[str]:
    """Return argv as vLLM's parser hands it to argparse. A dotted key without a value raises
    :class:`DottedKeyError`, which the parser reports as a usage error (exit 2)."""
    out: list[str] = []
    dotted: dict[str, dict] = {}
    index = 0
    moved_model: str | None = None
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--":
            out.extend(argv[index - 1:])
            break
        if not arg.startswith("--"):
            out.append(arg)
            continue
        arg = _normalise_flag(arg)
        name, equals, value = arg.partition("=")
        if name == "--model":
            if not equals:
                if index >= len(argv):
                    out.append(arg)  # argparse reports the missing value
                    continue
                value, index = argv[index], index + 1
            moved_model = value
            continue
        if "." not in name:
            out.append(arg)
            continue
        flag, _, key_path = name.partition(".")
        if not equals:
            if index >= len(argv) or argv[index].startswith("--"):
                raise DottedKeyError(f"argument {name}: expected one argument")
            value, index = argv[index], index + 1
        _set_dotted(dotted.setdefault(flag, {}), key_path, value, human_readable_dotted_values)
    for flag, values in dotted.items():
        out += [flag, json.dumps(values)]
    if moved_model is not None:
        logging.getLogger(LOGGER_CLI_SERVE).warning(online_text("model-option"))
        out.insert(0, moved_model)
    return out


class DottedKeyError(ValueError):
    """A dotted ``--flag.key`` without a value; the parser turns it into its usage error (exit 2)."""


def _set_dotted(target: dict, key_path: str, raw: str, human_readable: bool) -> None:
    keys = key_path.split(".")
    for key in keys[:-1]:
        node = target.setdefault(key, {})
        if not isinstance(node, dict):
            node = target[key] = {}
        target = node
    last = keys[-1]
    if last.endswith("+"):
        last = last[:-1]
        value: object = [_dotted_value(part, human_readable) for part in raw.split(",")]
    else:
        value = _dotted_value(raw, human_readable)
    if last in target:
        logging.getLogger(LOGGER_ARGPARSE).warning(online_text("duplicate-keys"), last)
    target[last] = value
