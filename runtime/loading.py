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

#: Files from which transformers can build a real tokenizer (a folder with none of them silently gets a
#: 5-token placeholder in transformers 5, which reads every word as ``[UNK]``).
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "sentencepiece.bpe.model",
    "sentencepiece.model",
    "tokenizer.model",
)

#: vLLM's text when a config needs its repository's own code and ``trust_remote_code`` is off
#: (``vllm/transformers_utils/config.py``, a ``RuntimeError``).
VLLM_REMOTE_CODE_TEXT = (
    "Failed to load the model config. If the model is a custom model not yet available in the HuggingFace "
    "transformers library, consider setting `trust_remote_code=True` in LLM or using the `--trust-remote-code` "
    "flag in the CLI."
)


def not_initialized_message(names: set[str] | frozenset[str]) -> str:
    """vLLM's error for parameters the checkpoint does not provide (``DefaultModelLoader``, a ``ValueError``);
    vLLM prints the set, whose order varies between runs: here it is sorted."""
    listed = "{" + ", ".join(repr(name) for name in sorted(names)) + "}"
    return f"Following weights were not initialized from checkpoint: {listed}"


def shape_mismatch_message(checkpoint_shape: torch.Size, parameter_shape: torch.Size) -> str:
    """vLLM's weight loader text (an ``AssertionError``) when a checkpoint tensor does not fit its parameter."""
    return f"Attempted to load weight ({checkpoint_shape}) into parameter ({parameter_shape})"


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


def check_no_remote_code(path: Path, trust_remote_code: bool) -> None:
    """The engine never runs code shipped with a model. A folder whose config (or tokenizer config) maps an auto
    class to its own Python file is refused: without that code transformers would quietly substitute its
    built-in class for the model type, which may compute something else."""
    from transformers import CONFIG_MAPPING

    config = _read_json(path / "config.json")
    config = config if isinstance(config, dict) else {}
    declared = _auto_map_entries(config, ("AutoConfig", "AutoModel"))
    tokenizer_config = _read_json(path / "tokenizer_config.json")
    declared += _auto_map_entries(tokenizer_config if isinstance(tokenizer_config, dict) else {}, ("AutoTokenizer",))
    if not declared:
        return
    model_type = config.get("model_type")
    if not trust_remote_code and model_type not in CONFIG_MAPPING:
        raise RuntimeError(VLLM_REMOTE_CODE_TEXT)
    flag = "trust_remote_code=True is not honoured: " if trust_remote_code else ""
    raise RuntimeError(
        f"Model {str(path)!r} ships its own code ({'; '.join(declared)}). {flag}this engine runs no remote code, "
        f"and without that code transformers would run its built-in {model_type!r} classes instead, which may "
        "compute something else. Use vLLM itself for this model, or a model whose architecture transformers "
        "implements."
    )


def _auto_map_entries(config: dict[str, Any], prefixes: tuple[str, ...]) -> list[str]:
    auto_map = config.get("auto_map")
    if not isinstance(auto_map, dict):
        return []
    return [f"{key} -> {value}" for key, value in sorted(auto_map.items()) if key.startswith(prefixes)]


def check_tokenizer_files(path: Path) -> None:
    if any((path / name).is_file() for name in TOKENIZER_FILES) or any(path.glob("*.tiktoken")):
        return
    raise OSError(
        f"Can't load tokenizer for {str(path)!r}: the folder has none of the tokenizer files "
        f"({', '.join(TOKENIZER_FILES)}, *.tiktoken). Without them transformers builds a placeholder tokenizer "
        "that reads every word as an unknown token. Copy the model's tokenizer files into the folder."
    )


def load_config(path: Path, hf_overrides: Mapping[str, Any] | None, trust_remote_code: bool) -> PretrainedConfig:
    """The HF config with ``hf_overrides`` applied. Remote code is refused before transformers reads anything,
    and transformers is never allowed to run any."""
    from transformers import AutoConfig

    check_no_remote_code(path, trust_remote_code)
    if not isinstance(_read_json_checked(path / "config.json", required=True), dict):
        raise ValueError(f"{path / 'config.json'} must hold a JSON object")
    config = AutoConfig.from_pretrained(path, trust_remote_code=False, local_files_only=True)
    for key, value in (hf_overrides or {}).items():
        setattr(config, key, value)
    return config


def read_st_folder(path: Path) -> StFolder:
    modules = _read_json_checked(path / "modules.json") or []
    if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
        raise ValueError(f"{path / 'modules.json'} must hold a JSON list of module objects")
    for module in modules:
        if not isinstance(module.get("path", ""), str) or not isinstance(module.get("type", ""), str):
            raise ValueError(f"{path / 'modules.json'}: each module's 'path' and 'type' must be strings: {module!r}")
    pooling_module = next((m for m in modules if m.get("type") == ST_POOLING), None)
    pooling = None
    if pooling_module is not None:
        pooling_config = _read_json_checked(path / pooling_module.get("path", "") / "config.json") or {}
        if not isinstance(pooling_config, dict):
            raise ValueError(f"{path / pooling_module.get('path', '') / 'config.json'} must hold a JSON object")
        seq_type, tok_type = _st_pooling_types(pooling_config)
        # vLLM turns "has a Normalize module" into the request default for use_activation (spec §10.1).
        normalize = any(m.get("type") == ST_NORMALIZE for m in modules)
        pooling = StPoolingDefaults(seq_pooling_type=seq_type, tok_pooling_type=tok_type, use_activation=normalize)
    dense_dirs = tuple(path / m.get("path", "") for m in modules if m.get("type") == ST_DENSE)
    st_config = _read_json_checked(path / "sentence_bert_config.json") or {}
    max_seq_length = st_config.get("max_seq_length") if isinstance(st_config, dict) else None
    if max_seq_length is not None and (not isinstance(max_seq_length, int) or isinstance(max_seq_length, bool)
                                       or max_seq_length < 1):
        raise ValueError(f"{path / 'sentence_bert_config.json'}: max_seq_length must be a positive integer, "
                         f"got {max_seq_length!r}")
    return StFolder(pooling=pooling, dense_dirs=dense_dirs, max_seq_length=max_seq_length)


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
        config = _read_json_checked(folder / "config.json")
        if config is None:
            raise FileNotFoundError(f"sentence-transformers Dense module without config.json: {folder}")
        linear = nn.Linear(config["in_features"], config["out_features"], bias=config.get("bias", True))
        state = _load_state_dict(folder)
        load_strictly(linear, {key.removeprefix("linear."): value for key, value in state.items()}, folder.name)
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
        if not isinstance(state, dict) or "weight" not in state:
            raise ValueError(not_initialized_message({f"{file.stem}.weight"}))
        out_features, in_features = state["weight"].shape
        linear = nn.Linear(in_features, out_features, bias="bias" in state)
        load_strictly(linear, state, file.stem)
        linears.append(linear.eval())
    return linears[0], linears[1]


COLBERT_DIM_KEYS = ("colbert_dim", "dim", "projection_dim")
COLBERT_DIM_MISSING = (
    "ColBERT dimension not found in model config. Expected one of: 'colbert_dim', 'dim', or 'projection_dim'. "
    "You can specify it via --hf-overrides '{\"dim\": 128}'"
)


def load_colbert_linear(path: Path, config: PretrainedConfig) -> nn.Linear:
    """vLLM's ColBERT projection: ``hidden_size → colbert_dim``, no bias, read from the checkpoint's
    ``linear.weight`` or ``colbert_linear.weight`` (a ``bert.``/``model.`` prefix is ignored)."""
    dim = next((getattr(config, key) for key in COLBERT_DIM_KEYS if getattr(config, key, None)), None)
    if dim is None:
        raise ValueError(COLBERT_DIM_MISSING)
    names = {f"{prefix}{name}" for prefix in ("", "bert.", "model.") for name in ("linear.weight",
                                                                                  "colbert_linear.weight")}
    weight = _checkpoint_tensor(path, names)
    if weight is None:
        raise ValueError(not_initialized_message({"colbert_linear.weight"}))
    linear = nn.Linear(config.hidden_size, int(dim), bias=False)
    load_strictly(linear, {"weight": weight}, "colbert_linear")
    return linear.float().eval()


def _checkpoint_tensor(path: Path, names: set[str]) -> torch.Tensor | None:
    """The first tensor found under one of ``names`` in the model folder's weight files (safetensors, else .bin)."""
    safetensors_files = sorted(path.glob("*.safetensors"))
    if safetensors_files:
        from safetensors import safe_open

        for file in safetensors_files:
            with safe_open(str(file), framework="pt") as handle:
                for name in handle.keys():
                    if name in names:
                        return handle.get_tensor(name)
        return None
    for file in sorted(path.glob("pytorch_model*.bin")):
        state = torch.load(file, map_location="cpu", weights_only=True)
        for name in names:
            if name in state:
                return state[name]
    return None


def load_strictly(module: nn.Module, state: Mapping[str, torch.Tensor], prefix: str) -> None:
    """Every parameter of ``module`` from ``state``, or vLLM's errors (names carry ``prefix``)."""
    expected = dict(module.named_parameters())
    missing = {f"{prefix}.{name}" for name in expected if name not in state}
    if missing:
        raise ValueError(not_initialized_message(missing))
    for name, parameter in expected.items():
        if state[name].shape != parameter.shape:
            raise AssertionError(shape_mismatch_message(state[name].shape, parameter.shape))
    module.load_state_dict(state, strict=False)


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
    for some model types (Qwen2 in transformers 5) that ignores tokenizer.json. A folder without tokenizer files
    is refused; remote tokenizer code was refused with the config (``check_no_remote_code``)."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    check_tokenizer_files(path)
    if (path / "tokenizer.json").is_file():
        return PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
    return AutoTokenizer.from_pretrained(path, trust_remote_code=False, local_files_only=True, use_fast=True)


def load_model(
    path: Path, config: PretrainedConfig, convert: str, dtype: torch.dtype, trust_remote_code: bool
) -> PreTrainedModel:
    """The transformers module for the architecture: its base model for embedding, the full *For*Classification
    model (backbone + head) for classification. Weights come from safetensors when present, otherwise from
    .bin files read with ``weights_only=True`` (transformers' default).

    Every parameter must come from the checkpoint, as in vLLM: a head the checkpoint lacks (an encoder loaded as
    a classifier through ``hf_overrides``, a causal LM converted to ``classify``) would otherwise be initialised
    at random and give numbers that change with the seed. A tensor of the wrong shape is refused the same way."""
    import transformers

    model_class = _model_class(config, convert)
    kwargs: dict[str, Any] = dict(
        config=config,
        dtype=dtype,
        attn_implementation="sdpa",
        local_files_only=True,
        trust_remote_code=False,
        output_loading_info=True,
        ignore_mismatched_sizes=True,  # reported below with vLLM's text instead of transformers' load report
    )
    if any(path.glob("*.safetensors")):
        kwargs["use_safetensors"] = True
    if convert == "embed" and "add_pooling_layer" in _init_parameters(model_class):
        kwargs["add_pooling_layer"] = False  # BERT's pooler (dense + tanh on [CLS]) is unused by embeddings
    with _quiet(transformers):
        # output_loading_info=True makes it a (model, info) pair; transformers' stubs type the model alone
        loaded: Any = model_class.from_pretrained(path, **kwargs)
    model, loading_info = cast("tuple[PreTrainedModel, dict[str, Any]]", loaded)
    mismatched = sorted(loading_info.get("mismatched_keys") or ())
    if mismatched:
        _, checkpoint_shape, parameter_shape = mismatched[0]
        raise AssertionError(shape_mismatch_message(checkpoint_shape, parameter_shape))
    missing = set(loading_info.get("missing_keys") or ())
    if missing:
        raise ValueError(not_initialized_message(missing))
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
    """The file's JSON, None when absent or unreadable (used where a damaged file only means "no declaration")."""
    try:
        return _read_json_checked(path)
    except ValueError:
        return None


def _read_json_checked(path: Path, required: bool = False) -> Any:
    """The file's JSON; a damaged file is a ValueError naming it. A module listed in modules.json may have no
    folder (MiniLM's 2_Normalize): absent means "no settings" unless ``required``."""
    if not path.is_file():
        if required:
            raise FileNotFoundError(f"No {path.name} in {path.parent}")
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
