"""Find a model offline and read what its folder says: the HF config, the tokenizer, the sentence-transformers
modules (Pooling, Normalize, Dense, max_seq_length) and the weights.

Nothing here downloads: a repo id is looked up in the local Hugging Face cache only.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

from vllm_pooling_migrate.runtime.model_info import SEQUENCE_POOLING_TYPES, TOKEN_POOLING_TYPES
from vllm_pooling_migrate.runtime.settings import StPoolingDefaults

if TYPE_CHECKING:
    from transformers import PretrainedConfig, PreTrainedModel

ST_POOLING = "sentence_transformers.models.Pooling"
ST_NORMALIZE = "sentence_transformers.models.Normalize"
ST_DENSE = "sentence_transformers.models.Dense"
ALLOWED_ACTIVATION_PREFIX = "torch.nn.modules."


@dataclass(frozen=True)
class StFolder:
    """The parts of a sentence-transformers folder the engine uses."""

    pooling: StPoolingDefaults | None  # None when modules.json has no Pooling module
    dense_dirs: tuple[Path, ...]
    max_seq_length: int | None


def resolve_model_dir(model: str | os.PathLike[str]) -> Path:
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(str(model), local_files_only=True))
    except (LocalEntryNotFoundError, ValueError) as exc:
        raise FileNotFoundError(
            f"Model {str(model)!r} is neither a local folder nor in the local Hugging Face cache "
            "(the engine never downloads)"
        ) from exc


def load_config(path: Path, hf_overrides: Mapping[str, Any] | None, trust_remote_code: bool) -> PretrainedConfig:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code, local_files_only=True)
    for key, value in (hf_overrides or {}).items():
        setattr(config, key, value)
    return config


def read_st_folder(path: Path) -> StFolder:
    modules = _read_json(path / "modules.json") or []
    pooling_module = next((m for m in modules if m.get("type") == ST_POOLING), None)
    pooling = None
    if pooling_module is not None:
        seq_type, tok_type = _st_pooling_types(_read_json(path / pooling_module.get("path", "") / "config.json") or {})
        # vLLM turns "has a Normalize module" into the request default for use_activation (spec §10.1).
        normalize = any(m.get("type") == ST_NORMALIZE for m in modules)
        pooling = StPoolingDefaults(seq_pooling_type=seq_type, tok_pooling_type=tok_type, use_activation=normalize)
    dense_dirs = tuple(path / m["path"] for m in modules if m.get("type") == ST_DENSE)
    st_config = _read_json(path / "sentence_bert_config.json") or {}
    return StFolder(pooling=pooling, dense_dirs=dense_dirs, max_seq_length=st_config.get("max_seq_length"))


def _st_pooling_types(pooling_config: dict[str, Any]) -> tuple[str | None, str | None]:
    """vLLM's rule: every ``pooling_mode_*`` key set to exactly ``true`` names a type by its first word."""
    names = [key for key, value in pooling_config.items() if value is True and key.startswith("pooling_mode_")]
    if isinstance(pooling_config.get("pooling_mode"), str):  # newer sentence-transformers spelling
        names.append("pooling_mode_" + pooling_config["pooling_mode"])
    seq_type = tok_type = None
    for key in names:
        word = key.removeprefix("pooling_mode_").split("_")[0]
        pooling_type = "LAST" if "lasttoken" in word else word.upper()
        if pooling_type in SEQUENCE_POOLING_TYPES:
            seq_type = seq_type or pooling_type
        elif pooling_type in TOKEN_POOLING_TYPES:
            tok_type = tok_type or pooling_type
        else:
            raise ValueError(f"sentence-transformers pooling mode {key!r} has no vLLM pooling type")
    return seq_type, tok_type


def load_dense_projector(dense_dirs: tuple[Path, ...]) -> nn.Sequential | None:
    """ST Dense modules as one fp32 projector (spec §10.2: pooling heads run in fp32)."""
    layers: list[nn.Module] = []
    for folder in dense_dirs:
        config = _read_json(folder / "config.json")
        if config is None:
            raise FileNotFoundError(f"sentence-transformers Dense module without config.json: {folder}")
        linear = nn.Linear(config["in_features"], config["out_features"], bias=config.get("bias", True))
        state = _load_state_dict(folder)
        linear.load_state_dict({key.removeprefix("linear."): value for key, value in state.items()})
        layers += [linear, activation_module(config.get("activation_function", "torch.nn.modules.linear.Identity"))]
    return nn.Sequential(*layers).float().eval() if layers else None


def load_bge_m3_linears(path: Path) -> tuple[nn.Linear, nn.Linear]:
    """bge-m3 ships its ColBERT and sparse heads as ``colbert_linear.pt`` and ``sparse_linear.pt`` state dicts."""
    linears = []
    for name in ("colbert_linear.pt", "sparse_linear.pt"):
        file = path / name
        if not file.is_file():
            raise FileNotFoundError(f"BgeM3EmbeddingModel needs {name} in {path}")
        state = torch.load(file, map_location="cpu", weights_only=True)
        out_features, in_features = state["weight"].shape
        linear = nn.Linear(in_features, out_features, bias="bias" in state)
        linear.load_state_dict(state)
        linears.append(linear.eval())
    return linears[0], linears[1]


def activation_module(qualified_name: str) -> nn.Module:
    """Instantiate an activation by its dotted name, restricted to torch.nn.modules as vLLM does.

    The name comes from the model folder's config: without the restriction a downloaded model could make the
    engine import and call anything. vLLM checks it with ``assert``; a raise survives ``python -O``.
    """
    if not qualified_name.startswith(ALLOWED_ACTIVATION_PREFIX):
        raise ValueError(
            "Loading of activation functions is restricted to torch.nn.modules for security reasons; "
            f"refusing {qualified_name!r}"
        )
    module_name, _, class_name = qualified_name.rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)()


def st_activation_name(config: PretrainedConfig) -> str | None:
    """The sentence-transformers cross-encoder activation recorded in the HF config, if any."""
    st_section = getattr(config, "sentence_transformers", None)
    if isinstance(st_section, dict) and st_section.get("activation_fn"):
        return st_section["activation_fn"]
    return getattr(config, "sbert_ce_default_activation_function", None)


def load_tokenizer(path: Path, trust_remote_code: bool):
    """The fast tokenizer. With a tokenizer.json we load it directly: AutoTokenizer picks a model-specific class
    for some model types (Qwen2 in transformers 5) that ignores tokenizer.json."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    if (path / "tokenizer.json").is_file():
        return PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
    return AutoTokenizer.from_pretrained(
        path, trust_remote_code=trust_remote_code, local_files_only=True, use_fast=True
    )


def load_model(
    path: Path, config: PretrainedConfig, convert: str, dtype: torch.dtype, trust_remote_code: bool
) -> PreTrainedModel:
    """The transformers module for the architecture: its base model for embedding, the full *For*Classification
    model (backbone + head) for classification. Weights come from safetensors when present, otherwise from
    .bin files read with ``weights_only=True`` (transformers' default)."""
    import transformers

    model_class = _model_class(config, convert)
    kwargs: dict[str, Any] = dict(
        config=config,
        dtype=dtype,
        attn_implementation="sdpa",
        local_files_only=True,
        trust_remote_code=trust_remote_code,
    )
    if any(path.glob("*.safetensors")):
        kwargs["use_safetensors"] = True
    if convert == "embed" and "add_pooling_layer" in _init_parameters(model_class):
        kwargs["add_pooling_layer"] = False  # BERT's pooler (dense + tanh on [CLS]) is unused by embeddings
    with _quiet(transformers):
        model = model_class.from_pretrained(path, **kwargs)
    return model.eval()


def _model_class(config: PretrainedConfig, convert: str) -> type[PreTrainedModel]:
    """The class the architecture names when it fits the conversion, else the Auto class's choice."""
    import transformers
    from transformers import (
        MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING,
        MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING,
        MODEL_MAPPING,
    )

    architectures = tuple(getattr(config, "architectures", None) or ())
    arch = architectures[0] if architectures else ""
    # The mappings AutoModel, AutoModelForTokenClassification and AutoModelForSequenceClassification read.
    if convert == "embed":
        auto_mapping, fits = MODEL_MAPPING, arch.endswith("Model")
    elif any("ForTokenClassification" in name for name in architectures):
        auto_mapping, fits = MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING, "ForTokenClassification" in arch
    else:
        auto_mapping, fits = MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING, arch.endswith("ForSequenceClassification")
    named = getattr(transformers, arch, None) if fits else None
    if named is not None:
        return named
    # transformers annotates every auto mapping's values as (class, class) pairs, the shape of its tokenizer
    # mapping; a model mapping's value is one model class.
    return cast("type[PreTrainedModel]", auto_mapping[type(config)])


def _init_parameters(model_class) -> set[str]:
    import inspect

    return set(inspect.signature(model_class.__init__).parameters)


class _quiet:
    """Silence transformers' load report (e.g. the unused BERT pooler weights) and its progress bar during a load."""

    def __init__(self, transformers_module):
        self._logging = transformers_module.logging

    def __enter__(self):
        self._level = self._logging.get_verbosity()
        self._bar_was_on = self._logging.is_progress_bar_enabled()
        self._logging.set_verbosity_error()
        self._logging.disable_progress_bar()

    def __exit__(self, *exc):
        self._logging.set_verbosity(self._level)
        if self._bar_was_on:
            self._logging.enable_progress_bar()


def _load_state_dict(folder: Path) -> dict[str, torch.Tensor]:
    safetensors_file = folder / "model.safetensors"
    if safetensors_file.is_file():
        from safetensors.torch import load_file

        return load_file(str(safetensors_file))
    bin_file = folder / "pytorch_model.bin"
    if bin_file.is_file():
        return torch.load(bin_file, map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"No weights (model.safetensors or pytorch_model.bin) in {folder}")


def _read_json(path: Path) -> Any:
    # A module listed in modules.json may have no folder (MiniLM's 2_Normalize): absent means "no settings".
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
