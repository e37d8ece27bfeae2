"""``vllm-pooling-serve MODEL [flags]``: vLLM's pooling subset of ``vllm serve`` with vLLM's names, per release.

The emulated release is read first (``--target-version``, else ``POOLING_SHIM_TARGET_VERSION``, else 0.20)
because the parser itself depends on it: in warn mode (0.18-0.20) the legacy ``--task`` and
``--override-pooler-config`` are accepted (``cli/legacy.py`` translates and warns); in the 0.21 preview they are
not registered, so argparse rejects them with "unrecognized arguments", as vLLM does. ``--pooler-config`` is
validated by the shim's ``PoolerConfig`` of that release (0.18: no ``task`` field; 0.19+: the literal check),
and its error becomes an argparse error (exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vllm_pooling_migrate.registry import DEFAULT_SHIM_TARGET, Version
from vllm_pooling_migrate.shim import versions
from vllm_pooling_migrate.shim.config import PoolerConfig
from vllm_pooling_migrate.shim.serve.cli.argv import DottedKeyError, human_readable_int, rewrite_argv
from vllm_pooling_migrate.shim.serve.cli.legacy import (LEGACY_TASK_VALUES, LegacyFlags, legacy_flags_from,
                                                        record_rejected_legacy_flags)
from vllm_pooling_migrate.shim.serve.releases import OnlineRelease, online_release

PROG = "vllm-pooling-serve"
API_KEY_ENV = "VLLM_API_KEY"
TARGET_FLAG = "--target-version"
DTYPES = ("auto", "half", "float16", "bfloat16", "float", "float32")
#: vLLM's dtype spellings -> the engine's.
ENGINE_DTYPES = {"auto": "auto", "half": "float16", "float16": "float16", "bfloat16": "bfloat16",
                 "float": "float32", "float32": "float32"}


@dataclass(frozen=True)
class ServeSettings:
    """Everything the server needs, decided before any model is loaded."""

    model: str
    release: OnlineRelease
    served_model_names: tuple[str, ...]
    host: str
    port: int
    api_keys: tuple[str, ...]
    runner: str
    convert: str
    pooler_config: PoolerConfig
    engine_args: Mapping[str, Any]
    legacy: LegacyFlags
    max_concurrent_requests: int | None = None
    payload_limit: int | None = None
    enable_docs: bool = True
    uvicorn_log_level: str = "info"
    access_log: bool = True


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"Invalid JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def _pooler_config(text: str) -> PoolerConfig:
    """vLLM validates the JSON with ``TypeAdapter(PoolerConfig)``; a validation error becomes the type error."""
    try:
        return PoolerConfig(**_json_object(text))
    except ValueError as error:  # the shim's ValidationError has pydantic's layout (docs/shim.md)
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    value = human_readable_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def build_parser(release: OnlineRelease) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="vLLM's online pooling API (vllm serve) on this project's engine, as the chosen "
        "vLLM release behaves.")
    parser.add_argument("model", metavar="model_tag", nargs="?", help="model folder (or a repo id in the local HF cache)")
    frontend = parser.add_argument_group("vLLM frontend")
    frontend.add_argument("--host", default=None, help="bind address (default: all interfaces, as vLLM)")
    frontend.add_argument("--port", type=int, default=8000)
    frontend.add_argument("--api-key", nargs="+", default=None,
                          help=f"require 'Authorization: Bearer KEY' on /v1 paths (also ${API_KEY_ENV})")
    frontend.add_argument("--served-model-name", nargs="+", default=None)
    frontend.add_argument("--disable-fastapi-docs", action="store_true", help="no /docs, /redoc, /openapi.json")
    frontend.add_argument("--uvicorn-log-level", default="info",
                          choices=["critical", "error", "warning", "info", "debug", "trace"])
    frontend.add_argument("--disable-uvicorn-access-log", action="store_true")
    model = parser.add_argument_group("vLLM model and engine")
    model.add_argument("--runner", default="auto", choices=["auto", "generate", "pooling", "draft"])
    model.add_argument("--convert", default="auto", choices=["auto", "none", "embed", "classify"])
    model.add_argument("--pooler-config", type=_pooler_config, default=None,
                       help="JSON, or dotted keys: --pooler-config.task embed")
    model.add_argument("--hf-overrides", type=_json_object, default=None)
    model.add_argument("--max-model-len", type=_positive_int, default=None)
    model.add_argument("--dtype", default="auto", choices=DTYPES)
    model.add_argument("--max-num-batched-tokens", type=_positive_int, default=None)
    model.add_argument("--max-num-seqs", type=_positive_int, default=None)
    model.add_argument("--trust-remote-code", action="store_true")
    model.add_argument("--seed", type=int, default=0)
    ignored = parser.add_argument_group("accepted and ignored (GPU server tuning that means nothing here)")
    ignored.add_argument("--tensor-parallel-size", "-tp", type=int, default=None)
    ignored.add_argument("--gpu-memory-utilization", type=float, default=None)
    ignored.add_argument("--enforce-eager", action="store_true")
    ignored.add_argument("--disable-log-stats", action="store_true")
    ignored.add_argument("--enable-prefix-caching", action=argparse.BooleanOptionalAction, default=None)
    shim = parser.add_argument_group("beyond vLLM (off by default, so defaults stay vLLM-compatible)")
    shim.add_argument(TARGET_FLAG, default=None,
                      help="emulated vLLM release: 0.18, 0.19, 0.20 (default) or 0.21 (removal preview); "
                      f"else ${versions.TARGET_ENV}")
    shim.add_argument("--device", default=None, help="engine device (default: cuda when available, else cpu)")
    shim.add_argument("--max-concurrent-requests", type=_positive_int, default=None,
                      help="answer 429 to POST requests past this many in flight (vLLM has no limit)")
    shim.add_argument("--payload-limit", type=_positive_int, default=None,
                      help="answer 413 to request bodies larger than this many bytes (vLLM has no limit)")
    if release.warn_mode:  # vLLM removed both long ago; the preview rejects them as vLLM's argparse does
        legacy = parser.add_argument_group("legacy (warn mode only; 0.21 rejects them)")
        legacy.add_argument("--task", choices=LEGACY_TASK_VALUES, default=None,
                            help="removed in vLLM 0.13: translated to --convert, with POOL013")
        legacy.add_argument("--override-pooler-config", type=_json_object, default=None,
                            help="removed in vLLM 0.12: merged over --pooler-config, with POOL014")
    return parser


def _prescan_target(argv: Sequence[str]) -> str | None:
    value = None
    for index, arg in enumerate(argv):
        name, equals, inline = arg.partition("=")
        if name.replace("_", "-") == TARGET_FLAG:
            value = inline if equals else (argv[index + 1] if index + 1 < len(argv) else "")
    return value


def resolve_release(argv: Sequence[str], environ: Mapping[str, str]) -> Version:
    """``--target-version`` wins over ``POOLING_SHIM_TARGET_VERSION``, else the shim's default; both are validated
    by the shim's rules. (Not ``versions.get_target_version()``: an earlier parse in this process has set it.)"""
    flag = _prescan_target(argv)
    if flag is not None:
        return versions.parse_target(flag)
    value = environ.get(versions.TARGET_ENV, "").strip()
    if not value:
        return DEFAULT_SHIM_TARGET
    try:
        return versions.parse_target(value)
    except ValueError as error:
        raise ValueError(f"{versions.TARGET_ENV}={value!r}: {error}") from None


def parse_serve_args(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> ServeSettings:
    """Parse and validate. Usage errors exit 2 through argparse, as vLLM's do. Sets the process's shim target
    (the server process is one release; the shim's ``PoolerConfig`` validates against it)."""
    environ = os.environ if environ is None else environ
    try:
        version = resolve_release(argv, environ)
    except ValueError as error:
        argparse.ArgumentParser(prog=PROG).error(str(error))
    versions.set_target_version(version)
    release = online_release(version)
    parser = build_parser(release)
    if not release.warn_mode:
        record_rejected_legacy_flags(argv)
    try:
        rewritten = rewrite_argv(list(argv), human_readable_dotted_values=release.version >= (0, 21))
    except DottedKeyError as error:
        parser.error(str(error))
    args = parser.parse_args(rewritten)
    if args.model is None:
        parser.error("the following arguments are required: model_tag")
    legacy = legacy_flags_from(args, release)
    api_keys = tuple(args.api_key or ([environ[API_KEY_ENV]] if environ.get(API_KEY_ENV) else []))
    try:
        pooler_config = legacy.merged_pooler_config(args.pooler_config)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    engine_args = {
        "dtype": ENGINE_DTYPES[args.dtype], "max_model_len": args.max_model_len,
        "hf_overrides": args.hf_overrides, "trust_remote_code": args.trust_remote_code, "seed": args.seed,
        "device": args.device, "max_num_batched_tokens": args.max_num_batched_tokens,
        "max_num_seqs": args.max_num_seqs,
    }
    return ServeSettings(
        model=args.model, release=release,
        served_model_names=tuple(args.served_model_name or [args.model]),
        host=args.host if args.host is not None else "0.0.0.0", port=args.port, api_keys=api_keys,
        runner=args.runner, convert=legacy.convert_for(args.convert), pooler_config=pooler_config,
        engine_args=engine_args, legacy=legacy, max_concurrent_requests=args.max_concurrent_requests,
        payload_limit=args.payload_limit, enable_docs=not args.disable_fastapi_docs,
        uvicorn_log_level=args.uvicorn_log_level, access_log=not args.disable_uvicorn_access_log,
    )
